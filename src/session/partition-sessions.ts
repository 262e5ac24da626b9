// One client session per partition (DESIGN §3), for a client that calls primitives by name: the
// session is opened on first use, kept alive, and replaced after it expires; primitives are created
// on the session once and their service ids remembered; commands carry the session's sequence
// numbers (so a retried command executes once); stream commands deliver their outputs in order,
// exactly once, re-requesting the replay when one went missing. Pure: calls go through a CallHost
// and time through its timers. The server's gateway and the simulator's clients run it.

import { create } from '@bufbuild/protobuf';
import {
  assert,
  Backoff,
  type PartitionId,
  type SequenceNum,
  type ServiceId,
  serviceId,
  sessionId,
} from '../common/index.js';
import {
  type PartitionInput,
  PartitionInputSchema,
  type SessionInput,
} from '../gen/atomix/multiraft/v1/fsm_pb.js';
import { type CommandOutput, Status } from '../gen/multiraft/v1/output_pb.js';
import { Call, type CallHost, type CallSpec } from './call.js';
import { ClientSession } from './client-session.js';
import { keepAliveInput } from './keep-alive.js';

/** A primitive by name, as the state machine creates it. */
export interface PrimitiveName {
  /** The primitive type's service name (e.g. the AtomicValue's). */
  readonly service: string;
  readonly namespace: string;
  readonly name: string;
}

export interface PartitionSessionsOptions {
  readonly host: CallHost;
  readonly sessionTimeoutMs: number;
  /** Default a quarter of the timeout. */
  readonly keepAliveIntervalMs?: number;
  /** How long opening a session or creating a primitive may take per try. */
  readonly setupTimeoutMs: number;
  /** How often each session checks its keep-alive and expiry. Default 50 ms. */
  readonly pollMs?: number;
  /** Commands (and streams) in flight per session; a call beyond it fails RESOURCE_EXHAUSTED. */
  readonly pendingMax?: number;
  /** The session of `partition` expired: every stream on it has ended. */
  readonly onSessionLost?: (partition: PartitionId) => void;
}

/** Why a call ended without (or before) its answer. */
export type SessionCallFailure =
  | {
      /** Nothing was sent: no session or primitive in time, a limit, or the client stopped. */
      readonly code: 'UNAVAILABLE' | 'RESOURCE_EXHAUSTED' | 'CLOSED';
      readonly mayHaveApplied: false;
    }
  | {
      /** Sent, unanswered by the deadline (or the client stopped): it may have happened. */
      readonly code: 'DEADLINE_EXCEEDED' | 'CLOSED';
      readonly mayHaveApplied: boolean;
    }
  | {
      /** The session expired: a stream may have missed outputs. */
      readonly code: 'SESSION_EXPIRED';
      readonly mayHaveApplied: boolean;
    };

export interface CommandHandlers {
  /** The answer, whatever its status (SESSION_EXPIRED also ends the session). */
  output(output: CommandOutput): void;
  failed(failure: SessionCallFailure): void;
}

export interface StreamHandlers {
  /** The next OK output of the stream, in order and once; `done` on the last. */
  output(output: CommandOutput): void;
  /** The stream ended with a status other than OK. */
  ended(status: Exclude<Status, Status.OK>, message: string): void;
  failed(failure: SessionCallFailure): void;
}

/** A call in progress; `cancel()` stops it and releases its sequence number. */
export interface SessionCall {
  cancel(): void;
}

/** A call sent on a session, with its number. */
interface Sent {
  readonly call: Call;
  readonly seq: SequenceNum;
  /** Over on this client: the number is released (retired by the next keep-alive). */
  finish(): void;
  /** Stops the call (no handler runs) and releases its number. */
  cancel(): void;
}

interface Waiter {
  readonly deadline: number;
  /** The session and its primitive are ready (or the waiter failed). */
  ready(session: ClientSession, service: ServiceId): void;
  failed(failure: SessionCallFailure): void;
}

/** The session of one partition and what runs on it. */
interface PartitionState {
  phase: 'closed' | 'opening' | 'open';
  session: ClientSession | undefined;
  readonly services: Map<string, ServiceId>;
  /** Primitives being created, with who waits for them. */
  readonly creating: Map<string, Waiter[]>;
  /** Calls waiting for the session to open. */
  waiting: { readonly primitive: PrimitiveName; readonly waiter: Waiter }[];
  keepAlive: Call | undefined;
  /** Calls in progress on the current session, with what ends them when it is lost. */
  readonly calls: Map<Call, (failure: SessionCallFailure) => void>;
  /** Failed opens in a row, for the back-off. */
  openFailures: number;
}

