// A stand-in for the partition state machine, for testing primitives without src/fsm: it owns
// state-machine time and the log index, keeps timers in a (deadline, insertion) order and fires
// them before the entry that passes them, records every stream output, and feeds query sinks.
// Pure (no clock): time moves only when a test says so.

import {
  assert,
  type LogIndex,
  logIndex,
  type ServiceId,
  sequenceNum,
  serviceId,
  sessionId,
  type TimestampMs,
  timestampMs,
} from '../../common/index.js';
import type {
  QuerySink,
  Service,
  ServiceHost,
  ServiceLimits,
  ServiceResult,
  ServiceType,
  StreamId,
  StreamStart,
} from '../../fsm/index.js';

export const defaultLimits: ServiceLimits = {
  valueBytesMax: 1024 * 1024,
  ttlMsMax: 10 * 365 * 24 * 60 * 60 * 1000,
};

export interface Emitted {
  readonly stream: StreamId;
  readonly result: ServiceResult;
}

interface Timer {
  readonly deadline: TimestampMs;
  readonly order: number;
}

export function streamId(session: number, seq: number): StreamId {
  return { session: sessionId(session), seq: sequenceNum(seq) };
}

export function isStreamStart(result: ServiceResult | StreamStart): result is StreamStart {
  return 'stream' in result;
}

export class FakeHost implements ServiceHost {
  readonly id: ServiceId = serviceId(1);
  readonly namespace = 'default';
  readonly name = 'test';
  readonly limits: ServiceLimits;
  /** Every stream output, in emission order. */
  readonly emitted: Emitted[] = [];
  /** The running timers by tag (replicated state of the real fsm). */
  readonly timers = new Map<number, Timer>();
  /** Every timer call, for tests of timer bookkeeping. */
  readonly timerLog: string[] = [];
  #time: TimestampMs;
  #index: LogIndex;
  #timerOrder = 0;
  #service: Service | undefined;

  constructor(options: { timeMs?: number; index?: number; limits?: Partial<ServiceLimits> } = {}) {
    this.#time = timestampMs(options.timeMs ?? 1_000_000);
    this.#index = logIndex(options.index ?? 1);
    this.limits = { ...defaultLimits, ...options.limits };
  }

  /** Creates (or restores) the service under test on this host. */
  start(type: ServiceType, snapshot?: Uint8Array): Service {
    this.#service = snapshot === undefined ? type.create(this) : type.restore(this, snapshot);
    return this.#service;
  }

  get service(): Service {
    assert(this.#service !== undefined, 'FakeHost.start first');
    return this.#service;
  }

  time(): TimestampMs {
    return this.#time;
  }

  index(): LogIndex {
    return this.#index;
  }

  scheduleTimer(deadline: TimestampMs, tag: number): void {
    this.timerLog.push(`schedule ${tag}@${deadline}`);
    this.timers.set(tag, { deadline, order: this.#timerOrder++ });
  }

  cancelTimer(tag: number): void {
    this.timerLog.push(`cancel ${tag}`);
    this.timers.delete(tag);
  }

  emit(stream: StreamId, result: ServiceResult): void {
    this.emitted.push({ stream, result });
  }

  /** The next log entry: index + 1, time moves to `atMs` (never back), due timers fire first. */
  nextEntry(atMs?: number): void {
    this.#index = logIndex(this.#index + 1);
    if (atMs !== undefined && atMs > this.#time) this.#time = timestampMs(atMs);
    this.#fireDue();
  }

  /** Applies one command as the next log entry. */
  command(input: Uint8Array, caller: StreamId, atMs?: number): ServiceResult | StreamStart {
    this.nextEntry(atMs);
    return this.service.command(input, caller);
  }

  /** Runs a query at the current applied index, collecting its outputs. */
  query(input: Uint8Array): FakeSink {
    const sink = new FakeSink(this.#index);
    this.service.query(input, sink);
    return sink;
  }

  /** Outputs emitted to one stream, in order. */
  outputsOf(stream: StreamId): ServiceResult[] {
    return this.emitted
      .filter((e) => e.stream.session === stream.session && e.stream.seq === stream.seq)
      .map((e) => e.result);
  }

  #fireDue(): void {
    for (;;) {
      let next: [number, Timer] | undefined;
      for (const entry of this.timers) {
        const [, t] = entry;
        if (t.deadline > this.#time) continue;
        const best = next?.[1];
        const earlier =
          best === undefined ||
          t.deadline < best.deadline ||
          (t.deadline === best.deadline && t.order < best.order);
        if (earlier) next = entry;
      }
      if (next === undefined) return;
      this.timers.delete(next[0]);
      this.timerLog.push(`fire ${next[0]}`);
      this.service.timer(next[0]);
    }
  }
}

/** A query sink that records what it is sent; `closed` can be flipped by the test. */
export class FakeSink implements QuerySink {
  readonly index: LogIndex;
  readonly outputs: ServiceResult[] = [];
  ended = false;
  closed = false;

  constructor(index: LogIndex) {
    this.index = index;
  }

  next(result: ServiceResult): void {
    assert(!this.ended && !this.closed, 'no output after end or close');
    this.outputs.push(result);
  }

  end(): void {
    assert(!this.ended, 'a sink ends once');
    this.ended = true;
  }
}
