// The simulator's discrete-event queue: true (simulated) time in ms, events ordered by (time,
// insertion), so a seed replays exactly. The code under test also continues in promise callbacks
// (the WAL, its file system, snapshot I/O): once the events due at one simulated ms have run, the
// run loop lets every microtask chain they started finish before time moves on, so asynchronous
// steps happen in the same order on every run, within the ms of the event that started them.

import { setImmediate as macrotask } from 'node:timers/promises';
import { assert, MinHeap } from '../src/common/index.js';

export interface Cancellable {
  cancel(): void;
}

/** A method, not a closure per event: the hot path allocates one object per event. */
class Event implements Cancellable {
  cancelled = false;

  constructor(
    readonly at: number,
    readonly seq: number,
    readonly run: () => void,
  ) {}

  cancel(): void {
    this.cancelled = true;
  }
}

export class Scheduler {
  #now = 0;
  #seq = 0;
  readonly #queue = new MinHeap<Event>((a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq));
  #failure: { readonly error: unknown } | undefined;

  /** True simulated time in ms. */
  get now(): number {
    return this.#now;
  }

  get pending(): number {
    return this.#queue.size;
  }

  /**
   * Runs `run` at `now + delayMs`, rounded up to a whole ms (after every event already due at
   * that time). Whole ms keep every recorded time an integer, as a history requires.
   */
  after(delayMs: number, run: () => void): Cancellable {
    if (!(delayMs >= 0 && Number.isFinite(delayMs))) assert(false, `bad delay ${delayMs}`);
    const event = new Event(this.#now + Math.ceil(delayMs), this.#seq++, run);
    this.#queue.push(event);
    return event;
  }

  /**
   * Ends the run: the current `runUntil` throws `error` before the next event. For failures that
   * surface in a promise callback, where a throw would reach no one.
   */
  fail(error: unknown): void {
    this.#failure ??= { error };
  }

  /**
   * Runs events in order until the queue is empty or the next one lies beyond `untilMs`. After the
   * events due at one ms it awaits a macrotask (setImmediate), which runs only once the microtask
   * queue is empty: every promise chain those events started has finished, and nothing else ran
   * (the simulator uses no timers). Events one of those chains scheduled at the same ms start
   * another round. Draining once per ms rather than after every event means ~3 times fewer drains
   * (a few µs each) and 10 % less CPU per seed; a continuation may so run after other events of
   * its ms, which only models awaited work that ends a little later.
   */
  async runUntil(untilMs: number): Promise<void> {
    await macrotask();
    for (;;) {
      if (this.#failure !== undefined) throw this.#failure.error;
      const next = this.#queue.peek();
      if (next === undefined || next.at > untilMs) break;
      this.#queue.pop();
      // Invariant: simulated time never goes backwards.
      assert(next.at >= this.#now, 'event in the past');
      this.#now = next.at;
      if (next.cancelled) continue;
      next.run();
      if (this.#queue.peek()?.at !== this.#now) await macrotask();
    }
    this.#now = Math.max(this.#now, untilMs);
  }
}
