// Property tests: the AtomicValue against a tiny reference model over random operation sequences
// (with TTLs and time moving), snapshot → restore → continue ≡ continue, and Events delivering
// every change exactly once and in order.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ServiceResult, StreamStart } from '../../fsm/index.js';
import {
  decode,
  duration,
  type Plain,
  type PlainValue,
  wire,
} from '../testing/atomic-value-wire.js';
import { FakeHost, type FakeSink, streamId } from '../testing/fake-host.js';
import { AtomicValueType, expiryTimerTag } from './index.js';

const ttlMsMax = 60_000;
const valueBytesMax = 3;
const t0 = 5_000;

type Ttl = { readonly seconds: bigint; readonly nanos: number } | undefined;
type Prev = 'current' | number | bigint;
type Op = { readonly dtMs: number } & (
  | { readonly kind: 'set'; readonly value: string; readonly ttl: Ttl; readonly ifAbsent: boolean }
  | { readonly kind: 'update'; readonly value: string; readonly prev: Prev; readonly ttl: Ttl }
  | { readonly kind: 'delete'; readonly prev: Prev }
  | { readonly kind: 'get' }
  | { readonly kind: 'subscribe'; readonly session: number }
  | { readonly kind: 'close'; readonly pick: number }
);
/** An op with its version and stream resolved against the state it is issued in. */
type Concrete = { readonly dtMs: number } & (
  | Exclude<Op, { kind: 'update' | 'delete' | 'close' }>
  | { readonly kind: 'update'; readonly value: string; readonly prev: bigint; readonly ttl: Ttl }
  | { readonly kind: 'delete'; readonly prev: bigint }
  | { readonly kind: 'close'; readonly stream: readonly [number, number] }
);

