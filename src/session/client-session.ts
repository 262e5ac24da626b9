// The client side of one session (DESIGN §3): sequence numbers, the pending set, stream positions,
// keep-alive contents and expiry detection. Pure: the caller passes the time and does the I/O; the
// SDK and the server's gateway both drive this.
//
// Lifecycle: open → (expired | closed), both final. A session is opened by an OpenSession command;
// this object starts once its output names the session id.

import { assert, type SequenceNum, type SessionId, sequenceNum } from '../common/index.js';

export interface ClientSessionOptions {
  /** The timeout the session was opened with (ms of state-machine time). */
  readonly timeoutMs: number;
  /** How often to send a keep-alive; default a third of the timeout. */
  readonly keepAliveIntervalMs?: number;
  /** Most commands allocated and not finished at once (back-pressure beyond it). */
  readonly pendingMax?: number;
  /**
   * A keep-alive is due early once this many commands finished since the last one: it lets the
   * state machine retire their cached outputs before its per-session limit refuses new commands.
   * Default 1,024 (a quarter of the state machine's default commandsPerSessionMax).
   */
  readonly keepAliveAfterFinished?: number;
  /**
   * A keep-alive is due early once one stream received this many outputs since the last one: the
   * state machine caches every stream output until a keep-alive acknowledges it, and cancels a
   * stream past its `eventsUnackedMax` (default 1,024). Default 256, a quarter of that.
   */
  readonly keepAliveAfterStreamOutputs?: number;
  /**
   * A keep-alive is due early once the session's streams together received this many outputs
   * since the last one: it bounds what every replica caches for the session, and how long (a
   * cached output is garbage the replica's heap carries until then). Default 4,096.
   */
  readonly keepAliveAfterOutputs?: number;
  /**
   * How much sooner than the state machine this client takes the session as expired, so the
   * drift between its clock and the leaders' never lets it believe in a session that is gone.
   * Default a tenth of the timeout.
   */
  readonly expiryMarginMs?: number;
}

/** The keep-alive's contents: L, the pending numbers for F, and A (DESIGN §3). */
export interface KeepAliveContents {
  readonly sessionId: SessionId;
  readonly lastCommandSequenceNum: SequenceNum;
  /** Every number allocated and not finished, sent or not, in ascending order. */
  readonly pending: readonly SequenceNum[];
  /** For each running stream: the last output sequence number received. */
  readonly streamPositions: ReadonlyMap<SequenceNum, number>;
}

export const SessionState = { Open: 'open', Expired: 'expired', Closed: 'closed' } as const;
export type SessionState = (typeof SessionState)[keyof typeof SessionState];

/** What a stream output means to the caller. */
export const StreamOutputVerdict = {
  /** The next output: deliver it. */
  Next: 'next',
  /** A replay of an output already delivered (after a retry): drop it. */
  Duplicate: 'duplicate',
  /** Outputs were skipped: the stream can no longer promise "no gap"; end it with an error. */
  Gap: 'gap',
} as const;
export type StreamOutputVerdict = (typeof StreamOutputVerdict)[keyof typeof StreamOutputVerdict];

export class ClientSession {
  readonly id: SessionId;
  readonly timeoutMs: number;
  readonly keepAliveIntervalMs: number;
  readonly pendingMax: number;
  readonly keepAliveAfterFinished: number;
  readonly keepAliveAfterStreamOutputs: number;
  readonly keepAliveAfterOutputs: number;
  readonly expiryMarginMs: number;
  #state: SessionState = SessionState.Open;
  // Invariant: every number in #pending is < #nextSeq and > 0.
  #nextSeq = 1;
  readonly #pending = new Set<SequenceNum>();
  // Invariant: every key of #streams is in #pending.
  readonly #streams = new Map<SequenceNum, number>();
  /** Local time the newest successful keep-alive (or the open) was sent. */
  #aliveSince: number;
  #lastKeepAliveSentAt: number;
  #finishedSinceKeepAlive = 0;
  /** The stream positions the last keep-alive sent (what the state machine may drop). */
  #sentPositions: ReadonlyMap<SequenceNum, number> = new Map();
  #outputsSinceKeepAlive = 0;
  /** Some stream received keepAliveAfterStreamOutputs outputs since the last keep-alive. */
  #streamBacklog = false;

  /** `openedAt`: the local time the OpenSession request was sent. */
  constructor(id: SessionId, openedAt: number, options: ClientSessionOptions) {
    assert(id > 0, 'session id must be positive');
    assert(options.timeoutMs > 0, 'session timeout must be positive');
    this.id = id;
    this.timeoutMs = options.timeoutMs;
    this.keepAliveIntervalMs = options.keepAliveIntervalMs ?? Math.floor(options.timeoutMs / 3);
    this.pendingMax = options.pendingMax ?? 100_000;
    this.keepAliveAfterFinished = options.keepAliveAfterFinished ?? 1_024;
    assert(this.keepAliveAfterFinished > 0, 'keepAliveAfterFinished must be positive');
    this.keepAliveAfterStreamOutputs = options.keepAliveAfterStreamOutputs ?? 256;
    assert(this.keepAliveAfterStreamOutputs > 0, 'keepAliveAfterStreamOutputs must be positive');
    this.keepAliveAfterOutputs = options.keepAliveAfterOutputs ?? 4_096;
    assert(this.keepAliveAfterOutputs > 0, 'keepAliveAfterOutputs must be positive');
    this.expiryMarginMs = options.expiryMarginMs ?? Math.ceil(options.timeoutMs / 10);
    assert(
      this.expiryMarginMs >= 0 && this.expiryMarginMs < this.timeoutMs,
      'the expiry margin must be below the timeout',
    );
    assert(
      this.keepAliveIntervalMs > 0 &&
        this.keepAliveIntervalMs < this.timeoutMs - this.expiryMarginMs,
      'bad keep-alive interval',
    );
    this.#aliveSince = openedAt;
    this.#lastKeepAliveSentAt = openedAt;
  }

