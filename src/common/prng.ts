// A small seeded pseudo-random generator (sfc32, 128-bit state). The pure core draws randomness only
// from a source it is handed; the server seeds one from the OS, the simulator from its seed, so a
// simulated run replays bit for bit.

import { assert } from './assert.js';

export class Prng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number) {
    assert(Number.isSafeInteger(seed), `seed must be a safe integer: ${seed}`);
    this.#a = 0x9e3779b9;
    this.#b = 0x243f6a88;
    this.#c = 0xb7e15162;
    this.#d = (seed >>> 0) ^ Math.floor(seed / 0x1_0000_0000);
    // Mix the seed in so that nearby seeds give unrelated streams.
    for (let i = 0; i < 15; i++) this.uint32();
  }

  /** The next uniformly distributed 32-bit unsigned integer. */
  uint32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** A float in [0, 1). */
  float(): number {
    return this.uint32() / 0x1_0000_0000;
  }

  /** An integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    assert(
      Number.isSafeInteger(lo) && Number.isSafeInteger(hi) && lo <= hi,
      `bad range [${lo}, ${hi}]`,
    );
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  /** An integer in [0, n), for n >= 1. */
  below(n: number): number {
    assert(Number.isSafeInteger(n) && n >= 1, `bad bound ${n}`);
    return Math.floor(this.float() * n);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    assert(items.length > 0, 'pick from an empty list');
    return items[this.int(0, items.length - 1)] as T;
  }

  /** An independent generator derived from this one (e.g. one per node). */
  fork(): Prng {
    return new Prng(this.uint32() * 0x20_0000 + (this.uint32() >>> 11));
  }
}
