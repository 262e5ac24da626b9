// A simulated application client: one session per partition (opened lazily, kept alive, replaced
// after expiry), the AtomicValue workload (set, set if absent, update and delete by version, get)
// recorded into the history, and Events subscriptions checked for exactly-once, in-order delivery.

import { create } from '@bufbuild/protobuf';
import type { NodeId, PartitionId, Prng } from '../src/common/index.js';
import { QueryInputSchema, Status } from '../src/gen/multiraft/v1/output_pb.js';
import { atomicValueService } from '../src/primitives/index.js';
import {
  Call,
  type CallHost,
  type CallPayload,
  PartitionSessions,
  type PrimitiveName,
  servicePayload,
} from '../src/session/index.js';
import { decodeOp, encodeOp, eventsInput } from './atomic-value-codec.js';
import type { EventsChecker } from './events-checker.js';
import type { HistoryRecorder, OpInput } from './linearizability/index.js';
import type { Scheduler } from './scheduler.js';
import type { Wire } from './wire.js';

export interface SimClientOptions {
  readonly id: NodeId;
  readonly name: string;
  readonly nodes: readonly NodeId[];
  readonly keys: readonly string[];
  readonly partitionOf: (key: string) => PartitionId;
  readonly scheduler: Scheduler;
  readonly random: Prng;
  readonly send: (from: NodeId, to: NodeId, wire: Wire) => void;
  readonly recorder: HistoryRecorder;
  readonly events: EventsChecker;
  readonly violation: (what: string) => void;
  readonly sessionTimeoutMs: number;
  readonly attemptTimeoutMs: number;
  readonly opTimeoutMs: number;
  /** Keys this client subscribes to with Events. */
  readonly subscribe: readonly string[];
  readonly thinkMsMax: number;
}

export class SimClient implements CallHost {
  readonly #o: SimClientOptions;
  readonly #sessions: PartitionSessions;
  /** Reads in progress (they need no session), abandoned at `stop()`. */
  readonly #reads = new Set<Call>();
  readonly #leaders = new Map<PartitionId, NodeId>();
  readonly #calls = new Map<number, Call>();
  /** Per key: the last version this client saw, for conditional updates. */
  readonly #versions = new Map<string, number>();
  #callIds = 0;
  #writes = 0;
  #running = false;
  #stopped = false;
  opsIssued = 0;

