import { describe, expect, it } from 'vitest';
import { term } from '../common/index.js';
import { Driver, show } from './testing/driver.js';

describe('session lifecycle', () => {
  it('opens with the entry index as id, keeps alive, closes idempotently', () => {
    const d = new Driver();
    expect(show(d.input({ case: 'openSession', value: { timeoutMs: 5000n } as never }))).toEqual([
      '@1 #1 OK session=1 done',
    ]);
    expect(show(d.keepAlive(1, 0))).toEqual(['@2 #1 OK done']);
    expect(show(d.close(1))).toEqual(['@3 #1 OK done']);
    expect(show(d.close(1))).toEqual(['@4 #1 OK done']);
    expect(show(d.close(99))).toEqual(['@5 #1 OK done']);
    expect(show(d.keepAlive(1, 0))).toEqual(['@6 #1 SESSION_EXPIRED done']);
    expect(show(d.call(1, 1, 1, { op: 'get' }))).toEqual(['1/1 #1 SESSION_EXPIRED done']);
    expect(d.fsm.sessionCount).toBe(0);
  });

  it('expires a session when state-machine time reaches last-seen + timeout (default 30 s)', () => {
    const d = new Driver();
    const s = d.open(); // at time t0 + 1
    const t0 = d.time;
    expect(d.fsm.nextDeadline()).toBe(t0 + 30_000);
    d.tick(29_998);
    expect(d.fsm.sessionCount).toBe(1);
    d.keepAlive(s, 0); // +1 ms: t0 + 29_999, refreshed
    expect(d.fsm.nextDeadline()).toBe(t0 + 59_999);
    d.tick(29_999);
    expect(d.fsm.sessionCount).toBe(1);
    expect(show(d.tick(1))).toEqual([]);
    expect(d.fsm.sessionCount).toBe(0);
    expect(d.fsm.nextDeadline()).toBeUndefined();
    expect(show(d.keepAlive(s, 0))).toEqual([`@${d.fsm.index} #1 SESSION_EXPIRED done`]);
  });

  it('honours the timeout of the open input and rejects out-of-range timeouts', () => {
    const d = new Driver({ sessionTimeoutMsMax: 10_000, sessionTimeoutMsDefault: 10_000 });
    const s = d.open(2000);
    expect(d.fsm.nextDeadline()).toBe(d.time + 2000);
    for (const timeoutMs of [10_001n, 2n ** 53n, 2n ** 64n - 1n]) {
      const out = d.input({ case: 'openSession', value: { timeoutMs } as never });
      expect(show(out)).toEqual([`@${d.fsm.index} #1 INVALID done`]);
    }
    d.tick(2000);
    expect(d.fsm.sessionCount).toBe(0);
    void s;
  });

  it('answers RESOURCE_EXHAUSTED beyond sessionsMax and accepts again after a close', () => {
    const d = new Driver({ sessionsMax: 2 });
    const a = d.open();
    d.open();
    const out = d.input({ case: 'openSession', value: { timeoutMs: 0n } as never });
    expect(show(out)).toEqual(['@3 #1 RESOURCE_EXHAUSTED done']);
    d.close(a);
    expect(d.open()).toBe(5);
  });

  it('range-checks session ids of keep-alive and close', () => {
    const d = new Driver();
    for (const id of [2n ** 53n, 2n ** 64n - 1n]) {
      const ka = d.input({ case: 'keepAlive', value: { sessionId: id } as never });
      expect(show(ka)).toEqual([`@${d.fsm.index} #1 INVALID done`]);
      const close = d.input({ case: 'closeSession', value: { sessionId: id } as never });
      expect(show(close)).toEqual([`@${d.fsm.index} #1 INVALID done`]);
    }
  });

  it('close cancels running streams with CANCELED and detaches from services', () => {
    const d = new Driver();
    const s = d.open(); // 1
    const other = d.open(); // 2
    expect(show(d.createService(s, 1))).toEqual(['1/1 #1 OK service=3 done']);
    expect(show(d.createService(other, 1))).toEqual(['2/1 #1 OK service=3 done']);
    expect(show(d.call(s, 2, 3, { op: 'stream' }))).toEqual(['1/2 #1 OK {"value":0}']);
    expect(show(d.call(s, 3, 3, { op: 'add', n: 5 }))).toEqual([
      '1/2 #2 OK {"value":5}',
      '1/3 #1 OK {"value":5,"index":6} done',
    ]);
    expect(show(d.close(s))).toEqual(['1/2 #3 CANCELED done', '@7 #1 OK done']);
    expect(d.counter(3).state.closed).toEqual([[1, 2]]);
    expect(d.counter(3).state.streams).toEqual([]);
    // The other session still uses the service; the closed one is gone.
    expect(show(d.call(other, 2, 3, { op: 'add' }))).toEqual([
      '2/2 #1 OK {"value":6,"index":8} done',
    ]);
    expect(show(d.call(s, 4, 3, { op: 'get' }))).toEqual(['1/4 #1 SESSION_EXPIRED done']);
  });

  it('expiry cancels running streams with SESSION_EXPIRED before the entry that passes it', () => {
    const d = new Driver();
    const s = d.open(1000); // 1
    const keeper = d.open(100_000); // 2
    d.createService(s, 1); // 3
    d.createService(keeper, 1);
    d.call(s, 2, 3, { op: 'stream' });
    const out = d.call(keeper, 2, 3, { op: 'add' }, 1000);
    expect(show(out)).toEqual([
      '1/2 #2 SESSION_EXPIRED done',
      '2/2 #1 OK {"value":1,"index":6} done',
    ]);
    expect(d.counter(3).state.closed).toEqual([[1, 2]]);
    expect(d.fsm.sessionCount).toBe(1);
  });

  it('Raft empty entries do not move time; timestamps never move it back', () => {
    const d = new Driver();
    d.open(1000);
    const t = d.fsm.timeMs;
    d.empty();
    d.empty();
    expect(d.fsm.timeMs).toBe(t);
    d.time -= 500; // a leader whose clock is behind
    d.tick(0);
    expect(d.fsm.timeMs).toBe(t);
    expect(d.fsm.sessionCount).toBe(1);
  });

  it('new-term grace: an election gap longer than the timeout expires no session', () => {
    const d = new Driver();
    const a = d.open(1000);
    const b = d.open(5000);
    d.tick(900);
    d.empty(); // the new leader's empty entry: no time, no grace
    d.term = term(2);
    d.empty();
    expect(show(d.tick(60_000))).toEqual([]); // first timestamped entry of term 2
    expect(d.fsm.sessionCount).toBe(2);
    expect(d.fsm.nextDeadline()).toBe(d.time + 1000);
    // Within the term, expiry works again.
    d.keepAlive(b, 0, undefined, {});
    d.tick(1000);
    expect(d.fsm.sessionCount).toBe(1);
    expect(show(d.keepAlive(a, 0))).toEqual([`@${d.fsm.index} #1 SESSION_EXPIRED done`]);
    // A later term without a gap changes nothing but the last-seen times.
    d.term = term(3);
    d.tick(4000);
    expect(d.fsm.sessionCount).toBe(1);
  });

  it('without a new term the same gap expires the sessions', () => {
    const d = new Driver();
    d.open(1000);
    d.open(5000);
    d.tick(60_000);
    expect(d.fsm.sessionCount).toBe(0);
  });
});
