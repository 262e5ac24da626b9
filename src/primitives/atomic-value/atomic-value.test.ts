// Scripted tests: a sequence of inputs with the expected outputs, for every operation and error.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AssertionError } from '../../common/index.js';
import type { ServiceLimits } from '../../fsm/index.js';
import { decode, duration, wire } from '../testing/atomic-value-wire.js';
import { FakeHost, FakeSink, isStreamStart, streamId } from '../testing/fake-host.js';
import { AtomicValueType, expiryTimerTag } from './index.js';

const t0 = 1_000_000;
const tenYearsMs = 10 * 365 * 24 * 60 * 60 * 1000;

function setup(options: { limits?: Partial<ServiceLimits> } = {}) {
  const host = new FakeHost({ timeMs: t0, index: 1, ...options });
  host.start(AtomicValueType);
  let seq = 100;
  /** Applies a command as the next entry (index + 1), optionally at a later time. */
  const run = (input: Uint8Array, atMs?: number) =>
    decode(host.command(input, streamId(7, seq++), atMs));
  const subscribe = (session: number, s: number) => {
    const start = host.command(wire.events(), streamId(session, s));
    expect(isStreamStart(start)).toBe(true);
    return decode(start);
  };
  const events = (session: number, s: number) =>
    host.outputsOf(streamId(session, s)).map((r) => decode(r));
  const get = () => decode(host.query(wire.get()).outputs[0]!);
  return { host, run, subscribe, events, get };
}

const okSet = (index: number) => ({ status: 'OK', output: { set: index } });
const v = (value: string, index: number) => ({ value, index });

describe('get', () => {
  it('answers NOT_FOUND without a value, the value and version with one', () => {
    const { run, get } = setup();
    expect(run(wire.get())).toEqual({ status: 'NOT_FOUND' });
    expect(get()).toEqual({ status: 'NOT_FOUND' });
    expect(run(wire.set('a'))).toEqual(okSet(3));
    expect(run(wire.get())).toEqual({ status: 'OK', output: { get: v('a', 3) } });
    expect(get()).toEqual({ status: 'OK', output: { get: v('a', 3) } });
  });

  it('ends a unary query sink after its one output', () => {
    const { host } = setup();
    const sink = host.query(wire.get());
    expect(sink.outputs).toHaveLength(1);
    expect(sink.ended).toBe(true);
  });
});

describe('set', () => {
  it('writes at the entry index, replacing unconditionally', () => {
    const { run, get } = setup();
    expect(run(wire.set('a'))).toEqual(okSet(2));
    expect(run(wire.set('b'))).toEqual(okSet(3));
    expect(get()).toEqual({ status: 'OK', output: { get: v('b', 3) } });
  });

  it('keeps an empty value as a value', () => {
    const { run, get } = setup();
    expect(run(wire.set(''))).toEqual(okSet(2));
    expect(get()).toEqual({ status: 'OK', output: { get: v('', 2) } });
  });

  it('if_absent creates without a value and answers ALREADY_EXISTS with the current one', () => {
    const { host, run, get, subscribe, events } = setup();
    subscribe(1, 1);
    expect(run(wire.set('a', { ifAbsent: true }))).toEqual(okSet(3));
    expect(run(wire.set('b', { ifAbsent: true, ttl: duration(5) }))).toEqual({
      status: 'ALREADY_EXISTS',
      current: v('a', 3),
    });
    expect(get()).toEqual({ status: 'OK', output: { get: v('a', 3) } });
    expect(events(1, 1)).toHaveLength(1);
    expect(host.timers.size).toBe(0);
  });

  it('does not copy the caller buffer by reference', () => {
    const { host, get } = setup();
    const input = wire.set('abc');
    host.command(input, streamId(7, 1));
    input.fill(0);
    expect(get()).toEqual({ status: 'OK', output: { get: v('abc', 2) } });
  });
});

