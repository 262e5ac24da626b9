import { describe, expect, it } from 'vitest';
import { Driver, show } from './testing/driver.js';

describe('services', () => {
  it('create finds or creates by (namespace, name); the id is the creating entry index', () => {
    const d = new Driver();
    const a = d.open(); // 1
    const b = d.open(); // 2
    expect(show(d.createService(a, 1, 'x'))).toEqual(['1/1 #1 OK service=3 done']);
    expect(show(d.createService(b, 1, 'x', 'default'))).toEqual(['2/1 #1 OK service=3 done']);
    expect(show(d.createService(b, 2, 'x', 'other'))).toEqual(['2/2 #1 OK service=5 done']);
    expect(d.fsm.serviceCount).toBe(2);
  });

  it('unknown type and a name held by another type are FORBIDDEN; bad names are INVALID', () => {
    const d = new Driver();
    const s = d.open();
    d.createService(s, 1, 'x');
    expect(show(d.createService(s, 2, 'y', '', 'no.Such'))).toEqual(['1/2 #1 FORBIDDEN done']);
    expect(show(d.createService(s, 3, 'x', '', 'test.Other'))).toEqual(['1/3 #1 FORBIDDEN done']);
    expect(show(d.createService(s, 4, ''))).toEqual(['1/4 #1 INVALID done']);
    expect(show(d.createService(s, 5, 'n'.repeat(257)))).toEqual(['1/5 #1 INVALID done']);
    expect(show(d.createService(s, 6, 'n', 'n'.repeat(257)))).toEqual(['1/6 #1 INVALID done']);
    // The limit is in UTF-8 bytes: 129 two-byte characters are 258 bytes.
    expect(show(d.createService(s, 8, 'é'.repeat(129)))).toEqual(['1/8 #1 INVALID done']);
    expect(d.fsm.serviceCount).toBe(1);
    // The same name in another namespace is free for the other type.
    expect(show(d.createService(s, 7, 'x', 'ns', 'test.Other'))).toEqual([
      '1/7 #1 OK service=9 done',
    ]);
  });

  it('answers RESOURCE_EXHAUSTED beyond servicesMax, but still attaches to existing ones', () => {
    const d = new Driver({ servicesMax: 1 });
    const s = d.open();
    d.createService(s, 1, 'x');
    expect(show(d.createService(s, 2, 'y'))).toEqual(['1/2 #1 RESOURCE_EXHAUSTED done']);
    expect(show(d.createService(s, 3, 'x'))).toEqual(['1/3 #1 OK service=2 done']);
  });

  it('routes payloads only for attached sessions; close_service detaches', () => {
    const d = new Driver();
    const a = d.open(); // 1
    const b = d.open(); // 2
    d.createService(a, 1, 'x'); // service 3
    expect(show(d.call(a, 2, 3, { op: 'add', n: 2 }))).toEqual([
      '1/2 #1 OK {"value":2,"index":4} done',
    ]);
    expect(show(d.call(b, 1, 3, { op: 'add' }))).toEqual(['2/1 #1 FORBIDDEN done']);
    expect(show(d.call(a, 3, 42, { op: 'add' }))).toEqual(['1/3 #1 NOT_FOUND done']);
    expect(show(d.closeService(a, 4, 3))).toEqual(['1/4 #1 OK closeService done']);
    expect(show(d.closeService(a, 5, 3))).toEqual(['1/5 #1 OK closeService done']);
    expect(show(d.closeService(a, 6, 42))).toEqual(['1/6 #1 NOT_FOUND done']);
    expect(show(d.call(a, 7, 3, { op: 'add' }))).toEqual(['1/7 #1 FORBIDDEN done']);
    expect(d.counter(3).state.value).toBe(2);
  });

  it('close_service cancels only the session streams on that service', () => {
    const d = new Driver();
    const s = d.open(); // 1
    d.createService(s, 1, 'x'); // 2
    d.createService(s, 2, 'y'); // 3
    d.call(s, 3, 2, { op: 'stream' });
    d.call(s, 4, 3, { op: 'stream' });
    expect(show(d.closeService(s, 5, 2))).toEqual([
      '1/3 #2 CANCELED done',
      '1/5 #1 OK closeService done',
    ]);
    expect(d.counter(2).state.closed).toEqual([[1, 3]]);
    expect(d.counter(3).state.closed).toEqual([]);
  });

  it('passes service errors through with the current state', () => {
    const d = new Driver();
    const s = d.open();
    d.createService(s, 1, 'x');
    const out = d.call(s, 2, 2, { op: 'fail' });
    expect(show(out)).toEqual(['1/2 #1 CONFLICT done']);
    expect(new TextDecoder().decode(out[0]!.output.current)).toBe('{"value":0}');
    expect(out[0]!.output.message).toBe('nope');
    expect(show(d.call(s, 3, 2, 'garbage'))).toEqual(['1/3 #1 INVALID done']);
  });

  it('range-checks service ids (2^53 and 2^64 − 1 are INVALID)', () => {
    const d = new Driver();
    const s = d.open();
    let seq = 1;
    for (const id of [2n ** 53n, 2n ** 64n - 1n]) {
      expect(show(d.call(s, seq, id, {}))[0]).toMatch(/INVALID done$/);
      seq += 1;
      expect(show(d.closeService(s, seq, id))[0]).toMatch(/INVALID done$/);
      seq += 1;
    }
  });

  it('service timers fire in deadline order before the entry that passes them', () => {
    const d = new Driver();
    const s = d.open(100_000);
    d.createService(s, 1, 'x'); // 2
    const t = d.time;
    d.call(s, 2, 2, { op: 'stream' });
    d.call(s, 3, 2, { op: 'alarm', tag: 1, at: t + 50 });
    d.call(s, 4, 2, { op: 'alarm', tag: 2, at: t + 20 });
    d.call(s, 5, 2, { op: 'alarm', tag: 3, at: t + 20 });
    d.call(s, 6, 2, { op: 'alarm', tag: 4, at: t + 90 });
    d.call(s, 7, 2, { op: 'cancel', tag: 4 });
    d.call(s, 8, 2, { op: 'alarm', tag: 3, at: t + 30 }); // replaces tag 3's deadline
    expect(d.fsm.nextDeadline()).toBe(t + 20);
    const out = d.call(s, 9, 2, { op: 'get' }, 100);
    expect(show(out)).toEqual([
      '1/2 #2 OK {"value":1000}',
      '1/2 #3 OK {"value":2000}',
      '1/2 #4 OK {"value":3000}',
      '1/9 #1 OK {"value":3000} done',
    ]);
    expect(d.counter(2).state.fired).toEqual([
      { tag: 2, at: t + 20, time: t + 20 },
      { tag: 3, at: t + 30, time: t + 30 },
      { tag: 1, at: t + 50, time: t + 50 },
    ]);
    expect(d.fsm.timeMs).toBe(d.time);
  });

  it('a primitive that throws answers INTERNAL (cached); replicas stay identical', () => {
    const d = new Driver();
    const s = d.open();
    d.createService(s, 1, 'x');
    expect(show(d.call(s, 2, 2, { op: 'throw' }))).toEqual(['1/2 #1 INTERNAL done']);
    expect(show(d.call(s, 2, 2, { op: 'add' }))).toEqual(['1/2 #1 INTERNAL done']);
    const twin = new Driver();
    for (const entry of d.log) twin.fsm.apply(entry);
    expect(twin.fsm.snapshot()).toEqual(d.fsm.snapshot());
  });
});
