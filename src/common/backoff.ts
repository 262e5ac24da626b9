// Jittered exponential back-off: the ceiling before retry n is min(maxMs, baseMs · 2^n).
// - `full` jitter draws from [0, ceiling]: clients retrying the same command spread out instead of
//   stampeding a new leader.
// - `equal` jitter draws from [ceiling/2, ceiling]: nodes that lost a peer together do not redial
//   in step, yet never retry sooner than half the ceiling.

import { assert } from './assert.js';

export interface BackoffOptions {
  readonly baseMs: number;
  readonly maxMs: number;
  readonly jitter?: 'full' | 'equal';
}

export const defaultBackoff: BackoffOptions = { baseMs: 10, maxMs: 1_000, jitter: 'full' };

export class Backoff {
  readonly #options: BackoffOptions;
  readonly #random: () => number;

  /** `random` returns numbers in [0, 1) (a seeded Prng's `float` in the core and the simulator). */
  constructor(random: () => number, options: BackoffOptions = defaultBackoff) {
    assert(options.baseMs > 0 && options.maxMs >= options.baseMs, 'bad back-off bounds');
    this.#options = options;
    this.#random = random;
  }

  /** The delay before retry number `attempt` (0 for the first retry). */
  delayMs(attempt: number): number {
    assert(Number.isInteger(attempt) && attempt >= 0, `bad attempt ${attempt}`);
    const { baseMs, maxMs, jitter } = this.#options;
    const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
    if (jitter === 'equal') return Math.round(ceiling / 2 + (ceiling / 2) * this.#random());
    return Math.floor(this.#random() * (ceiling + 1));
  }
}
