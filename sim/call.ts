// One logical request of a simulated client, retried across attempts (same contents, so a command
// keeps its sequence number) until it is answered or its deadline passes. Attempts follow the
// leader hint of NOT_LEADER answers, rotate on silence, and back off on refusals.

import type { NodeId, PartitionId, Prng } from '../src/common/index.js';
import type { PartitionInput } from '../src/gen/atomix/multiraft/v1/fsm_pb.js';
import type { QueryInput } from '../src/gen/multiraft/v1/output_pb.js';
import { Backoff } from '../src/session/index.js';
import type { Cancellable, Scheduler } from './scheduler.js';
import type { Wire } from './wire.js';

export type CallPayload =
  | { readonly kind: 'propose'; readonly input: PartitionInput }
  | { readonly kind: 'query'; readonly input: QueryInput };

export interface CallSpec {
  readonly partition: PartitionId;
  readonly payload: CallPayload;
  /** True time after which the call gives up; Infinity for streams. */
  readonly deadline: number;
  /** A stream: silence is normal; it is re-sent every `refreshMs` to follow the leader. */
  readonly stream?: boolean;
  /** Handles a reply; returns true when the call is over. */
  onReply(wire: Extract<Wire, { kind: 'output' | 'result' | 'end' }>): boolean;
  /** The call gave up; `mayHaveApplied` unless every attempt certainly did not happen. */
  onGiveUp(mayHaveApplied: boolean): void;
}

export interface CallHost {
  readonly scheduler: Scheduler;
  readonly random: Prng;
  readonly nodes: readonly NodeId[];
  readonly attemptTimeoutMs: number;
  readonly refreshMs: number;
  send(to: NodeId, wire: Wire): void;
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
  #timer: Cancellable | undefined;
  #refusals = 0;
  #mayHaveApplied = false;
  #over = false;

  constructor(host: CallHost, spec: CallSpec) {
    this.#host = host;
    this.spec = spec;
    this.#backoff = new Backoff(host.random, { baseMs: 5, maxMs: 200 });
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
    this.#timer = this.#host.scheduler.after(0, () => this.#attempt());
  }

  reply(wire: Extract<Wire, { kind: 'output' | 'result' | 'end' | 'error' }>): void {
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
    if (host.scheduler.now >= this.spec.deadline) {
      this.#finish();
      this.spec.onGiveUp(this.#mayHaveApplied);
      return;
    }
    host.unregister(this.#current);
    this.#current = host.nextCallId();
    host.register(this.#current, this);
    const to = host.leaderOf(this.spec.partition);
    const { payload, partition } = this.spec;
    const call = this.#current;
    host.send(
      to,
      payload.kind === 'propose'
        ? { kind: 'propose', call, partition, input: payload.input }
        : { kind: 'query', call, partition, input: payload.input },
    );
    this.#arm(this.spec.stream ? host.refreshMs : host.attemptTimeoutMs);
  }

  /** No answer in time: the attempt may have happened; try the next node. */
  #arm(ms: number): void {
    this.#timer?.cancel();
    this.#timer = this.#host.scheduler.after(ms, () => {
      if (this.#over) return;
      if (this.spec.payload.kind === 'propose') this.#mayHaveApplied = true;
      if (!this.spec.stream) this.#rotateLeader();
      this.#attempt();
    });
  }

  #refused(wire: Extract<Wire, { kind: 'error' }>): void {
    if (!wire.safeToRetry && this.spec.payload.kind === 'propose') this.#mayHaveApplied = true;
    if (wire.code === 'SUPERSEDED') return;
    if (wire.code === 'NOT_LEADER' && wire.leaderHint !== 0) {
      this.#host.setLeader(this.spec.partition, wire.leaderHint as NodeId);
    } else if (wire.code === 'NOT_LEADER') {
      this.#rotateLeader();
    }
    this.#timer?.cancel();
    const delay = this.#backoff.delayMs(this.#refusals++);
    this.#timer = this.#host.scheduler.after(delay, () => this.#attempt());
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
