// The replicated timers of a partition: session expiries and the services' own timers, fired in
// (deadline, insertion seq) order. Scheduling a key again replaces its earlier timer; replaced and
// cancelled timers stay in the heap as dead entries, skipped when they reach the top and dropped
// by a rebuild when they outnumber the live ones (the pop order never depends on the heap layout).

import { assert, MinHeap } from '../common/index.js';
import type { TimerKind } from '../gen/multiraft/v1/snapshot_pb.js';

export interface Timer {
  readonly deadlineMs: number;
  /** Insertion order: breaks deadline ties, so the order is total. */
  readonly seq: number;
  readonly kind: TimerKind.SESSION_EXPIRY | TimerKind.SERVICE;
  /** The session id (SESSION_EXPIRY) or the service id (SERVICE). */
  readonly owner: number;
  /** The service's own tag (0 for a session expiry). */
  readonly tag: number;
}

const before = (a: Timer, b: Timer): boolean =>
  a.deadlineMs < b.deadlineMs || (a.deadlineMs === b.deadlineMs && a.seq < b.seq);

const keyOf = (kind: TimerKind, owner: number, tag: number): string => `${kind}:${owner}:${tag}`;

export class TimerQueue {
  #heap = new MinHeap<Timer>(before);
  // Invariant: #live holds exactly the timers that will fire; each is also in #heap.
  readonly #live = new Map<string, Timer>();
  #nextSeq: number;

  constructor(nextSeq = 1) {
    assert(Number.isSafeInteger(nextSeq) && nextSeq >= 1, 'timer seq starts at 1');
    this.#nextSeq = nextSeq;
  }

  get nextSeq(): number {
    return this.#nextSeq;
  }

  get size(): number {
    return this.#live.size;
  }

  schedule(kind: Timer['kind'], owner: number, tag: number, deadlineMs: number): void {
    assert(Number.isSafeInteger(deadlineMs), 'timer deadline is a safe integer');
    assert(Number.isSafeInteger(tag) && tag >= 0, 'timer tag is a non-negative safe integer');
    const timer: Timer = { deadlineMs, seq: this.#nextSeq++, kind, owner, tag };
    this.#live.set(keyOf(kind, owner, tag), timer);
    this.#heap.push(timer);
    this.#compact();
  }

  /** Puts back a timer from a snapshot with its original seq; false when it clashes. */
  restore(timer: Timer): boolean {
    const key = keyOf(timer.kind, timer.owner, timer.tag);
    if (this.#live.has(key) || timer.seq >= this.#nextSeq || timer.seq < 1) return false;
    this.#live.set(key, timer);
    this.#heap.push(timer);
    return true;
  }

  cancel(kind: Timer['kind'], owner: number, tag: number): void {
    this.#live.delete(keyOf(kind, owner, tag));
  }

  /** The earliest live timer, without removing it. */
  peek(): Timer | undefined {
    for (;;) {
      const top = this.#heap.peek();
      if (top === undefined || this.#isLive(top)) return top;
      this.#heap.pop();
    }
  }

  /** Removes and returns the earliest live timer when its deadline is ≤ `timeMs`. */
  popDue(timeMs: number): Timer | undefined {
    const top = this.peek();
    if (top === undefined || top.deadlineMs > timeMs) return undefined;
    this.#heap.pop();
    this.#live.delete(keyOf(top.kind, top.owner, top.tag));
    return top;
  }

  /** The live timers in firing order (for the snapshot). */
  list(): Timer[] {
    return [...this.#live.values()].sort((a, b) => (before(a, b) ? -1 : 1));
  }

  #isLive(timer: Timer): boolean {
    return this.#live.get(keyOf(timer.kind, timer.owner, timer.tag)) === timer;
  }

  #compact(): void {
    if (this.#heap.size <= 2 * this.#live.size + 64) return;
    const heap = new MinHeap<Timer>(before);
    for (const timer of this.#live.values()) heap.push(timer);
    this.#heap = heap;
  }
}