  constructor(options: SimClientOptions) {
    this.#o = options;
    this.#sessions = new PartitionSessions({
      host: this,
      sessionTimeoutMs: options.sessionTimeoutMs,
      setupTimeoutMs: options.opTimeoutMs,
      onSessionLost: (partition) => {
        this.#o.events.sessionEnded(this.#o.name, partition);
        if (!this.#stopped) this.#resubscribe(partition);
      },
    });
  }

  get sessionsOpened(): number {
    return this.#sessions.sessionsOpened;
  }

  get sessionsExpired(): number {
    return this.#sessions.sessionsExpired;
  }

  // CallHost
  get timers(): Scheduler {
    return this.#o.scheduler;
  }
  get random(): Prng {
    return this.#o.random;
  }
  get nodes(): readonly NodeId[] {
    return this.#o.nodes;
  }
  get attemptTimeoutMs(): number {
    return this.#o.attemptTimeoutMs;
  }
  get refreshMs(): number {
    return 1_000;
  }
  send(to: NodeId, call: number, partition: PartitionId, payload: CallPayload): void {
    this.#o.send(
      this.#o.id,
      to,
      payload.kind === 'propose'
        ? { kind: 'propose', call, partition, input: payload.input }
        : { kind: 'query', call, partition, input: payload.input },
    );
  }
  register(callId: number, call: Call): void {
    this.#calls.set(callId, call);
  }
  unregister(callId: number): void {
    this.#calls.delete(callId);
  }
  nextCallId(): number {
    return ++this.#callIds;
  }
  leaderOf(partition: PartitionId): NodeId {
    return this.#leaders.get(partition) ?? (this.#o.nodes[0] as NodeId);
  }
  setLeader(partition: PartitionId, node: NodeId): void {
    this.#leaders.set(partition, node);
  }

  /** A reply from a node. */
  deliver(wire: Wire): void {
    if (
      wire.kind === 'output' ||
      wire.kind === 'result' ||
      wire.kind === 'end' ||
      wire.kind === 'error'
    ) {
      this.#calls.get(wire.call)?.reply(wire);
    }
  }

  /** Starts the workload loop and the subscriptions. */
  start(): void {
    this.#running = true;
    for (const key of this.#o.subscribe) this.#subscribe(key);
    this.#next();
  }

  /** Stops issuing operations (calls in flight still finish). */
  pause(): void {
    this.#running = false;
  }

  /** Stops everything: no new calls, no keep-alives; open calls are abandoned as unknown. */
  stop(): void {
    this.#running = false;
    this.#stopped = true;
    this.#sessions.stop();
    for (const call of this.#reads) call.abandon();
    this.#reads.clear();
  }

  /** Reads every key once; `done` gets whether every read was answered. */
  finalReads(keys: readonly string[], deadlineMs: number, done: (ok: boolean) => void): void {
    let left = keys.length;
    let ok = true;
    for (const key of keys) {
      this.#get(key, deadlineMs, (answered) => {
        ok &&= answered;
        if (--left === 0) done(ok);
      });
    }
  }

  #next(): void {
    if (!this.#running) return;
    const think = this.#o.random.int(0, this.#o.thinkMsMax);
    this.#o.scheduler.after(think, () => {
      if (!this.#running) return;
      this.opsIssued++;
      this.#runOp(() => this.#next());
    });
  }

  #runOp(done: () => void): void {
    const r = this.#o.random;
    const key = r.pick(this.#o.keys);
    const roll = r.float();
    if (roll < 0.3)
      return this.#get(key, this.#o.scheduler.now + this.#o.opTimeoutMs, () => done());
    const value = `${this.#o.name}-${++this.#writes}`;
    const known = this.#versions.get(key) ?? 0;
    const ttl = r.chance(0.1) ? r.int(300, 3_000) : undefined;
    let input: OpInput;
    if (roll < 0.55) input = { op: 'set', value, ...(ttl ? { ttl } : {}) };
    else if (roll < 0.65) input = { op: 'set', value, ifAbsent: true };
    else if (roll < 0.85) {
      input = {
        op: 'update',
        value,
        prevVersion: r.chance(0.8) ? known : 0,
        ...(ttl ? { ttl } : {}),
      };
    } else input = { op: 'delete', prevVersion: r.chance(0.7) ? known : 0 };
    this.#command(key, input, done);
  }

  #command(key: string, input: OpInput, done: () => void): void {
    const now = this.#o.scheduler.now;
    const handle = this.#o.recorder.invoke({ client: this.#o.name, key, input, time: now });
    this.#sessions.command(
      this.#o.partitionOf(key),
      primitiveOf(key),
      encodeOp(input),
      now + this.#o.opTimeoutMs,
      {
        output: (out) => {
          if (out.status === Status.STALE) {
            this.#o.violation(`STALE answer to a pending command of ${this.#o.name}`);
          }
          const answer = decodeOp(out.status, servicePayload(out), out.current);
          if (answer !== undefined) {
            this.#o.recorder.ok(handle, answer, this.#o.scheduler.now);
            this.#learnVersion(key, answer);
          } else {
            this.#o.recorder.unknown(handle);
          }
          done();
        },
        failed: ({ mayHaveApplied }) => {
          if (mayHaveApplied) this.#o.recorder.unknown(handle);
          else this.#o.recorder.fail(handle, this.#o.scheduler.now);
          done();
        },
      },
    );
  }

  #get(key: string, deadline: number, done: (answered: boolean) => void): void {
    const partition = this.#o.partitionOf(key);
    const [namespace, name] = key.split('/') as [string, string];
    const now = this.#o.scheduler.now;
    const handle = this.#o.recorder.invoke({
      client: this.#o.name,
      key,
      input: { op: 'get' },
      time: now,
    });
    const input = create(QueryInputSchema, {
      target: { case: 'primitive', value: { service: atomicValueService, namespace, name } },
      payload: encodeOp({ op: 'get' }),
    });
    const read: Call = new Call(this, {
      partition,
      payload: { kind: 'query', input },
      deadline,
      onReply: (wire) => {
        // A unary query's `end` adds nothing (and may overtake its result on the network).
        if (wire.kind !== 'result') return false;
        this.#reads.delete(read);
        const r = wire.result;
        const answer =
          r.status === Status.OK
            ? decodeOp(r.status, r.payload, undefined)
            : decodeOp(r.status, undefined, r.current);
        if (answer === undefined) {
          this.#o.violation(`get answered ${Status[r.status]}`);
          this.#o.recorder.fail(handle, this.#o.scheduler.now);
        } else {
          this.#o.recorder.ok(handle, answer, this.#o.scheduler.now);
          this.#learnVersion(key, answer);
        }
        done(answer !== undefined);
        return true;
      },
      onGiveUp: () => {
        this.#reads.delete(read);
        this.#o.recorder.fail(handle, this.#o.scheduler.now);
        done(false);
      },
    });
    if (!read.over) this.#reads.add(read);
  }

  #learnVersion(key: string, answer: ReturnType<typeof decodeOp>): void {
    if (answer === undefined) return;
    if ('ok' in answer && answer.version !== undefined) this.#versions.set(key, answer.version);
    if ('error' in answer && answer.current?.version !== undefined) {
      this.#versions.set(key, answer.current.version);
    }
  }

  #subscribe(key: string): void {
    if (this.#stopped) return;
    const partition = this.#o.partitionOf(key);
    const sub = this.#o.events.subscribe(this.#o.name, key, partition);
    this.#sessions.stream(partition, primitiveOf(key), eventsInput(), {
      output: (out) => {
        const payload = servicePayload(out);
        if (payload !== undefined) sub.output(payload, out.index);
      },
      ended: (status) => {
        sub.end(Status[status] ?? 'unknown');
        this.#o.scheduler.after(200, () => this.#subscribe(key));
      },
      // An expired session ends every subscription of the partition at once (onSessionLost).
      failed: () => {},
    });
  }

  #resubscribe(partition: PartitionId): void {
    for (const key of this.#o.subscribe) {
      if (this.#o.partitionOf(key) === partition)
        this.#o.scheduler.after(100, () => this.#subscribe(key));
    }
  }
}

/** The AtomicValue a history key (`namespace/name`) names. */
function primitiveOf(key: string): PrimitiveName {
  const [namespace, name] = key.split('/') as [string, string];
  return { service: atomicValueService, namespace, name };
}