describe('update', () => {
  it('answers NOT_FOUND without a value', () => {
    const { run } = setup();
    expect(run(wire.update('x', 0))).toEqual({ status: 'NOT_FOUND' });
    expect(run(wire.update('x', 5))).toEqual({ status: 'NOT_FOUND' });
  });

  it('replaces by version and returns the previous value', () => {
    const { run, get } = setup();
    run(wire.set('a'));
    expect(run(wire.update('b', 2))).toEqual({
      status: 'OK',
      output: { update: 3, prev: v('a', 2) },
    });
    expect(get()).toEqual({ status: 'OK', output: { get: v('b', 3) } });
  });

  it('prev_index 0 replaces any version', () => {
    const { run } = setup();
    run(wire.set('a'));
    expect(run(wire.update('b', 0))).toEqual({
      status: 'OK',
      output: { update: 3, prev: v('a', 2) },
    });
  });

  it('answers CONFLICT with the current value and changes nothing', () => {
    const { run, get, subscribe, events } = setup();
    subscribe(1, 1);
    run(wire.set('a'));
    expect(run(wire.update('b', 2))).toEqual({
      status: 'CONFLICT',
      current: v('a', 3),
    });
    expect(get()).toEqual({ status: 'OK', output: { get: v('a', 3) } });
    expect(events(1, 1)).toHaveLength(1);
  });
});

describe('delete', () => {
  it('answers NOT_FOUND without a value', () => {
    const { run } = setup();
    expect(run(wire.delete(0))).toEqual({ status: 'NOT_FOUND' });
  });

  it('clears by version and returns the value', () => {
    const { run, get } = setup();
    run(wire.set('a'));
    expect(run(wire.delete(9))).toEqual({ status: 'CONFLICT', current: v('a', 2) });
    expect(get()).toEqual({ status: 'OK', output: { get: v('a', 2) } });
    expect(run(wire.delete(2))).toEqual({ status: 'OK', output: { delete: v('a', 2) } });
    expect(get()).toEqual({ status: 'NOT_FOUND' });
    run(wire.set('b'));
    expect(run(wire.delete(0))).toEqual({ status: 'OK', output: { delete: v('b', 5) } });
  });
});

