import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MinHeap } from '../common/index.js';
import { TimerKind } from '../gen/multiraft/v1/snapshot_pb.js';
import { TimerQueue } from './timer-queue.js';

describe('min-heap', () => {
  it('pops in order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer()), (ns) => {
        const heap = new MinHeap<number>((a, b) => a < b);
        for (const n of ns) heap.push(n);
        const out = [];
        for (let n = heap.pop(); n !== undefined; n = heap.pop()) out.push(n);
        expect(out).toEqual([...ns].sort((a, b) => a - b));
        expect(heap.size).toBe(0);
      }),
    );
  });
});

describe('timer queue', () => {
  it('fires by (deadline, insertion), replaces rescheduled keys, skips cancelled ones', () => {
    const q = new TimerQueue();
    q.schedule(TimerKind.SERVICE, 1, 1, 50);
    q.schedule(TimerKind.SERVICE, 1, 2, 20);
    q.schedule(TimerKind.SESSION_EXPIRY, 7, 0, 20);
    q.schedule(TimerKind.SERVICE, 1, 1, 10); // replaces the deadline 50
    q.schedule(TimerKind.SERVICE, 2, 1, 5);
    q.cancel(TimerKind.SERVICE, 2, 1);
    expect(q.size).toBe(3);
    expect(q.peek()?.deadlineMs).toBe(10);
    expect(q.popDue(9)).toBeUndefined();
    const fired = [];
    for (let t = q.popDue(100); t !== undefined; t = q.popDue(100)) fired.push([t.owner, t.tag]);
    expect(fired).toEqual([
      [1, 1],
      [1, 2],
      [7, 0],
    ]);
    expect(q.nextSeq).toBe(6);
  });

  it('keeps a bounded heap under constant rescheduling and lists live timers in order', () => {
    const q = new TimerQueue();
    for (let i = 0; i < 10_000; i++) q.schedule(TimerKind.SESSION_EXPIRY, i % 3, 0, 10_000 - i);
    expect(q.size).toBe(3);
    expect(q.list().map((t) => t.deadlineMs)).toEqual([1, 2, 3]);
    const copy = new TimerQueue(q.nextSeq);
    for (const t of q.list()) expect(copy.restore(t)).toBe(true);
    expect(copy.restore(q.list()[0]!)).toBe(false);
    expect(copy.peek()).toEqual(q.peek());
  });
});