const ttlArb: fc.Arbitrary<Ttl> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  {
    weight: 4,
    arbitrary: fc.record({
      seconds: fc.bigInt({ min: 0n, max: 3n }),
      nanos: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 999_999_999 })),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      seconds: fc.oneof(fc.bigInt({ min: -2n, max: 0n }), fc.constant(60n), fc.constant(2n ** 62n)),
      nanos: fc.integer({ min: -2, max: 1_000_000_001 }),
    }),
  },
);
const prevArb: fc.Arbitrary<Prev> = fc.oneof(
  { weight: 4, arbitrary: fc.constant('current' as const) },
  { weight: 2, arbitrary: fc.constant(0) },
  { weight: 2, arbitrary: fc.nat(40) },
  { weight: 1, arbitrary: fc.constant(2n ** 53n) },
);
const valueArb = fc.string({ unit: fc.constantFrom('a', 'b', 'c'), maxLength: 4 });
const dtArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant(0) },
  { weight: 2, arbitrary: fc.nat(2500) },
);

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      dtMs: dtArb,
      kind: fc.constant('set' as const),
      value: valueArb,
      ttl: ttlArb,
      ifAbsent: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      dtMs: dtArb,
      kind: fc.constant('update' as const),
      value: valueArb,
      prev: prevArb,
      ttl: ttlArb,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ dtMs: dtArb, kind: fc.constant('delete' as const), prev: prevArb }),
  },
  { weight: 1, arbitrary: fc.record({ dtMs: dtArb, kind: fc.constant('get' as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      dtMs: dtArb,
      kind: fc.constant('subscribe' as const),
      session: fc.integer({ min: 1, max: 3 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ dtMs: dtArb, kind: fc.constant('close' as const), pick: fc.nat(5) }),
  },
);

interface ModelValue {
  readonly value: string;
  readonly index: number;
  readonly expire: number | undefined;
}

/** The reference: the semantics of DESIGN §4 written as plainly as possible. */
class Model {
  time = t0;
  index = 1;
  value: ModelValue | undefined;
  /** Running streams as "session:seq", kept in (session, seq) order. */
  streams: [number, number][] = [];
  /** Every stream output in emission order. */
  emitted: [string, Plain][] = [];
  watch: Plain[] = [{ status: 'OK', output: { watch: null } }];

  entry(dtMs: number): void {
    this.index += 1;
    this.time += dtMs;
    const value = this.value;
    if (value?.expire !== undefined && value.expire <= this.time) {
      this.value = undefined;
      this.#change({ deleted: plain(value), expired: true });
    }
  }

  apply(op: Concrete, seq: number): Plain {
    switch (op.kind) {
      case 'get':
        return this.value === undefined
          ? { status: 'NOT_FOUND' }
          : { status: 'OK', output: { get: plain(this.value) } };
      case 'set':
        return this.#set(op.value, op.ttl, op.ifAbsent);
      case 'update':
        return this.#update(op.value, op.prev, op.ttl);
      case 'delete':
        return this.#delete(op.prev);
      case 'subscribe':
        this.streams.push([op.session, seq]);
        this.streams.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        return { status: 'OK', output: { events: null } };
      case 'close':
        this.streams = this.streams.filter(([a, b]) => a !== op.stream[0] || b !== op.stream[1]);
        return { status: 'OK', output: null };
    }
  }

  #set(value: string, ttl: Ttl, ifAbsent: boolean): Plain {
    const ms = ttlToMs(ttl);
    if (value.length > valueBytesMax || ms === 'invalid') return { status: 'INVALID' };
    const previous = this.value;
    if (ifAbsent && previous) return { status: 'ALREADY_EXISTS', current: plain(previous) };
    this.#write(value, ms);
    const now = plain(this.value!);
    this.#change(previous ? { updated: now, prev: plain(previous) } : { created: now });
    return { status: 'OK', output: { set: this.index } };
  }

  #update(value: string, prev: bigint, ttl: Ttl): Plain {
    const ms = ttlToMs(ttl);
    if (value.length > valueBytesMax || ms === 'invalid') return { status: 'INVALID' };
    if (prev > BigInt(Number.MAX_SAFE_INTEGER)) return { status: 'INVALID' };
    const previous = this.value;
    if (!previous) return { status: 'NOT_FOUND' };
    if (prev !== 0n && prev !== BigInt(previous.index)) {
      return { status: 'CONFLICT', current: plain(previous) };
    }
    this.#write(value, ms);
    this.#change({ updated: plain(this.value!), prev: plain(previous) });
    return { status: 'OK', output: { update: this.index, prev: plain(previous) } };
  }

  #delete(prev: bigint): Plain {
    if (prev > BigInt(Number.MAX_SAFE_INTEGER)) return { status: 'INVALID' };
    const previous = this.value;
    if (!previous) return { status: 'NOT_FOUND' };
    if (prev !== 0n && prev !== BigInt(previous.index)) {
      return { status: 'CONFLICT', current: plain(previous) };
    }
    this.value = undefined;
    this.#change({ deleted: plain(previous), expired: false });
    return { status: 'OK', output: { delete: plain(previous) } };
  }

  #write(value: string, ttlMs: number): void {
    this.value = { value, index: this.index, expire: ttlMs > 0 ? this.time + ttlMs : undefined };
  }

  #change(event: unknown): void {
    for (const [session, seq] of this.streams) {
      this.emitted.push([`${session}:${seq}`, { status: 'OK', output: { events: event } }]);
    }
    const now = this.value;
    this.watch.push({ status: 'OK', output: { watch: now ? plain(now) : null } });
  }
}

function plain(value: ModelValue): PlainValue {
  return { value: value.value, index: value.index };
}

/** TTL in ms computed in bigint nanoseconds: ceil(total / 1e6); 'invalid' when out of range. */
function ttlToMs(ttl: Ttl): number | 'invalid' {
  if (ttl === undefined) return 0;
  if (ttl.seconds < 0n || ttl.nanos < 0 || ttl.nanos > 999_999_999) return 'invalid';
  const totalNanos = ttl.seconds * 1_000_000_000n + BigInt(ttl.nanos);
  const ms = (totalNanos + 999_999n) / 1_000_000n;
  return ms > BigInt(ttlMsMax) ? 'invalid' : Number(ms);
}

