import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { sequenceNum, sessionId } from '../common/index.js';
import { ClientSession, SessionState, StreamOutputVerdict } from './client-session.js';

const open = (now = 0, timeoutMs = 3000) => new ClientSession(sessionId(7), now, { timeoutMs });

/** A keep-alive is due at `now`, well inside the interval, and no longer once it is sent. */
function expectDueEarlyUntilSent(s: ClientSession, now: number) {
  expect(s.keepAliveDue(now)).toBe(true);
  const sent = s.keepAlive(now);
  expect(s.keepAliveDue(now + 1)).toBe(false);
  return sent;
}

describe('ClientSession', () => {
  test('allocates increasing numbers and reports them pending until finished', () => {
    const s = open();
    const [a, b, c] = [s.allocate(), s.allocate(), s.allocate()];
    expect([a, b, c]).toEqual([1, 2, 3]);
    s.finish(b);
    const ka = s.keepAlive(10);
    expect(ka.lastCommandSequenceNum).toBe(3);
    expect(ka.pending).toEqual([1, 3]);
    s.finish(a);
    s.finish(c);
    expect(s.keepAlive(20).pending).toEqual([]);
    expect(s.keepAlive(20).lastCommandSequenceNum).toBe(3);
  });

  test('keep-alive carries stream positions; replays are duplicates; a skip is a gap', () => {
    const s = open();
    const seq = s.allocate();
    s.startStream(seq);
    expect(s.streamOutput(seq, 1)).toBe(StreamOutputVerdict.Next);
    expect(s.streamOutput(seq, 2)).toBe(StreamOutputVerdict.Next);
    expect(s.streamOutput(seq, 1)).toBe(StreamOutputVerdict.Duplicate);
    expect(s.streamOutput(seq, 2)).toBe(StreamOutputVerdict.Duplicate);
    expect(s.keepAlive(1).streamPositions.get(seq)).toBe(2);
    expect(s.streamOutput(seq, 4)).toBe(StreamOutputVerdict.Gap);
    expect(s.keepAlive(2).streamPositions.get(seq)).toBe(2);
    s.finish(seq);
    expect(s.keepAlive(3).streamPositions.size).toBe(0);
  });

  test('keep-alives are due every interval', () => {
    const s = open(0, 3000);
    expect(s.keepAliveIntervalMs).toBe(1000);
    expect(s.keepAliveDue(999)).toBe(false);
    expect(s.keepAliveDue(1000)).toBe(true);
    s.keepAlive(1000);
    expect(s.keepAliveDue(1500)).toBe(false);
    expect(s.keepAliveDue(2000)).toBe(true);
  });

  test('a keep-alive is due early once many commands finished, so the server can retire them', () => {
    const s = new ClientSession(sessionId(7), 0, { timeoutMs: 3000, keepAliveAfterFinished: 2 });
    const a = s.allocate();
    const b = s.allocate();
    s.finish(a);
    s.finish(a);
    expect(s.keepAliveDue(1)).toBe(false);
    s.finish(b);
    expectDueEarlyUntilSent(s, 1);
  });

  test('a keep-alive is due early once one stream received many outputs since the last one', () => {
    const s = new ClientSession(sessionId(7), 0, {
      timeoutMs: 3000,
      keepAliveAfterStreamOutputs: 3,
      keepAliveAfterOutputs: 100,
    });
    const a = s.allocate();
    s.startStream(a);
    expect(s.streamOutput(a, 1)).toBe(StreamOutputVerdict.Next);
    expect(s.streamOutput(a, 2)).toBe(StreamOutputVerdict.Next);
    // A replay is not a new output for the state machine to cache.
    expect(s.streamOutput(a, 2)).toBe(StreamOutputVerdict.Duplicate);
    expect(s.keepAliveDue(1)).toBe(false);
    s.streamOutput(a, 3);
    expect(expectDueEarlyUntilSent(s, 1).streamPositions.get(a)).toBe(3);
    // Counted from what the keep-alive acknowledged, for a stream started since from its first.
    const b = s.allocate();
    s.startStream(b);
    s.streamOutput(a, 4);
    s.streamOutput(a, 5);
    s.streamOutput(b, 1);
    s.streamOutput(b, 2);
    expect(s.keepAliveDue(2)).toBe(false);
    s.streamOutput(b, 3);
    expect(s.keepAliveDue(2)).toBe(true);
  });

  test('a keep-alive is due early once the streams together received many outputs', () => {
    const s = new ClientSession(sessionId(7), 0, {
      timeoutMs: 3000,
      keepAliveAfterStreamOutputs: 100,
      keepAliveAfterOutputs: 4,
    });
    const [a, b] = [s.allocate(), s.allocate()];
    s.startStream(a);
    s.startStream(b);
    for (const seq of [1, 2]) s.streamOutput(a, seq);
    s.streamOutput(b, 1);
    expect(s.keepAliveDue(1)).toBe(false);
    s.streamOutput(b, 2);
    expectDueEarlyUntilSent(s, 1);
  });

  test('expires when no keep-alive sent within the timeout succeeded', () => {
    const s = new ClientSession(sessionId(7), 0, { timeoutMs: 3000, expiryMarginMs: 0 });
    s.keepAlive(1000);
    s.keepAliveSucceeded(1000);
    expect(s.checkExpired(3999)).toBe(false);
    // A success reported late but sent early does not extend beyond its send time.
    s.keepAlive(2000);
    s.keepAliveSucceeded(500);
    expect(s.checkExpired(4000)).toBe(true);
    expect(s.state).toBe(SessionState.Expired);
    // Final: a later success does not revive it, and nothing can be allocated.
    s.keepAliveSucceeded(3999);
    expect(s.checkExpired(4001)).toBe(true);
    expect(() => s.allocate()).toThrow(/expired/);
  });

  test('takes the session as expired a margin (default a tenth) before the state machine could', () => {
    const s = open(0, 3000);
    expect(s.expiryMarginMs).toBe(300);
    s.keepAlive(1000);
    s.keepAliveSucceeded(1000);
    expect(s.checkExpired(3699)).toBe(false);
    expect(s.checkExpired(3700)).toBe(true);
    expect(
      () => new ClientSession(sessionId(1), 0, { timeoutMs: 100, expiryMarginMs: 100 }),
    ).toThrow(/margin/);
  });

  test('SESSION_EXPIRED from the state machine and close are final', () => {
    const s = open();
    s.expired();
    expect(s.state).toBe(SessionState.Expired);
    const t = open();
    t.close();
    t.expired();
    expect(t.state).toBe(SessionState.Closed);
    expect(t.hasCapacity()).toBe(false);
  });

  test('pendingMax applies back-pressure', () => {
    const s = new ClientSession(sessionId(1), 0, { timeoutMs: 3000, pendingMax: 2 });
    s.allocate();
    const b = s.allocate();
    expect(s.hasCapacity()).toBe(false);
    expect(() => s.allocate()).toThrow(/pendingMax/);
    s.finish(b);
    expect(s.hasCapacity()).toBe(true);
  });

  test('property: pending is exactly allocated minus finished, and L covers all of them', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant(-1), fc.integer({ min: 1, max: 40 }))), (ops) => {
        const s = open();
        const model = new Set<number>();
        let allocated = 0;
        for (const op of ops) {
          if (op === -1) {
            model.add(s.allocate());
            allocated++;
          } else {
            s.finish(sequenceNum(op));
            model.delete(op);
          }
        }
        const ka = s.keepAlive(0);
        expect(ka.pending).toEqual([...model].sort((a, b) => a - b));
        expect(ka.lastCommandSequenceNum).toBe(allocated);
        for (const p of ka.pending) expect(p).toBeLessThanOrEqual(allocated);
      }),
    );
  });
});
