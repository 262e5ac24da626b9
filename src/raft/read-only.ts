import { assert, type LogIndex, type NodeId } from '../common/index.js';

/** A ReadIndex request: the caller's context and the node that asked (self or a follower). */
export interface ReadRequest {
  readonly context: number;
  readonly from: NodeId;
}

interface Round {
  readonly id: number;
  /** The commit index when the round started: the read index of its requests. */
  readonly index: LogIndex;
  readonly requests: ReadRequest[];
  readonly acks: Set<NodeId>;
}

/**
 * The leader's ReadIndex rounds. Requests that arrive while a round runs wait for the next one
 * (they must see a leadership confirmation that started after them); all requests queued when a
 * round starts share it. One round at a time; heartbeats carry its id as their context.
 */
export class ReadOnly {
  // Invariant: queued.length + round's requests <= maxPending.
  #queued: ReadRequest[] = [];
  #round: Round | undefined;
  #nextRoundId = 1;

  constructor(readonly maxPending: number) {}

  get pendingCount(): number {
    return this.#queued.length + (this.#round?.requests.length ?? 0);
  }

  /** The running round's id, 0 when none runs. */
  get roundId(): number {
    return this.#round?.id ?? 0;
  }

  add(request: ReadRequest): void {
    assert(this.pendingCount < this.maxPending, 'ReadOnly.add beyond maxPending');
    this.#queued.push(request);
  }

  /** Starts a round for the queued requests when none runs; returns its id or 0. */
  maybeStartRound(commit: LogIndex): number {
    if (this.#round !== undefined || this.#queued.length === 0) return 0;
    const id = this.#nextRoundId++;
    this.#round = { id, index: commit, requests: this.#queued, acks: new Set() };
    this.#queued = [];
    return id;
  }

  /** A heartbeat answer with `context`: acknowledges the running round if it is that late. */
  recvAck(from: NodeId, context: number): void {
    if (this.#round !== undefined && context >= this.#round.id) this.#round.acks.add(from);
  }

  acks(): ReadonlySet<NodeId> {
    return this.#round?.acks ?? new Set();
  }

  /** Ends the running round (leadership confirmed): its requests and their read index. */
  finishRound(): { index: LogIndex; requests: ReadRequest[] } {
    const round = this.#round;
    assert(round !== undefined, 'finishRound without a round');
    this.#round = undefined;
    return { index: round.index, requests: round.requests };
  }

  reset(): void {
    this.#queued = [];
    this.#round = undefined;
  }
}