  get state(): SessionState {
    return this.#state;
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Whether another command may be allocated now (false at `pendingMax`: apply back-pressure). */
  hasCapacity(): boolean {
    return this.#state === SessionState.Open && this.#pending.size < this.pendingMax;
  }

  /** Allocates the next command number; it stays pending until `finish`. */
  allocate(): SequenceNum {
    assert(this.#state === SessionState.Open, `allocate on a ${this.#state} session`);
    assert(this.#pending.size < this.pendingMax, 'allocate beyond pendingMax: check hasCapacity()');
    const seq = sequenceNum(this.#nextSeq++);
    this.#pending.add(seq);
    return seq;
  }

  /** Marks `seq` as a stream command whose outputs are numbered from 1. */
  startStream(seq: SequenceNum): void {
    assert(this.#pending.has(seq), `stream ${seq} is not pending`);
    if (!this.#streams.has(seq)) this.#streams.set(seq, 0);
  }

  /** Classifies output number `outputSeq` of stream `seq`, advancing its position on Next. */
  streamOutput(seq: SequenceNum, outputSeq: number): StreamOutputVerdict {
    const last = this.#streams.get(seq);
    assert(last !== undefined, `stream ${seq} is not running`);
    if (outputSeq <= last) return StreamOutputVerdict.Duplicate;
    if (outputSeq > last + 1) return StreamOutputVerdict.Gap;
    this.#streams.set(seq, outputSeq);
    this.#outputsSinceKeepAlive++;
    const unsent = outputSeq - (this.#sentPositions.get(seq) ?? 0);
    if (unsent >= this.keepAliveAfterStreamOutputs) this.#streamBacklog = true;
    return StreamOutputVerdict.Next;
  }

  /**
   * The command is over on the client: answered, its stream ended, or abandoned (aborted with an
   * unknown outcome). The next keep-alive lets the server retire it; a late retry is STALE.
   */
  finish(seq: SequenceNum): void {
    if (this.#pending.delete(seq)) this.#finishedSinceKeepAlive++;
    this.#streams.delete(seq);
  }

  isPending(seq: SequenceNum): boolean {
    return this.#pending.has(seq);
  }

  /**
   * A keep-alive is due: the interval passed, or since the last one many commands finished or
   * many stream outputs arrived (each waits in the state machine for the keep-alive).
   */
  keepAliveDue(now: number): boolean {
    return (
      this.#state === SessionState.Open &&
      (now - this.#lastKeepAliveSentAt >= this.keepAliveIntervalMs ||
        this.#finishedSinceKeepAlive >= this.keepAliveAfterFinished ||
        this.#outputsSinceKeepAlive >= this.keepAliveAfterOutputs ||
        this.#streamBacklog)
    );
  }

  /** The next keep-alive's contents; `now` is recorded as its send time. */
  keepAlive(now: number): KeepAliveContents {
    assert(this.#state === SessionState.Open, `keep-alive on a ${this.#state} session`);
    this.#lastKeepAliveSentAt = now;
    this.#finishedSinceKeepAlive = 0;
    this.#outputsSinceKeepAlive = 0;
    this.#streamBacklog = false;
    // Counted as acknowledged once sent: should this keep-alive fail, the outputs wait for the
    // next one, due at the latest one interval on, well inside the state machine's limit.
    this.#sentPositions = new Map(this.#streams);
    return {
      sessionId: this.id,
      lastCommandSequenceNum: sequenceNum(this.#nextSeq - 1),
      pending: [...this.#pending].sort((a, b) => a - b),
      streamPositions: this.#sentPositions,
    };
  }

  /** A keep-alive sent at `sentAt` succeeded: the session was alive on the leader after sentAt. */
  keepAliveSucceeded(sentAt: number): void {
    if (this.#state !== SessionState.Open) return;
    this.#aliveSince = Math.max(this.#aliveSince, sentAt);
  }

  /**
   * Whether the session must be taken as expired at `now`: no keep-alive sent within the timeout
   * (less the margin) has succeeded, so the state machine may have expired it (and cancelled its
   * streams). Final.
   */
  checkExpired(now: number): boolean {
    const limit = this.timeoutMs - this.expiryMarginMs;
    if (this.#state === SessionState.Open && now - this.#aliveSince >= limit) {
      this.#state = SessionState.Expired;
    }
    return this.#state === SessionState.Expired;
  }

  /** The state machine answered SESSION_EXPIRED: final. */
  expired(): void {
    if (this.#state === SessionState.Open) this.#state = SessionState.Expired;
  }

  close(): void {
    if (this.#state === SessionState.Open) this.#state = SessionState.Closed;
  }
}