describe('TTL', () => {
  const deadline = (host: FakeHost) => host.timers.get(expiryTimerTag)?.deadline;

  it('absent or 0 means no expiry', () => {
    const { host, run } = setup();
    run(wire.set('a'));
    expect(host.timers.size).toBe(0);
    run(wire.set('a', { ttl: duration(0) }));
    expect(host.timers.size).toBe(0);
    expect(host.timerLog).toEqual([]);
  });

  it('expires at time + ttl, never earlier, with Deleted{expired}', () => {
    const { host, run, get, subscribe, events } = setup();
    subscribe(1, 1);
    run(wire.set('a', { ttl: duration(1) }));
    expect(deadline(host)).toBe(t0 + 1000);
    run(wire.get(), t0 + 999);
    expect(get()).toEqual({ status: 'OK', output: { get: v('a', 3) } });
    expect(run(wire.get(), t0 + 1000)).toEqual({ status: 'NOT_FOUND' });
    expect(events(1, 1)).toEqual([
      { status: 'OK', output: { events: { created: v('a', 3) } } },
      { status: 'OK', output: { events: { deleted: v('a', 3), expired: true } } },
    ]);
    expect(host.timers.size).toBe(0);
  });

  it('rounds nanoseconds up to whole milliseconds', () => {
    const { host, run } = setup();
    const cases: [number, number, number][] = [
      [0, 1, 1],
      [0, 999_999, 1],
      [0, 1_000_000, 1],
      [0, 1_000_001, 2],
      [1, 500_000, 1001],
      [2, 999_999_999, 3000],
    ];
    for (const [seconds, nanos, ms] of cases) {
      run(wire.set('a', { ttl: duration(seconds, nanos) }));
      expect(deadline(host), `${seconds}s ${nanos}ns`).toBe(t0 + ms);
    }
  });

  it('rejects a negative, malformed or too large ttl as INVALID and changes nothing', () => {
    const { host, run, get } = setup();
    const bad = [
      duration(-1),
      duration(0, -1),
      duration(-1, -5),
      duration(1, -1),
      duration(0, 1_000_000_000),
      duration(tenYearsMs / 1000, 1),
      duration(tenYearsMs / 1000 + 1),
      duration(2n ** 63n - 1n),
    ];
    for (const ttl of bad) {
      expect(run(wire.set('a', { ttl })), `${ttl.seconds}s ${ttl.nanos}ns`).toEqual({
        status: 'INVALID',
      });
    }
    expect(get()).toEqual({ status: 'NOT_FOUND' });
    run(wire.set('a'));
    for (const ttl of bad) expect(run(wire.update('b', 0, ttl))).toEqual({ status: 'INVALID' });
    expect(get()).toEqual({ status: 'OK', output: { get: v('a', 10) } });
    expect(host.timers.size).toBe(0);
  });

  it('accepts exactly the limit', () => {
    const { host, run } = setup();
    expect(run(wire.set('a', { ttl: duration(tenYearsMs / 1000) }))).toEqual(okSet(2));
    expect(deadline(host)).toBe(t0 + tenYearsMs);
  });

  it('uses host.limits.ttlMsMax', () => {
    const { run } = setup({ limits: { ttlMsMax: 1500 } });
    expect(run(wire.set('a', { ttl: duration(1, 500_000_000) }))).toEqual(okSet(2));
    expect(run(wire.set('a', { ttl: duration(1, 500_000_001) }))).toEqual({ status: 'INVALID' });
  });

  it('an update without ttl clears the expiry; with ttl it re-schedules', () => {
    const { host, run, get } = setup();
    run(wire.set('a', { ttl: duration(1) }));
    run(wire.update('b', 0));
    expect(host.timers.size).toBe(0);
    expect(run(wire.get(), t0 + 5000)).toEqual({ status: 'OK', output: { get: v('b', 3) } });
    run(wire.update('c', 0, duration(2)));
    expect(deadline(host)).toBe(t0 + 7000);
    run(wire.get(), t0 + 7000);
    expect(get()).toEqual({ status: 'NOT_FOUND' });
  });

  it('delete cancels the expiry', () => {
    const { host, run, subscribe, events } = setup();
    subscribe(1, 1);
    run(wire.set('a', { ttl: duration(1) }));
    run(wire.delete(0));
    expect(host.timerLog).toEqual([`schedule 1@${t0 + 1000}`, 'cancel 1']);
    run(wire.get(), t0 + 2000);
    expect(events(1, 1).map((e) => e.output)).toEqual([
      { events: { created: v('a', 3) } },
      { events: { deleted: v('a', 3), expired: false } },
    ]);
  });

  it('a new set re-schedules, a set without ttl cancels', () => {
    const { host, run, get } = setup();
    run(wire.set('a', { ttl: duration(1) }));
    run(wire.set('b', { ttl: duration(5) }), t0 + 500);
    expect(deadline(host)).toBe(t0 + 5500);
    run(wire.get(), t0 + 1000);
    expect(get()).toEqual({ status: 'OK', output: { get: v('b', 3) } });
    run(wire.set('c'));
    expect(host.timers.size).toBe(0);
    run(wire.get(), t0 + 10_000);
    expect(get()).toEqual({ status: 'OK', output: { get: v('c', 5) } });
  });

  it('a timer that fires before the deadline waits again', () => {
    const { host, run, get } = setup();
    run(wire.set('a', { ttl: duration(1) }));
    host.nextEntry(t0 + 999);
    host.timers.clear();
    host.service.timer(expiryTimerTag);
    expect(get()).toEqual({ status: 'OK', output: { get: v('a', 2) } });
    expect(deadline(host)).toBe(t0 + 1000);
  });

  it('never expires before the deadline, however early the timer fires', () => {
    fc.assert(
      fc.property(fc.nat(20_000), fc.array(fc.nat(25_000), { maxLength: 8 }), (ttl, fires) => {
        const { host, run, get } = setup();
        run(wire.set('a', { ttl: duration(Math.floor(ttl / 1000), (ttl % 1000) * 1e6) }));
        const expire = host.timers.get(expiryTimerTag)?.deadline;
        for (const at of [...fires, ttl - 1, ttl].filter((a) => a >= 0).sort((a, b) => a - b)) {
          host.nextEntry(t0 + at);
          // An adversarial host: fire the timer now if the value is still there.
          if (host.timers.delete(expiryTimerTag)) host.service.timer(expiryTimerTag);
          const present = get().status === 'OK';
          expect(present).toBe(expire === undefined || host.time() < expire);
        }
      }),
    );
  });

  it('asserts on a foreign or stale timer', () => {
    const { host } = setup();
    expect(() => host.service.timer(expiryTimerTag + 1)).toThrow(AssertionError);
    expect(() => host.service.timer(expiryTimerTag)).toThrow(AssertionError);
  });
});

