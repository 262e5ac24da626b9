// A tiny test primitive: a counter with a stream command, a timer and a node-local watch query.
// Inputs and outputs are JSON text, so tests read like scripts. Only for tests of the fsm.
//
// Commands: {op:'add', n} → {value}; emits {value} to every stream. {op:'get'} → {value}.
// {op:'stream'} → stream, first {value}. {op:'alarm', tag, at} schedules timer `tag`;
// {op:'cancel', tag}. A fired timer adds 1000 and records {tag, at, time} in `fired`.
// {op:'fail'} → CONFLICT with current {value}. {op:'end'} → ends every stream with CONFLICT.
// {op:'refuse'} → a stream whose first output is INVALID. {op:'throw'} throws (also as a query).
// {op:'early'} emits to its own stream before returning it. Queries: {op:'get'}, {op:'watch'}.

import { assert } from '../../common/index.js';
import { Status } from '../../gen/multiraft/v1/output_pb.js';
import type {
  QuerySink,
  Service,
  ServiceHost,
  ServiceResult,
  ServiceType,
  StreamId,
  StreamStart,
} from '../service.js';

export const counterService = 'test.Counter';

interface CounterState {
  value: number;
  streams: [number, number][];
  alarms: [number, number][];
  fired: { tag: number; at: number; time: number }[];
  closed: [number, number][];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const json = (value: unknown): Uint8Array => encoder.encode(JSON.stringify(value));

export function parse(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(bytes));
  } catch {
    return undefined;
  }
}

const ok = (value: unknown): ServiceResult => ({ status: Status.OK, payload: json(value) });

type Op = { op?: string; n?: number; tag?: number; at?: number };

export class Counter implements Service {
  readonly #host: ServiceHost;
  readonly state: CounterState;
  readonly #sinks: QuerySink[] = [];

  constructor(host: ServiceHost, state?: CounterState) {
    this.#host = host;
    this.state = state ?? { value: 0, streams: [], alarms: [], fired: [], closed: [] };
  }

  command(input: Uint8Array, caller: StreamId): ServiceResult | StreamStart {
    const op = (parse(input) ?? {}) as Op;
    switch (op.op) {
      case 'add':
        this.#set(this.state.value + (op.n ?? 1));
        return ok({ value: this.state.value, index: this.#host.index() });
      case 'get':
        return ok({ value: this.state.value });
      case 'stream':
        this.state.streams.push([caller.session, caller.seq]);
        return { stream: true, first: ok({ value: this.state.value }) };
      case 'early':
        // Emits to its own stream before returning it: the fsm must ignore this.
        this.#host.emit(caller, ok({ early: true }));
        this.state.streams.push([caller.session, caller.seq]);
        return { stream: true, first: ok({ value: this.state.value }) };
      case 'refuse':
        return { stream: true, first: { status: Status.INVALID, message: 'refused' } };
      case 'alarm':
        this.state.alarms = this.state.alarms.filter(([t]) => t !== op.tag);
        this.state.alarms.push([op.tag ?? 0, op.at ?? 0]);
        this.#host.scheduleTimer((op.at ?? 0) as never, op.tag ?? 0);
        return ok({});
      case 'cancel':
        this.state.alarms = this.state.alarms.filter(([t]) => t !== op.tag);
        this.#host.cancelTimer(op.tag ?? 0);
        return ok({});
      case 'throw':
        throw new Error('boom');
      case 'fail':
        return {
          status: Status.CONFLICT,
          message: 'nope',
          current: json({ value: this.state.value }),
        };
      case 'end':
        for (const [session, seq] of [...this.state.streams]) {
          this.#host.emit({ session, seq } as StreamId, {
            status: Status.CONFLICT,
            message: 'end',
          });
        }
        this.state.streams = [];
        return ok({});
      default:
        return { status: Status.INVALID, message: 'unknown op' };
    }
  }

  #set(value: number): void {
    this.state.value = value;
    for (const [session, seq] of [...this.state.streams]) {
      this.#host.emit({ session, seq } as StreamId, ok({ value }));
    }
    for (const sink of this.#sinks) if (!sink.closed) sink.next(ok({ value }));
  }

  query(input: Uint8Array, sink: QuerySink): void {
    const op = (parse(input) ?? {}) as Op;
    if (op.op === 'throw') throw new Error('boom');
    if (op.op === 'watch') {
      this.#sinks.push(sink);
      sink.next(ok({ value: this.state.value }));
      return;
    }
    sink.next(
      op.op === 'get' ? ok({ value: this.state.value }) : { status: Status.INVALID, message: 'op' },
    );
    sink.end();
  }

  timer(tag: number): void {
    const alarm = this.state.alarms.find(([t]) => t === tag);
    assert(alarm !== undefined, 'a fired timer was scheduled');
    this.state.alarms = this.state.alarms.filter(([t]) => t !== tag);
    this.state.fired.push({ tag, at: alarm[1], time: this.#host.time() });
    this.#set(this.state.value + 1000);
  }

  streamClosed(stream: StreamId): void {
    const before = this.state.streams.length;
    this.state.streams = this.state.streams.filter(
      ([s, q]) => s !== stream.session || q !== stream.seq,
    );
    this.state.closed.push([stream.session, stream.seq]);
    assert(this.state.streams.length <= before, 'streams shrink');
  }

  detachSinks(): void {
    for (const sink of this.#sinks.splice(0)) sink.end();
  }

  snapshot(): Uint8Array {
    return json(this.state);
  }
}

/** A counter type that records its instances by service id (the last one per id wins). */
export function trackedCounterType(
  instances: Map<number, Counter>,
  service = counterService,
): ServiceType {
  const track = (counter: Counter, id: number): Counter => {
    instances.set(id, counter);
    return counter;
  };
  return {
    service,
    create: (host) => track(new Counter(host), host.id),
    restore: (host, bytes) => {
      const state = parse(bytes) as CounterState | undefined;
      assert(typeof state?.value === 'number', 'counter state decodes');
      return track(new Counter(host, state), host.id);
    },
  };
}

export const counterType: ServiceType = trackedCounterType(new Map());
