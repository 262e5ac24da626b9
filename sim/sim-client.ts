// A simulated application client: one session per partition (opened lazily, kept alive, replaced
// after expiry), the AtomicValue workload (set, set if absent, update and delete by version, get)
// recorded into the history, and Events subscriptions checked for exactly-once, in-order delivery.

import { create, type MessageInitShape } from '@bufbuild/protobuf';
import {
  type NodeId,
  type PartitionId,
  type Prng,
  type SequenceNum,
  type ServiceId,
  serviceId,
  sessionId,
} from '../src/common/index.js';
import {
  type PartitionInput,
  PartitionInputSchema,
  type SessionInputSchema,
} from '../src/gen/atomix/multiraft/v1/fsm_pb.js';
import { type CommandOutput, QueryInputSchema, Status } from '../src/gen/multiraft/v1/output_pb.js';
import { atomicValueService } from '../src/primitives/index.js';
import {
  Call,
  type CallHost,
  type CallPayload,
  type CallSpec,
  ClientSession,
  keepAliveInput,
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

interface PartitionSession {
  phase: 'none' | 'opening' | 'open';
  session: ClientSession | undefined;
  readonly services: Map<string, ServiceId>;
  waiting: (() => void)[];
  keepAlive: Call | undefined;
  readonly calls: Set<Call>;
}

const newPartitionSession = (): PartitionSession => ({
  phase: 'none',
  session: undefined,
  services: new Map(),
  waiting: [],
  keepAlive: undefined,
  calls: new Set(),
});

export class SimClient implements CallHost {
  readonly #o: SimClientOptions;
  readonly #sessions = new Map<PartitionId, PartitionSession>();
  readonly #leaders = new Map<PartitionId, NodeId>();
  readonly #calls = new Map<number, Call>();
  /** Per key: the last version this client saw, for conditional updates. */
  readonly #versions = new Map<string, number>();
  #callIds = 0;
  #writes = 0;
  #running = false;
  #stopped = false;
  opsIssued = 0;
  sessionsOpened = 0;
  sessionsExpired = 0;

  constructor(options: SimClientOptions) {
    this.#o = options;
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
    for (const ps of this.#sessions.values()) {
      ps.keepAlive?.abandon();
      for (const call of ps.calls) call.abandon();
    }
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

  /** Runs `then` once the partition of `key` has an open session and the key's service exists. */
  #withService(key: string, then: (ps: PartitionSession, service: ServiceId) => void): void {
    const partition = this.#o.partitionOf(key);
    const ps = this.#partition(partition);
    if (ps.phase !== 'open') {
      ps.waiting.push(() => this.#withService(key, then));
      if (ps.phase === 'none') this.#open(partition, ps);
      return;
    }
    const service = ps.services.get(key);
    if (service !== undefined) return then(ps, service);
    this.#createService(partition, ps, key, () => this.#withService(key, then));
  }

  #partition(partition: PartitionId): PartitionSession {
    let ps = this.#sessions.get(partition);
    if (ps === undefined) {
      ps = newPartitionSession();
      this.#sessions.set(partition, ps);
    }
    return ps;
  }

  #open(partition: PartitionId, ps: PartitionSession): void {
    if (this.#stopped) return;
    ps.phase = 'opening';
    const sentAt = this.#o.scheduler.now;
    const input = create(PartitionInputSchema, {
      input: { case: 'openSession', value: { timeoutMs: BigInt(this.#o.sessionTimeoutMs) } },
    });
    this.#track(ps, {
      partition,
      payload: { kind: 'propose', input },
      deadline: sentAt + this.#o.opTimeoutMs,
      onReply: (wire) => {
        if (wire.kind !== 'output') return false;
        const out = wire.output.output?.output;
        if (wire.output.status !== Status.OK || out?.case !== 'openSession') {
          this.#o.violation(`open session answered ${Status[wire.output.status]}`);
          ps.phase = 'none';
          return true;
        }
        this.#opened(partition, ps, Number(out.value.sessionId), sentAt);
        return true;
      },
      onGiveUp: () => {
        ps.phase = 'none';
        this.#o.scheduler.after(100, () => this.#flushWaiting(partition, ps));
      },
    });
  }

  #opened(partition: PartitionId, ps: PartitionSession, id: number, sentAt: number): void {
    // The default expiry margin (a tenth of the timeout) absorbs the nodes' clock drift.
    ps.session = new ClientSession(sessionId(id), sentAt, {
      timeoutMs: this.#o.sessionTimeoutMs,
      keepAliveIntervalMs: Math.floor(this.#o.sessionTimeoutMs / 4),
    });
    ps.phase = 'open';
    ps.services.clear();
    this.sessionsOpened++;
    this.#keepAliveLoop(partition, ps, ps.session);
    this.#flushWaiting(partition, ps);
  }

  #flushWaiting(partition: PartitionId, ps: PartitionSession): void {
    const waiting = ps.waiting;
    ps.waiting = [];
    if (waiting.length > 0 && ps.phase === 'none') {
      ps.waiting = waiting;
      this.#open(partition, ps);
      return;
    }
    for (const resume of waiting) resume();
  }

  #keepAliveLoop(partition: PartitionId, ps: PartitionSession, session: ClientSession): void {
    this.#o.scheduler.after(50, () => {
      if (this.#stopped || ps.session !== session) return;
      const now = this.#o.scheduler.now;
      if (session.checkExpired(now)) return this.#expired(partition, ps, session);
      if (ps.keepAlive === undefined && session.keepAliveDue(now)) {
        const input = create(PartitionInputSchema, {
          input: { case: 'keepAlive', value: keepAliveInput(session.keepAlive(now)) },
        });
        ps.keepAlive = this.#track(ps, {
          partition,
          payload: { kind: 'propose', input },
          deadline: now + session.keepAliveIntervalMs * 2,
          onReply: (wire) => {
            if (wire.kind !== 'output') return false;
            ps.keepAlive = undefined;
            if (wire.output.status === Status.OK) session.keepAliveSucceeded(now);
            else if (wire.output.status === Status.SESSION_EXPIRED) session.expired();
            return true;
          },
          onGiveUp: () => {
            ps.keepAlive = undefined;
          },
        });
      }
      this.#keepAliveLoop(partition, ps, session);
    });
  }

  #expired(partition: PartitionId, ps: PartitionSession, session: ClientSession): void {
    if (ps.session !== session) return;
    this.sessionsExpired++;
    ps.session = undefined;
    ps.phase = 'none';
    ps.keepAlive?.abandon();
    ps.keepAlive = undefined;
    // Calls of the old session resolve themselves (answered, SESSION_EXPIRED, or give up).
    this.#o.events.sessionEnded(this.#o.name, partition);
    if (!this.#stopped) this.#resubscribe(partition);
  }

  #createService(
    partition: PartitionId,
    ps: PartitionSession,
    key: string,
    then: () => void,
  ): void {
    const session = ps.session;
    if (session === undefined) return then();
    const seq = session.allocate();
    const [namespace, name] = key.split('/') as [string, string];
    const input = sessionCommand(session.id, seq, {
      case: 'createService',
      value: { service: atomicValueService, namespace, name },
    });
    this.#track(ps, {
      partition,
      payload: { kind: 'propose', input },
      deadline: this.#o.scheduler.now + this.#o.opTimeoutMs,
      onReply: (wire) => {
        if (wire.kind !== 'output') return false;
        session.finish(seq);
        const out = wire.output.output?.output;
        if (wire.output.status === Status.OK && out?.case === 'sessionOutput') {
          const created = out.value.output;
          if (created.case === 'createService')
            ps.services.set(key, serviceId(Number(created.value.serviceId)));
        } else {
          this.#statusOfLostSession(partition, ps, session, wire.output);
        }
        then();
        return true;
      },
      onGiveUp: () => {
        session.finish(seq);
        then();
      },
    });
  }

  /** A SESSION_EXPIRED answer ends the session; other failures are reported. */
  #statusOfLostSession(
    partition: PartitionId,
    ps: PartitionSession,
    session: ClientSession,
    output: CommandOutput,
  ): void {
    if (output.status === Status.SESSION_EXPIRED) {
      session.expired();
      this.#expired(partition, ps, session);
    } else if (output.status === Status.STALE) {
      this.#o.violation(`STALE answer to pending command of session ${session.id}`);
    }
  }

  #command(key: string, input: OpInput, done: () => void): void {
    this.#withService(key, (ps, service) => {
      const session = ps.session;
      if (session === undefined || !session.hasCapacity()) return done();
      const partition = this.#o.partitionOf(key);
      const seq = session.allocate();
      const now = this.#o.scheduler.now;
      const handle = this.#o.recorder.invoke({ client: this.#o.name, key, input, time: now });
      const payload = encodeOp(input);
      const body = sessionCommand(session.id, seq, {
        case: 'serviceInput',
        value: { serviceId: BigInt(service), payload },
      });
      this.#track(ps, {
        partition,
        payload: { kind: 'propose', input: body },
        deadline: now + this.#o.opTimeoutMs,
        onReply: (wire) => {
          if (wire.kind !== 'output') return false;
          session.finish(seq);
          const out = wire.output;
          const answer = decodeOp(out.status, servicePayload(out), out.current);
          if (answer !== undefined) {
            this.#o.recorder.ok(handle, answer, this.#o.scheduler.now);
            this.#learnVersion(key, answer);
          } else {
            this.#o.recorder.unknown(handle);
            this.#statusOfLostSession(partition, ps, session, out);
          }
          done();
          return true;
        },
        onGiveUp: (mayHaveApplied) => {
          session.finish(seq);
          if (mayHaveApplied) this.#o.recorder.unknown(handle);
          else this.#o.recorder.fail(handle, this.#o.scheduler.now);
          done();
        },
      });
    });
  }

  #get(key: string, deadline: number, done: (answered: boolean) => void): void {
    const partition = this.#o.partitionOf(key);
    const ps = this.#partition(partition);
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
    this.#track(ps, {
      partition,
      payload: { kind: 'query', input },
      deadline,
      onReply: (wire) => {
        // A unary query's `end` adds nothing (and may overtake its result on the network).
        if (wire.kind !== 'result') return false;
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
        this.#o.recorder.fail(handle, this.#o.scheduler.now);
        done(false);
      },
    });
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
    this.#withService(key, (ps, service) => {
      const session = ps.session;
      if (session === undefined) return;
      const partition = this.#o.partitionOf(key);
      const seq = session.allocate();
      session.startStream(seq);
      const sub = this.#o.events.subscribe(this.#o.name, key, partition);
      const body = sessionCommand(session.id, seq, {
        case: 'serviceInput',
        value: { serviceId: BigInt(service), payload: eventsInput() },
      });
      const stream = this.#track(ps, {
        partition,
        payload: { kind: 'propose', input: body },
        deadline: Number.POSITIVE_INFINITY,
        stream: true,
        onReply: (wire) => {
          if (wire.kind !== 'output' || ps.session !== session) return ps.session !== session;
          const out = wire.output;
          const verdict = session.streamOutput(seq, Number(out.sequenceNum));
          if (verdict === 'duplicate') return false;
          if (verdict === 'gap') {
            // An output went missing on the way (a broken connection): ask again. Everything past
            // the acknowledged position is still cached, so the replay fills the gap.
            stream.retryNow();
            return false;
          }
          if (out.status !== Status.OK) {
            sub.end(Status[out.status] ?? 'unknown');
            session.finish(seq as SequenceNum);
            if (out.status === Status.SESSION_EXPIRED)
              this.#statusOfLostSession(partition, ps, session, out);
            else this.#o.scheduler.after(200, () => this.#subscribe(key));
            return true;
          }
          const payload = servicePayload(out);
          if (payload !== undefined) sub.output(payload, out.index);
          return out.done;
        },
        onGiveUp: () => {},
      });
    });
  }

  #resubscribe(partition: PartitionId): void {
    for (const key of this.#o.subscribe) {
      if (this.#o.partitionOf(key) === partition)
        this.#o.scheduler.after(100, () => this.#subscribe(key));
    }
  }

  #track(ps: PartitionSession, spec: CallSpec): Call {
    const call = new Call(this, {
      ...spec,
      onReply: (wire) => {
        const over = spec.onReply(wire);
        if (over) ps.calls.delete(call);
        return over;
      },
      onGiveUp: (may) => {
        ps.calls.delete(call);
        spec.onGiveUp(may);
      },
    });
    if (!call.over) ps.calls.add(call);
    return call;
  }
}

function sessionCommand(
  session: number,
  seq: number,
  body: MessageInitShape<typeof SessionInputSchema>['input'],
): PartitionInput {
  return create(PartitionInputSchema, {
    input: {
      case: 'sessionInput',
      value: { sessionId: BigInt(session), sequenceNum: BigInt(seq), input: body },
    },
  });
}

/** The service payload of an OK command output. */
function servicePayload(output: CommandOutput): Uint8Array | undefined {
  const session = output.output?.output;
  if (session?.case !== 'sessionOutput') return undefined;
  const service = session.value.output;
  return service.case === 'serviceOutput' ? service.value.payload : undefined;
}