describe('events', () => {
  it('acknowledges with an empty output, then sends every change in order', () => {
    const { run, subscribe, events } = setup();
    expect(subscribe(1, 1)).toEqual({ status: 'OK', output: { events: null } });
    run(wire.set('a'));
    run(wire.set('b'));
    run(wire.update('c', 4));
    run(wire.update('x', 1));
    run(wire.delete(5));
    expect(events(1, 1).map((e) => e.output)).toEqual([
      { events: { created: v('a', 3) } },
      { events: { updated: v('b', 4), prev: v('a', 3) } },
      { events: { updated: v('c', 5), prev: v('b', 4) } },
      { events: { deleted: v('c', 5), expired: false } },
    ]);
  });

  it('feeds every stream in (session, seq) order; streamClosed stops one', () => {
    const { host, run, subscribe, events } = setup();
    subscribe(3, 1);
    subscribe(1, 9);
    subscribe(1, 2);
    run(wire.set('a'));
    expect(host.emitted.map((e) => [e.stream.session, e.stream.seq])).toEqual([
      [1, 2],
      [1, 9],
      [3, 1],
    ]);
    host.service.streamClosed(streamId(1, 9));
    host.service.streamClosed(streamId(1, 9));
    run(wire.set('b'));
    expect(events(1, 9)).toHaveLength(1);
    expect(events(1, 2)).toHaveLength(2);
    expect(events(3, 1)).toHaveLength(2);
  });

  it('asserts when one stream id subscribes twice (the fsm runs a number once)', () => {
    const { subscribe } = setup();
    subscribe(1, 1);
    expect(() => subscribe(1, 1)).toThrow(AssertionError);
  });

  it('is a command only', () => {
    const { host } = setup();
    const sink = host.query(wire.events());
    expect(decode(sink.outputs[0]!)).toEqual({ status: 'INVALID' });
    expect(sink.ended).toBe(true);
  });
});

describe('watch', () => {
  it('sends the current value, every change, and no value after delete and expiry', () => {
    const { host, run } = setup();
    const sink = host.query(wire.watch());
    run(wire.set('a'));
    run(wire.delete(0));
    run(wire.set('b', { ttl: duration(1) }));
    run(wire.get(), t0 + 1000);
    expect(sink.outputs.map((r) => decode(r).status)).toEqual(['OK', 'OK', 'OK', 'OK', 'OK']);
    expect(sink.outputs.map((r) => decode(r))).toEqual([
      { status: 'OK', output: { watch: null } },
      { status: 'OK', output: { watch: v('a', 2) } },
      { status: 'OK', output: { watch: null } },
      { status: 'OK', output: { watch: v('b', 4) } },
      { status: 'OK', output: { watch: null } },
    ]);
    expect(sink.ended).toBe(false);
  });

  it('starts from the current value and ignores failed commands', () => {
    const { host, run } = setup();
    run(wire.set('a'));
    const sink = host.query(wire.watch());
    run(wire.update('b', 99));
    run(wire.set('c', { ifAbsent: true }));
    expect(sink.outputs.map((r) => decode(r))).toEqual([
      { status: 'OK', output: { watch: v('a', 2) } },
    ]);
  });

  it('drops closed sinks and ends the rest on detachSinks', () => {
    const { host, run } = setup();
    const value = host.service as unknown as { watcherCount: number };
    const a = host.query(wire.watch());
    const b = host.query(wire.watch());
    expect(value.watcherCount).toBe(2);
    a.closed = true;
    run(wire.set('x'));
    expect(a.outputs).toHaveLength(1);
    expect(b.outputs).toHaveLength(2);
    expect(value.watcherCount).toBe(1);
    host.service.detachSinks();
    expect(b.ended).toBe(true);
    expect(a.ended).toBe(false);
    expect(value.watcherCount).toBe(0);
    run(wire.set('y'));
    expect(b.outputs).toHaveLength(2);
  });

  it('drops a sink that closes while it is being fed', () => {
    const { host, run } = setup();
    const value = host.service as unknown as { watcherCount: number };
    const sink = host.query(wire.watch());
    const next = sink.next.bind(sink);
    sink.next = (result) => {
      next(result);
      sink.closed = true;
    };
    run(wire.set('x'));
    expect(sink.outputs).toHaveLength(2);
    expect(value.watcherCount).toBe(0);
  });

  it('drops a sink that throws without disturbing the change or other sinks', () => {
    const { host, run, subscribe, events } = setup();
    subscribe(1, 1);
    const value = host.service as unknown as { watcherCount: number };
    const broken = host.query(wire.watch());
    const good = host.query(wire.watch());
    broken.next = () => {
      throw new Error('consumer bug');
    };
    expect(run(wire.set('x'))).toEqual(okSet(3));
    expect(good.outputs).toHaveLength(2);
    expect(events(1, 1)).toHaveLength(1);
    expect(value.watcherCount).toBe(1);
  });

  it('sends nothing to a sink that is already closed', () => {
    const { host } = setup();
    const sink = new FakeSink(host.index());
    sink.closed = true;
    host.service.query(wire.watch(), sink);
    host.service.query(wire.get(), sink);
    expect(sink.outputs).toEqual([]);
    expect((host.service as unknown as { watcherCount: number }).watcherCount).toBe(0);
  });

  it('is a query only, and never touches replicated state', () => {
    const { host, run } = setup();
    expect(run(wire.watch())).toEqual({ status: 'INVALID' });
    const before = host.service.snapshot();
    host.query(wire.watch());
    expect(host.service.snapshot()).toEqual(before);
    expect(host.emitted).toEqual([]);
  });
});