export class PartitionSessions {
  readonly #o: PartitionSessionsOptions;
  readonly #pollMs: number;
  /** Between failed attempts to open a partition's session. */
  readonly #openBackoff: Backoff;
  readonly #partitions = new Map<PartitionId, PartitionState>();
  #stopped = false;
  #sessionsOpened = 0;
  #sessionsExpired = 0;

  constructor(options: PartitionSessionsOptions) {
    assert(options.sessionTimeoutMs > 0, 'the session timeout must be positive');
    assert(options.setupTimeoutMs > 0, 'the setup timeout must be positive');
    this.#o = options;
    this.#pollMs = options.pollMs ?? 50;
    this.#openBackoff = new Backoff(() => options.host.random.float(), {
      baseMs: 50,
      maxMs: 1_000,
      jitter: 'equal',
    });
  }

  /** Sessions opened so far. */
  get sessionsOpened(): number {
    return this.#sessionsOpened;
  }

  /** Sessions found expired so far. */
  get sessionsExpired(): number {
    return this.#sessionsExpired;
  }

  /** Open sessions. */
  get openCount(): number {
    let n = 0;
    for (const p of this.#partitions.values()) if (p.phase === 'open') n++;
    return n;
  }

  /**
   * Runs a unary command on the primitive; `deadline` in the host's time. Exactly one handler
   * runs, by the deadline at the latest (a Call checks it only between attempts, so the deadline
   * is kept here), unless the call is cancelled first.
   */
  command(
    partition: PartitionId,
    primitive: PrimitiveName,
    payload: Uint8Array,
    deadline: number,
    handlers: CommandHandlers,
  ): SessionCall {
    const timers = this.#o.host.timers;
    let sent: Sent | undefined;
    let settled = false;
    const settle = (then: () => void) => {
      if (settled) return;
      settled = true;
      timer.cancel();
      then();
    };
    const timer = timers.after(Math.max(0, deadline - timers.now), () =>
      settle(() => {
        sent?.cancel();
        handlers.failed({ code: 'DEADLINE_EXCEEDED', mayHaveApplied: sent !== undefined });
      }),
    );
    this.#withService(partition, primitive, {
      deadline,
      failed: (failure) => settle(() => handlers.failed(failure)),
      ready: (session, service) => {
        if (settled) return;
        if (!session.hasCapacity()) return settle(() => handlers.failed(resourceExhausted));
        sent = this.#send(partition, session, service, payload, {
          deadline,
          lost: (failure) => settle(() => handlers.failed(failure)),
          onOutput: (out) => {
            sent?.finish();
            settle(() => handlers.output(out));
            if (out.status === Status.SESSION_EXPIRED) this.#lost(partition, session);
            return true;
          },
          onGiveUp: (mayHaveApplied) =>
            settle(() => handlers.failed({ code: 'DEADLINE_EXCEEDED', mayHaveApplied })),
        });
      },
    });
    return { cancel: () => settle(() => sent?.cancel()) };
  }

  /** Makes sure the primitive exists (creates it on this partition's session if need be). */
  ensure(
    partition: PartitionId,
    primitive: PrimitiveName,
    deadline: number,
    handlers: { ready(): void; failed(failure: SessionCallFailure): void },
  ): void {
    this.#withService(partition, primitive, {
      deadline,
      ready: () => handlers.ready(),
      failed: (failure) => handlers.failed(failure),
    });
  }

  /**
   * Runs a stream command on the primitive (e.g. the AtomicValue's events) until it ends, fails
   * or is cancelled. Waits for a session as long as it takes.
   */
  stream(
    partition: PartitionId,
    primitive: PrimitiveName,
    payload: Uint8Array,
    handlers: StreamHandlers,
  ): SessionCall {
    let cancelled = false;
    let sent: Sent | undefined;
    this.#withService(partition, primitive, {
      deadline: Number.POSITIVE_INFINITY,
      failed: (failure) => handlers.failed(failure),
      ready: (session, service) => {
        if (cancelled) return;
        if (!session.hasCapacity()) return handlers.failed(resourceExhausted);
        sent = this.#send(partition, session, service, payload, {
          deadline: Number.POSITIVE_INFINITY,
          stream: true,
          lost: (failure) => handlers.failed(failure),
          onOutput: (out) => {
            const verdict = session.streamOutput(sent!.seq, Number(out.sequenceNum));
            if (verdict === 'duplicate') return false;
            if (verdict === 'gap') {
              // An output went missing on the way (a broken connection): ask again. Everything
              // past the acknowledged position is still cached, so the replay fills the gap.
              sent!.call.retryNow();
              return false;
            }
            if (out.status !== Status.OK) {
              sent!.finish();
              if (out.status === Status.SESSION_EXPIRED) {
                handlers.failed({ code: 'SESSION_EXPIRED', mayHaveApplied: true });
                this.#lost(partition, session);
              } else {
                handlers.ended(out.status, out.message);
              }
              return true;
            }
            if (out.done) sent!.finish();
            handlers.output(out);
            return out.done;
          },
          onGiveUp: () => {},
        });
      },
    });
    return {
      cancel: () => {
        cancelled = true;
        // The next keep-alive retires the number, which ends the stream on the leader.
        sent?.cancel();
      },
    };
  }

  /**
   * Closes every open session (a CloseSession command each, `deadline` in the host's time) and
   * stops. `done` runs when every close was answered or gave up. Calls still waiting fail CLOSED.
   */
  close(deadline: number, done: () => void): void {
    const closing: { partition: PartitionId; session: ClientSession }[] = [];
    for (const [partition, p] of this.#partitions) {
      if (p.phase === 'open' && p.session !== undefined) {
        closing.push({ partition, session: p.session });
      }
    }
    this.stop();
    let left = closing.length;
    if (left === 0) return done();
    const closed = () => {
      if (--left === 0) done();
    };
    for (const { partition, session } of closing) {
      const input = create(PartitionInputSchema, {
        input: { case: 'closeSession', value: { sessionId: BigInt(session.id) } },
      });
      new Call(this.#o.host, {
        partition,
        payload: { kind: 'propose', input },
        deadline,
        onReply: (reply) => {
          if (reply.kind !== 'output') return false;
          closed();
          return true;
        },
        onGiveUp: closed,
      });
    }
  }

  /** Stops without closing: no more keep-alives; every call in progress fails CLOSED. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const p of this.#partitions.values()) {
      p.session?.close();
      p.session = undefined;
      p.phase = 'closed';
      p.keepAlive?.abandon();
      const calls = [...p.calls];
      p.calls.clear();
      for (const [call, fail] of calls) {
        call.abandon();
        fail({ code: 'CLOSED', mayHaveApplied: true });
      }
      const waiting = [...p.waiting.map((w) => w.waiter), ...[...p.creating.values()].flat()];
      p.waiting = [];
      p.creating.clear();
      for (const waiter of waiting) waiter.failed({ code: 'CLOSED', mayHaveApplied: false });
    }
  }

  /**
   * Sends a call of service `service` under the next number of `session`. `onOutput` gets the
   * command's outputs and says when the call is over; `lost` runs if the session goes first.
   */
  #send(
    partition: PartitionId,
    session: ClientSession,
    service: ServiceId,
    payload: Uint8Array,
    spec: {
      readonly deadline: number;
      readonly stream?: boolean;
      readonly lost: (failure: SessionCallFailure) => void;
      readonly onOutput: (output: CommandOutput) => boolean;
      readonly onGiveUp: (mayHaveApplied: boolean) => void;
    },
  ): Sent {
    const seq = session.allocate();
    if (spec.stream) session.startStream(seq);
    const input = sessionCommand(session.id, seq, {
      case: 'serviceInput',
      value: { $typeName: 'atomix.multiraft.v1.ServiceInput', serviceId: BigInt(service), payload },
    });
    // The call is over on this client: its number goes out with the next keep-alive.
    const finish = () => {
      session.finish(seq);
      this.#untrack(partition, call);
    };
    const call: Call = this.#track(
      partition,
      session,
      (failure) => {
        session.finish(seq);
        spec.lost(failure);
      },
      {
        partition,
        payload: { kind: 'propose', input },
        deadline: spec.deadline,
        ...(spec.stream ? { stream: true } : {}),
        onReply: (reply) => reply.kind === 'output' && spec.onOutput(reply.output),
        onGiveUp: (mayHaveApplied) => {
          session.finish(seq);
          spec.onGiveUp(mayHaveApplied);
        },
      },
    );
    return {
      call,
      seq,
      finish,
      cancel: () => {
        if (call.over) return;
        call.abandon();
        finish();
      },
    };
  }

  #withService(partition: PartitionId, primitive: PrimitiveName, waiter: Waiter): void {
    if (this.#stopped) return waiter.failed({ code: 'CLOSED', mayHaveApplied: false });
    const p = this.#partition(partition);
    if (p.phase !== 'open' || p.session === undefined) {
      p.waiting.push({ primitive, waiter });
      if (p.phase === 'closed') this.#open(partition, p);
      return;
    }
    const key = keyOf(primitive);
    const service = p.services.get(key);
    if (service !== undefined) return waiter.ready(p.session, service);
    const waiters = p.creating.get(key);
    if (waiters !== undefined) {
      waiters.push(waiter);
      return;
    }
    p.creating.set(key, [waiter]);
    this.#create(partition, p, p.session, primitive);
  }

  #partition(partition: PartitionId): PartitionState {
    let p = this.#partitions.get(partition);
    if (p === undefined) {
      p = {
        phase: 'closed',
        session: undefined,
        services: new Map(),
        creating: new Map(),
        waiting: [],
        keepAlive: undefined,
        calls: new Map(),
        openFailures: 0,
      };
      this.#partitions.set(partition, p);
    }
    return p;
  }

  #open(partition: PartitionId, p: PartitionState): void {
    p.phase = 'opening';
    const host = this.#o.host;
    const sentAt = host.timers.now;
    const input = create(PartitionInputSchema, {
      input: { case: 'openSession', value: { timeoutMs: BigInt(this.#o.sessionTimeoutMs) } },
    });
    const failed = () => {
      p.phase = 'closed';
      p.openFailures++;
      this.#failOverdue(p);
      host.timers.after(this.#openBackoff.delayMs(p.openFailures - 1), () => {
        if (!this.#stopped && p.phase === 'closed' && p.waiting.length > 0) {
          this.#open(partition, p);
        }
      });
    };
    new Call(host, {
      partition,
      payload: { kind: 'propose', input },
      deadline: sentAt + this.#o.setupTimeoutMs,
      onReply: (reply) => {
        if (reply.kind !== 'output') return false;
        const out = reply.output.output?.output;
        if (this.#stopped) return true;
        if (reply.output.status !== Status.OK || out?.case !== 'openSession') failed();
        else this.#opened(partition, p, Number(out.value.sessionId), sentAt);
        return true;
      },
      // A session opened without us hearing of it expires on its own.
      onGiveUp: () => {
        if (!this.#stopped) failed();
      },
    });
  }

  #opened(partition: PartitionId, p: PartitionState, id: number, sentAt: number): void {
    // The default expiry margin (a tenth of the timeout) absorbs the nodes' clock drift.
    const session = new ClientSession(sessionId(id), sentAt, {
      timeoutMs: this.#o.sessionTimeoutMs,
      keepAliveIntervalMs: this.#o.keepAliveIntervalMs ?? Math.floor(this.#o.sessionTimeoutMs / 4),
      ...(this.#o.pendingMax === undefined ? {} : { pendingMax: this.#o.pendingMax }),
    });
    p.session = session;
    p.phase = 'open';
    p.openFailures = 0;
    p.services.clear();
    this.#sessionsOpened++;
    this.#keepAliveLoop(partition, p, session);
    const waiting = p.waiting;
    p.waiting = [];
    for (const { primitive, waiter } of waiting) this.#withService(partition, primitive, waiter);
  }

  #keepAliveLoop(partition: PartitionId, p: PartitionState, session: ClientSession): void {
    const host = this.#o.host;
    host.timers.after(this.#pollMs, () => {
      if (this.#stopped || p.session !== session) return;
      const now = host.timers.now;
      if (session.checkExpired(now)) return this.#lost(partition, session);
      if (p.keepAlive === undefined && session.keepAliveDue(now)) {
        const input = create(PartitionInputSchema, {
          input: { case: 'keepAlive', value: keepAliveInput(session.keepAlive(now)) },
        });
        p.keepAlive = new Call(host, {
          partition,
          payload: { kind: 'propose', input },
          deadline: now + session.keepAliveIntervalMs * 2,
          onReply: (reply) => {
            if (reply.kind !== 'output') return false;
            p.keepAlive = undefined;
            if (reply.output.status === Status.OK) session.keepAliveSucceeded(now);
            else if (reply.output.status === Status.SESSION_EXPIRED) this.#lost(partition, session);
            return true;
          },
          onGiveUp: () => {
            p.keepAlive = undefined;
          },
        });
      }
      this.#keepAliveLoop(partition, p, session);
    });
  }

  #create(
    partition: PartitionId,
    p: PartitionState,
    session: ClientSession,
    primitive: PrimitiveName,
  ): void {
    const key = keyOf(primitive);
    const settle = (then: (waiter: Waiter) => void) => {
      const waiters = p.creating.get(key) ?? [];
      p.creating.delete(key);
      for (const waiter of waiters) then(waiter);
    };
    if (!session.hasCapacity()) return settle((w) => w.failed(resourceExhausted));
    const seq = session.allocate();
    const input = sessionCommand(session.id, seq, {
      case: 'createService',
      value: {
        $typeName: 'atomix.multiraft.v1.CreateServiceInput',
        service: primitive.service,
        namespace: primitive.namespace,
        name: primitive.name,
      },
    });
    const retry = () =>
      settle((w) => {
        if (this.#o.host.timers.now >= w.deadline) w.failed(unavailable);
        else this.#withService(partition, primitive, w);
      });
    const call: Call = this.#track(partition, session, () => retry(), {
      partition,
      payload: { kind: 'propose', input },
      deadline: this.#o.host.timers.now + this.#o.setupTimeoutMs,
      onReply: (reply) => {
        if (reply.kind !== 'output') return false;
        session.finish(seq);
        this.#untrack(partition, call);
        const out = reply.output;
        const created = out.output?.output;
        if (
          out.status === Status.OK &&
          created?.case === 'sessionOutput' &&
          created.value.output.case === 'createService'
        ) {
          const service = serviceId(Number(created.value.output.value.serviceId));
          if (p.session === session) p.services.set(key, service);
          settle((w) => w.ready(session, service));
          return true;
        }
        if (out.status === Status.SESSION_EXPIRED) this.#lost(partition, session);
        // The waiters try again on the current session, or fail when past their deadline.
        retry();
        return true;
      },
      onGiveUp: () => {
        session.finish(seq);
        retry();
      },
    });
  }

  /** Waiters whose deadline passed while no session could be opened fail UNAVAILABLE. */
  #failOverdue(p: PartitionState): void {
    const now = this.#o.host.timers.now;
    const overdue = p.waiting.filter((w) => now >= w.waiter.deadline);
    p.waiting = p.waiting.filter((w) => now < w.waiter.deadline);
    for (const { waiter } of overdue) waiter.failed(unavailable);
  }

  /** The session is gone: its calls end, and the next use opens a new one. */
  #lost(partition: PartitionId, session: ClientSession): void {
    const p = this.#partitions.get(partition);
    session.expired();
    if (p === undefined || p.session !== session) return;
    this.#sessionsExpired++;
    p.session = undefined;
    p.phase = 'closed';
    p.services.clear();
    p.keepAlive?.abandon();
    p.keepAlive = undefined;
    const calls = [...p.calls];
    p.calls.clear();
    for (const [call, fail] of calls) {
      call.abandon();
      fail({ code: 'SESSION_EXPIRED', mayHaveApplied: true });
    }
    this.#o.onSessionLost?.(partition);
    if (p.phase === 'closed' && p.waiting.length > 0 && !this.#stopped) this.#open(partition, p);
  }

  /** Starts `spec` as a call of `session`; `lost` ends it if the session goes first. */
  #track(
    partition: PartitionId,
    session: ClientSession,
    lost: (failure: SessionCallFailure) => void,
    spec: CallSpec,
  ): Call {
    const p = this.#partition(partition);
    // A call past its deadline gives up inside its constructor, before `call` is assigned.
    let call: Call | undefined;
    call = new Call(this.#o.host, {
      ...spec,
      onReply: (reply) => {
        const over = spec.onReply(reply);
        if (over && call !== undefined) p.calls.delete(call);
        return over;
      },
      onGiveUp: (mayHaveApplied) => {
        if (call !== undefined) p.calls.delete(call);
        spec.onGiveUp(mayHaveApplied);
      },
    });
    if (!call.over && p.session === session) p.calls.set(call, lost);
    return call;
  }

  #untrack(partition: PartitionId, call: Call): void {
    this.#partitions.get(partition)?.calls.delete(call);
  }
}

const resourceExhausted: SessionCallFailure = { code: 'RESOURCE_EXHAUSTED', mayHaveApplied: false };
const unavailable: SessionCallFailure = { code: 'UNAVAILABLE', mayHaveApplied: false };

const keyOf = (p: PrimitiveName): string => `${p.service}\u0000${p.namespace}\u0000${p.name}`;

/** A session command as a message literal, not create(): the SDK builds one per write. */
function sessionCommand(
  session: number,
  seq: SequenceNum,
  body: SessionInput['input'],
): PartitionInput {
  return {
    $typeName: 'atomix.multiraft.v1.PartitionInput',
    input: {
      case: 'sessionInput',
      value: {
        $typeName: 'atomix.multiraft.v1.SessionInput',
        sessionId: BigInt(session),
        sequenceNum: BigInt(seq),
        input: body,
      },
    },
  };
}

/** The service payload of an OK command output. */
export function servicePayload(output: CommandOutput): Uint8Array | undefined {
  const session = output.output?.output;
  if (session?.case !== 'sessionOutput') return undefined;
  const service = session.value.output;
  return service.case === 'serviceOutput' ? service.value.payload : undefined;
}
