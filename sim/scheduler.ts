// The simulator's discrete-event queue: true (simulated) time in ms, events ordered by (time,
// insertion), so a seed replays exactly.

import { assert, MinHeap } from '../src/common/index.js';

interface Event {
  readonly at: number;
  readonly seq: number;
  readonly run: () => void;
  cancelled: boolean;
}

export interface Cancellable {
  cancel(): void;
}

export class Scheduler {
  #now = 0;
  #seq = 0;
  readonly #queue = new MinHeap<Event>((a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq));

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
    assert(delayMs >= 0 && Number.isFinite(delayMs), `bad delay ${delayMs}`);
    const event: Event = {
      at: this.#now + Math.ceil(delayMs),
      seq: this.#seq++,
      run,
      cancelled: false,
    };
    this.#queue.push(event);
    return {
      cancel: () => {
        event.cancelled = true;
      },
    };
  }

  /** Runs events in order until the queue is empty or the next one lies beyond `untilMs`. */
  runUntil(untilMs: number): void {
    for (;;) {
      const next = this.#queue.peek();
      if (next === undefined || next.at > untilMs) break;
      this.#queue.pop();
      // Invariant: simulated time never goes backwards.
      assert(next.at >= this.#now, 'event in the past');
      this.#now = next.at;
      if (!next.cancelled) next.run();
    }
    this.#now = Math.max(this.#now, untilMs);
  }
}