/** Drives a FakeHost with ops, resolving 'current' versions and stream picks from its state. */
class Runner {
  readonly host: FakeHost;
  /** Streams subscribed and not closed, in subscription order. */
  live: [number, number][] = [];
  seq = 0;

  constructor(host: FakeHost) {
    this.host = host;
  }

  resolve(op: Op): Concrete {
    const current = () => {
      const result = decode(this.host.query(wire.get()).outputs[0]!);
      const output = result.status === 'OK' ? (result as { output: { get: PlainValue } }) : null;
      return BigInt(output?.output.get.index ?? 0);
    };
    const prev = (p: Prev) => (p === 'current' ? current() : BigInt(p));
    switch (op.kind) {
      case 'update':
        return { ...op, prev: prev(op.prev) };
      case 'delete':
        return { ...op, prev: prev(op.prev) };
      case 'close':
        return {
          dtMs: op.dtMs,
          kind: 'close',
          stream: this.live[op.pick % this.live.length] ?? [0, 0],
        };
      default:
        return op;
    }
  }

  /** Applies one concrete op as the next entry at `atMs`; undefined for a close. */
  apply(op: Concrete, atMs: number): ServiceResult | StreamStart | undefined {
    this.seq += 1;
    if (op.kind === 'close') {
      this.host.nextEntry(atMs);
      this.live = this.live.filter(([a, b]) => a !== op.stream[0] || b !== op.stream[1]);
      this.host.service.streamClosed(streamId(op.stream[0], op.stream[1]));
      return undefined;
    }
    const session = op.kind === 'subscribe' ? op.session : 9;
    if (op.kind === 'subscribe') this.live.push([session, this.seq]);
    return this.host.command(encode(op), streamId(session, this.seq), atMs);
  }
}

function encode(op: Concrete): Uint8Array {
  const ttl = (t: Ttl) => (t === undefined ? {} : { ttl: duration(t.seconds, t.nanos) });
  switch (op.kind) {
    case 'set':
      return wire.set(op.value, { ifAbsent: op.ifAbsent, ...ttl(op.ttl) });
    case 'update':
      return wire.update(op.value, op.prev, op.ttl && duration(op.ttl.seconds, op.ttl.nanos));
    case 'delete':
      return wire.delete(op.prev);
    case 'get':
      return wire.get();
    case 'subscribe':
      return wire.events();
    case 'close':
      return wire.get();
  }
}

function newHost(timeMs = t0, index = 1): FakeHost {
  return new FakeHost({ timeMs, index, limits: { ttlMsMax, valueBytesMax } });
}

const emittedOf = (host: FakeHost, from = 0) =>
  host.emitted.slice(from).map((e) => [`${e.stream.session}:${e.stream.seq}`, decode(e.result)]);

const opsArb = fc.array(opArb, { maxLength: 80, size: 'large' });