describe('invalid input', () => {
  it('rejects a value over valueBytesMax', () => {
    const { run, get } = setup({ limits: { valueBytesMax: 4 } });
    expect(run(wire.set('abcde'))).toEqual({ status: 'INVALID' });
    expect(run(wire.set('abcd'))).toEqual(okSet(3));
    expect(run(wire.update('abcde', 0))).toEqual({ status: 'INVALID' });
    expect(get()).toEqual({ status: 'OK', output: { get: v('abcd', 3) } });
  });

  it('rejects malformed bytes and an empty oneof, as command and as query', () => {
    const { host, run } = setup();
    const malformed = [Uint8Array.of(0xff), Uint8Array.of(0x12, 0x05, 0x0a), wire.empty()];
    for (const input of malformed) {
      expect(run(input)).toEqual({ status: 'INVALID' });
      const sink = host.query(input);
      expect(decode(sink.outputs[0]!)).toEqual({ status: 'INVALID' });
      expect(sink.ended).toBe(true);
    }
    expect(host.emitted).toEqual([]);
  });

  it('rejects state-changing operations as queries', () => {
    const { host, get } = setup();
    for (const input of [wire.set('a'), wire.update('a', 0), wire.delete(0)]) {
      expect(decode(host.query(input).outputs[0]!)).toEqual({ status: 'INVALID' });
    }
    expect(get()).toEqual({ status: 'NOT_FOUND' });
  });

  it('rejects prev_index above 2^53 − 1 before looking at the value', () => {
    const { run } = setup();
    expect(run(wire.update('a', 2n ** 53n))).toEqual({ status: 'INVALID' });
    expect(run(wire.delete(2n ** 64n - 1n))).toEqual({ status: 'INVALID' });
    run(wire.set('a'));
    expect(run(wire.update('b', 2n ** 53n - 1n))).toEqual({
      status: 'CONFLICT',
      current: v('a', 4),
    });
    expect(run(wire.delete(2n ** 63n))).toEqual({ status: 'INVALID' });
  });

  it('carries a message on every error', () => {
    const { host } = setup();
    const result = host.command(wire.delete(0), streamId(1, 1));
    expect(isStreamStart(result)).toBe(false);
    expect('message' in result && result.message).toBe('no value');
  });
});

describe('snapshot', () => {
  it('restores value, version, expiry and streams, and expires on the restored timer', () => {
    const { host, run, subscribe } = setup();
    subscribe(2, 1);
    subscribe(1, 5);
    run(wire.set('a', { ttl: duration(3) }));
    const bytes = host.service.snapshot();
    const copy = new FakeHost({ timeMs: t0, index: host.index() });
    copy.start(AtomicValueType, bytes);
    expect(copy.service.snapshot()).toEqual(bytes);
    expect(copy.timers.size).toBe(0);
    // The fsm restores its timers; here the test copies them.
    copy.scheduleTimer(host.timers.get(expiryTimerTag)!.deadline, expiryTimerTag);
    copy.nextEntry(t0 + 3000);
    expect(copy.emitted.map((e) => [e.stream.session, decode(e.result)])).toEqual([
      [1, { status: 'OK', output: { events: { deleted: v('a', 4), expired: true } } }],
      [2, { status: 'OK', output: { events: { deleted: v('a', 4), expired: true } } }],
    ]);
  });

  it('asserts on bytes that are not a snapshot', () => {
    const host = new FakeHost();
    expect(() => host.start(AtomicValueType, Uint8Array.of(0xff))).toThrow(AssertionError);
  });
});
