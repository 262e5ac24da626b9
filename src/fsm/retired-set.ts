// The exact set of a session's retired command sequence numbers: every number ≤ the watermark,
// and the numbers of sorted, disjoint, non-adjacent runs above it. A run that reaches
// watermark + 1 is folded into the watermark. A retired number is never executed again (STALE).
//
// The snapshot stores the runs flattened into the sorted list of SessionRecord.retired.

import { assert } from '../common/index.js';

interface Run {
  lo: number;
  hi: number;
}

export class RetiredSet {
  #watermark: number;
  // Invariant: runs ascend; each lo > watermark + 1 and > previous hi + 1; lo ≤ hi.
  readonly #runs: Run[] = [];

  constructor(watermark = 0) {
    assert(Number.isSafeInteger(watermark) && watermark >= 0, 'watermark is a safe integer');
    this.#watermark = watermark;
  }

  /** Rebuilds from a snapshot; undefined when the list is not sorted above the watermark. */
  static fromList(watermark: number, list: readonly number[]): RetiredSet | undefined {
    const set = new RetiredSet(watermark);
    let previous = watermark;
    for (const n of list) {
      if (!Number.isSafeInteger(n) || n <= previous) return undefined;
      set.add(n);
      previous = n;
    }
    return set;
  }

  get watermark(): number {
    return this.#watermark;
  }

  /** The highest retired number (the watermark when no run is above it). */
  get top(): number {
    return this.#runs.at(-1)?.hi ?? this.#watermark;
  }

  get runCount(): number {
    return this.#runs.length;
  }

  has(n: number): boolean {
    if (n <= this.#watermark) return true;
    const i = this.#runIndexAtOrBefore(n);
    const run = this.#runs[i];
    return run !== undefined && n <= run.hi;
  }

  /** Whether retiring `n` would start a new run (it touches neither the watermark nor a run). */
  startsRun(n: number): boolean {
    if (n === this.#watermark + 1) return false;
    const i = this.#runIndexAtOrBefore(n);
    const before = this.#runs[i];
    const after = this.#runs[i + 1];
    return (
      !(before !== undefined && before.hi + 1 === n) && !(after !== undefined && after.lo - 1 === n)
    );
  }

  add(n: number): void {
    assert(Number.isSafeInteger(n) && !this.has(n), 'retire a safe number not yet retired');
    const i = this.#runIndexAtOrBefore(n);
    const before = this.#runs[i];
    const after = this.#runs[i + 1];
    const joinsBefore = before !== undefined && before.hi + 1 === n;
    const joinsAfter = after !== undefined && after.lo - 1 === n;
    if (joinsBefore && joinsAfter) {
      before.hi = after.hi;
      this.#runs.splice(i + 1, 1);
    } else if (joinsBefore) before.hi = n;
    else if (joinsAfter) after.lo = n;
    else this.#runs.splice(i + 1, 0, { lo: n, hi: n });
    this.#fold();
  }

  /** The numbers in (watermark, top] not retired, ascending: the gaps between runs. */
  *gaps(): Generator<number> {
    let next = this.#watermark + 1;
    for (const run of this.#runs) {
      for (let n = next; n < run.lo; n++) yield n;
      next = run.hi + 1;
    }
  }

  /** Every retired number above the watermark, ascending (the snapshot's list). */
  toList(): number[] {
    const list: number[] = [];
    for (const run of this.#runs) for (let n = run.lo; n <= run.hi; n++) list.push(n);
    return list;
  }

  #fold(): void {
    const first = this.#runs[0];
    if (first !== undefined && first.lo === this.#watermark + 1) {
      this.#watermark = first.hi;
      this.#runs.shift();
    }
    // Invariant: after folding, no run touches the watermark.
    assert((this.#runs[0]?.lo ?? Number.POSITIVE_INFINITY) > this.#watermark + 1, 'runs folded');
  }

  /** Index of the last run with lo ≤ n, or −1. */
  #runIndexAtOrBefore(n: number): number {
    let lo = 0;
    let hi = this.#runs.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.#runs[mid]!.lo <= n) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }
}