describe('AtomicValue properties', () => {
  it('matches the reference model over random operation sequences', () => {
    fc.assert(
      fc.property(opsArb, (ops) => {
        const host = newHost();
        host.start(AtomicValueType);
        const runner = new Runner(host);
        const model = new Model();
        const watcher: FakeSink = host.query(wire.watch());
        for (const op of ops) {
          const concrete = runner.resolve(op);
          model.entry(op.dtMs);
          const expected = model.apply(concrete, runner.seq + 1);
          const actual = runner.apply(concrete, model.time);
          if (actual !== undefined) expect(decode(actual)).toEqual(expected);
          expect(host.time()).toBe(model.time);
        }
        expect(emittedOf(host)).toEqual(model.emitted);
        expect(watcher.outputs.map((r) => decode(r))).toEqual(model.watch);
        const timer = host.timers.get(expiryTimerTag);
        expect(timer?.deadline).toBe(model.value?.expire);
      }),
      { numRuns: 100 },
    );
  });

  it('snapshot → restore → continue equals continuing', () => {
    fc.assert(
      fc.property(opsArb, opsArb, (before, after) => {
        const a = newHost();
        a.start(AtomicValueType);
        const runA = new Runner(a);
        for (const op of before) runA.apply(runA.resolve(op), a.time() + op.dtMs);
        const bytes = a.service.snapshot();
        const b = newHost(a.time(), a.index());
        b.start(AtomicValueType, bytes);
        // The fsm restores its timers with the snapshot; the fake host's are copied here.
        for (const [tag, timer] of a.timers) b.scheduleTimer(timer.deadline, tag);
        expect(b.service.snapshot()).toEqual(bytes);
        const runB = new Runner(b);
        runB.live = [...runA.live];
        runB.seq = runA.seq;
        const emittedA = a.emitted.length;
        for (const op of after) {
          const concrete = runA.resolve(op);
          expect(runB.resolve(op)).toEqual(concrete);
          const atMs = a.time() + op.dtMs;
          const resultA = runA.apply(concrete, atMs);
          const resultB = runB.apply(concrete, atMs);
          expect(resultB).toEqual(resultA);
          expect(b.service.snapshot()).toEqual(a.service.snapshot());
        }
        expect(b.emitted).toEqual(a.emitted.slice(emittedA));
        expect([...b.timers.values()].map((t) => t.deadline)).toEqual(
          [...a.timers.values()].map((t) => t.deadline),
        );
      }),
      { numRuns: 200 },
    );
  });

  it('Events delivers every change exactly once and in order', () => {
    fc.assert(
      fc.property(opsArb, (ops) => {
        const host = newHost();
        host.start(AtomicValueType);
        const runner = new Runner(host);
        // What each stream saw as the value when it subscribed.
        const start = new Map<string, PlainValue | undefined>();
        for (const op of ops) {
          const concrete = runner.resolve(op);
          const result = runner.apply(concrete, host.time() + op.dtMs);
          if (op.kind === 'subscribe' && result !== undefined) {
            const got = decode(host.query(wire.get()).outputs[0]!);
            const value = got.status === 'OK' ? (got as { output: { get: PlainValue } }) : null;
            start.set(`${op.session}:${runner.seq}`, value?.output.get);
          }
        }
        const final = decode(host.query(wire.get()).outputs[0]!);
        const finalValue =
          final.status === 'OK' ? (final as { output: { get: PlainValue } }) : null;
        for (const [key, initial] of start) {
          const [session, seq] = key.split(':').map(Number) as [number, number];
          const closed = !runner.live.some(([a, b]) => a === session && b === seq);
          const seen = host.outputsOf(streamId(session, seq)).map((r) => decode(r));
          const state = replay(initial, seen);
          if (!closed) expect(state).toEqual(finalValue?.output.get);
        }
      }),
      { numRuns: 200 },
    );
  });
});

/**
 * Folds a stream's events over the value it started from. Each event must follow from the state
 * the previous ones left: a lost event or a duplicate breaks the chain and fails the test.
 */
function replay(initial: PlainValue | undefined, seen: Plain[]): PlainValue | undefined {
  let state = initial;
  let version = initial?.index ?? 0;
  for (const result of seen) {
    expect(result.status).toBe('OK');
    const event = (result as { output: { events: Record<string, PlainValue> } }).output.events;
    if ('created' in event) {
      expect(state).toBeUndefined();
      state = event.created;
    } else if ('updated' in event) {
      expect(event.prev).toEqual(state);
      state = event.updated;
    } else {
      expect(event.deleted).toEqual(state);
      state = undefined;
    }
    if (state !== undefined) {
      expect(state.index).toBeGreaterThan(version);
      version = state.index;
    }
  }
  return state;
}
