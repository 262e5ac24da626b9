// Jittered exponential back-off for retries of the same command: the delay before attempt n is
// drawn uniformly from [0, min(maxMs, baseMs * 2^n)] ("full jitter"), so retrying clients spread
// out instead of stampeding a new leader.

import { assert, type Prng } from '../common/index.js';

export interface BackoffOptions {
  readonly baseMs: number;
  readonly maxMs: number;
}

export const defaultBackoff: BackoffOptions = { baseMs: 10, maxMs: 1_000 };

export class Backoff {
  readonly #options: BackoffOptions;
  readonly #random: Prng;

  constructor(random: Prng, options: BackoffOptions = defaultBackoff) {
    assert(options.baseMs > 0 && options.maxMs >= options.baseMs, 'bad back-off bounds');
    this.#options = options;
    this.#random = random;
  }

  /** The delay before retry number `attempt` (0 for the first retry). */
  delayMs(attempt: number): number {
    assert(Number.isInteger(attempt) && attempt >= 0, `bad attempt ${attempt}`);
    const ceiling = Math.min(
      this.#options.maxMs,
      this.#options.baseMs * 2 ** Math.min(attempt, 30),
    );
    return Math.floor(this.#random.float() * (ceiling + 1));
  }
}
