// A fixed-size set of small integers over 32-bit words, with an incrementally maintained Zobrist
// hash (XOR of a per-element random word) so that hashing the set of linearized operations costs
// O(1) per step instead of O(words).

import { assert } from '../../src/common/index.js';

/** A deterministic 32-bit mix (splitmix32 finaliser); the checker must not draw randomness. */
export function mix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

export class Bitset {
  readonly size: number;
  readonly words: Uint32Array;
  #hash = 0;

  constructor(size: number) {
    assert(Number.isSafeInteger(size) && size >= 0, 'bitset size is an integer ≥ 0');
    this.size = size;
    this.words = new Uint32Array(Math.ceil(size / 32));
  }

  /** Zobrist hash of the members; equal sets have equal hashes. */
  get hash(): number {
    return this.#hash;
  }

  has(i: number): boolean {
    return ((this.words[i >>> 5]! >>> (i & 31)) & 1) === 1;
  }

  set(i: number): void {
    assert(i >= 0 && i < this.size && !this.has(i), 'set: in range and absent');
    const j = i >>> 5;
    this.words[j] = this.words[j]! | (1 << (i & 31));
    this.#hash = (this.#hash ^ mix32(i)) >>> 0;
  }

  clear(i: number): void {
    assert(i >= 0 && i < this.size && this.has(i), 'clear: in range and present');
    const j = i >>> 5;
    this.words[j] = this.words[j]! & ~(1 << (i & 31));
    this.#hash = (this.#hash ^ mix32(i)) >>> 0;
  }

  /** Whether `other` (a frozen copy of some bitset of the same size) has the same members. */
  equalsWords(other: Uint32Array): boolean {
    const w = this.words;
    if (other.length !== w.length) return false;
    for (let i = 0; i < w.length; i++) if (w[i] !== other[i]) return false;
    return true;
  }

  count(): number {
    let n = 0;
    for (const word of this.words) {
      let v = word - ((word >>> 1) & 0x55555555);
      v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
      n += (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) >>> 0;
    }
    return n;
  }
}
