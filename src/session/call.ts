// One logical request of a client, retried across attempts with the same contents (so a command
// keeps its session and sequence number and executes at most once) until it is answered or its
// deadline passes. Attempts follow the leader hint of NOT_LEADER answers, move to the next node
// when an attempt goes unanswered (a lost connection), and back off with jitter on refusals
// (UNAVAILABLE, leadership changes). Pure: time and I/O come through the CallHost; the SDK, the
// server's gateway and the simulator drive it.

import { Backoff, type NodeId, type PartitionId, type Prng } from '../common/index.js';
import type { ServiceResult } from '../fsm/index.js';
import type { PartitionInput } from '../gen/atomix/multiraft/v1/fsm_pb.js';
import type { CommandOutput, QueryInput } from '../gen/multiraft/v1/output_pb.js';

/** Timers as the caller has them (real timers, or a simulator's scheduler). */
export interface Timers {
  /** The current time in ms. */
  readonly now: number;
  after(delayMs: number, run: () => void): { cancel(): void };
}

/** What a node answers to one attempt, tagged with the attempt's call id. */
export type CallReply =
  | { readonly kind: 'output'; readonly call: number; readonly output: CommandOutput }
  | {
      readonly kind: 'result';
      readonly call: number;
      readonly result: ServiceResult;
      readonly index: number;
    }
  | { readonly kind: 'end'; readonly call: number }
  | {
      readonly kind: 'error';
      readonly call: number;
      readonly code: string;
      readonly leaderHint: number;
      /** The attempt certainly did not happen. */
      readonly safeToRetry: boolean;
    };

export type CallPayload = (
  | { readonly kind: 'propose'; readonly input: PartitionInput }
  | { readonly kind: 'query'; readonly input: QueryInput }
) & {
  /** Ask a node that does not lead the partition to forward the call to the leader. */
  readonly forward?: boolean;
};

export interface CallSpec {
  readonly partition: PartitionId;
  readonly payload: CallPayload;
  /** True time after which the call gives up; Infinity for streams. */
  readonly deadline: number;
  /** A stream: silence is normal; it is re-sent every `refreshMs` to follow the leader. */
  readonly stream?: boolean;
  /** Handles a reply; returns true when the call is over. */
  onReply(reply: Exclude<CallReply, { kind: 'error' }>): boolean;
  /** The call gave up; `mayHaveApplied` unless every attempt certainly did not happen. */
  onGiveUp(mayHaveApplied: boolean): void;
}

export interface CallHost {
  readonly timers: Timers;
  readonly random: Prng;
  readonly nodes: readonly NodeId[];
  readonly attemptTimeoutMs: number;
  readonly refreshMs: number;
  /** Sends attempt `call` of `payload` for `partition` to node `to`. */
  send(to: NodeId, call: number, partition: PartitionId, payload: CallPayload): void;
  register(callId: number, call: Call): void;
  unregister(callId: number): void;
  nextCallId(): number;
  leaderOf(partition: PartitionId): NodeId;
  setLeader(partition: PartitionId, node: NodeId): void;
}

export class Call {
  readonly spec: CallSpec;
  readonly #host: CallHost;
  readonly #backoff: Backoff;
  #current = 0;
  #timer: { cancel(): void } | undefined;
  #refusals = 0;
  #mayHaveApplied = false;
  #over = false;

  constructor(host: CallHost, spec: CallSpec) {
    this.#host = host;
    this.spec = spec;
    this.#backoff = new Backoff(() => host.random.float(), { baseMs: 5, maxMs: 200 });
    this.#attempt();
  }

  get over(): boolean {
    return this.#over;
  }

  /** Ends the call without an answer (its session is gone, the client stops). */
  abandon(): void {
    if (this.#over) return;
    this.#finish();
  }

  /** Sends the next attempt now (a stream that lost an output re-requests its replay). */
  retryNow(): void {
    if (this.#over) return;
    this.#timer?.cancel();
    this.#timer = this.#host.timers.after(0, () => this.#attempt());
  }

  reply(wire: CallReply): void {
    if (this.#over || wire.call !== this.#current) return;
    if (wire.kind === 'error') {
      this.#refused(wire);
      return;
    }
    this.#refusals = 0;
    if (this.spec.onReply(wire)) {
      this.#finish();
    } else if (this.spec.stream) {
      this.#arm(this.#host.refreshMs);
    }
  }

  #attempt(): void {
    if (this.#over) return;
    const host = this.#host;
    if (host.timers.now >= this.spec.deadline) {
      this.#finish();
      this.spec.onGiveUp(this.#mayHaveApplied);
      return;
    }
    host.unregister(this.#current);
    this.#current = host.nextCallId();
    host.register(this.#current, this);
    host.send(
      host.leaderOf(this.spec.partition),
      this.#current,
      this.spec.partition,
      this.spec.payload,
    );
    this.#arm(this.spec.stream ? host.refreshMs : host.attemptTimeoutMs);
  }

  /** No answer in time: the attempt may have happened; try the next node. */
  #arm(ms: number): void {
    this.#timer?.cancel();
    this.#timer = this.#host.timers.after(ms, () => {
      if (this.#over) return;
      if (this.spec.payload.kind === 'propose') this.#mayHaveApplied = true;
      if (!this.spec.stream) this.#rotateLeader();
      this.#attempt();
    });
  }

  #refused(wire: Extract<CallReply, { kind: 'error' }>): void {
    if (!wire.safeToRetry && this.spec.payload.kind === 'propose') this.#mayHaveApplied = true;
    if (wire.code === 'SUPERSEDED') return;
    if (wire.code === 'NOT_LEADER' && wire.leaderHint !== 0) {
      this.#host.setLeader(this.spec.partition, wire.leaderHint as NodeId);
    } else if (wire.code === 'NOT_LEADER') {
      this.#rotateLeader();
    }
    this.#timer?.cancel();
    const delay = this.#backoff.delayMs(this.#refusals++);
    this.#timer = this.#host.timers.after(delay, () => this.#attempt());
  }

  #rotateLeader(): void {
    const nodes = this.#host.nodes;
    const i = nodes.indexOf(this.#host.leaderOf(this.spec.partition));
    this.#host.setLeader(this.spec.partition, nodes[(i + 1) % nodes.length] as NodeId);
  }

  #finish(): void {
    this.#over = true;
    this.#timer?.cancel();
    this.#host.unregister(this.#current);
  }
}
