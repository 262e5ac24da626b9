// Lowe's memoisation, strengthened with subsumption: the configurations (linearized operations,
// model state) already entered. A new configuration is skipped when an entered one dominates it:
// the same definite operations placed, a subset of the open ones (unknown outcome, which never
// have to be placed), and a state that allows at least the same futures (`dominates`). Whatever
// linearizes the dominated configuration also linearizes the dominating one, so the search stays
// complete; without subsumption, k open writes would multiply the configurations by up to 2^k.
//
// Keyed by a mix of the definite bits' Zobrist hash and the state's presence, value and ttl; each
// entry keeps exact copies of the bits in one arena. Definite operations are numbered in call order,
// so their bits are "all ones up to a frontier a few words wide": only the frontier is stored.

import type { Bitset } from './bitset.js';
import type { ModelState } from './model.js';

const full = 0xffffffff;

/** Every future of `b` is a future of `a` (see model.ts for the meaning of inexact versions). */
export function dominates(a: ModelState, b: ModelState): boolean {
  if (a.present !== b.present || a.value !== b.value || a.ttl !== b.ttl) return false;
  // Absent: the last version only bounds the next write from below.
  if (!a.present || !a.exact) return a.version <= b.version;
  return b.exact && a.version === b.version;
}

function keyOf(definite: Bitset, s: ModelState): number {
  const h = Math.imul(definite.hash ^ 0x5bd1e995, 0x2c1b3c6d);
  const v = Math.imul(s.value + 2, 0x27d4eb2d) ^ ((s.present ? 1 : 0) | (s.ttl ? 2 : 0));
  return (h ^ v) >>> 0;
}

export class Memo {
  readonly #buckets = new Map<number, number>();
  // Entries, in parallel arrays: next in bucket (-1 ends), state, arena offset, stored shape.
  readonly #next: number[] = [];
  readonly #state: ModelState[] = [];
  readonly #offset: number[] = [];
  /** First stored definite word (all before it are full). */
  readonly #lo: number[] = [];
  readonly #definiteLen: number[] = [];
  readonly #openLen: number[] = [];
  #arena = new Uint32Array(1024);
  #arenaUsed = 0;
  // Shape of the configuration being added, computed once per add.
  #lo0 = 0;
  #hi0 = 0;
  #openHi0 = 0;

  get size(): number {
    return this.#next.length;
  }

  /** Adds the configuration; false when an entered configuration dominates it. */
  add(definite: Bitset, open: Bitset, state: ModelState): boolean {
    const key = keyOf(definite, state);
    this.#shape(definite.words, open.words);
    const head = this.#buckets.get(key) ?? -1;
    for (let e = head; e >= 0; e = this.#next[e]!) {
      if (!dominates(this.#state[e]!, state)) continue;
      if (this.#sameDefinite(e, definite.words) && this.#openSubset(e, open.words)) return false;
    }
    this.#buckets.set(key, this.#store(definite.words, open.words, state, head));
    return true;
  }

  #shape(definite: Uint32Array, open: Uint32Array): void {
    let lo = 0;
    while (lo < definite.length && definite[lo] === full) lo++;
    let hi = definite.length;
    while (hi > lo && definite[hi - 1] === 0) hi--;
    let openHi = open.length;
    while (openHi > 0 && open[openHi - 1] === 0) openHi--;
    this.#lo0 = lo;
    this.#hi0 = hi;
    this.#openHi0 = openHi;
  }

  #sameDefinite(e: number, w: Uint32Array): boolean {
    if (this.#lo[e] !== this.#lo0 || this.#definiteLen[e] !== this.#hi0 - this.#lo0) return false;
    const a = this.#arena;
    let at = this.#offset[e]!;
    for (let i = this.#lo0; i < this.#hi0; i++) if (a[at++] !== w[i]) return false;
    return true;
  }

  /** The entry's open operations are a subset of `w`'s. */
  #openSubset(e: number, w: Uint32Array): boolean {
    const len = this.#openLen[e]!;
    if (len > this.#openHi0) return false;
    const a = this.#arena;
    const at = this.#offset[e]! + this.#definiteLen[e]!;
    for (let i = 0; i < len; i++) if ((a[at + i]! & ~w[i]!) !== 0) return false;
    return true;
  }

  #store(definite: Uint32Array, open: Uint32Array, state: ModelState, next: number): number {
    const definiteLen = this.#hi0 - this.#lo0;
    const need = this.#arenaUsed + definiteLen + this.#openHi0;
    if (need > this.#arena.length) {
      const grown = new Uint32Array(Math.max(need, this.#arena.length * 2));
      grown.set(this.#arena.subarray(0, this.#arenaUsed));
      this.#arena = grown;
    }
    const e = this.#next.length;
    this.#next.push(next);
    this.#state.push(state);
    this.#offset.push(this.#arenaUsed);
    this.#lo.push(this.#lo0);
    this.#definiteLen.push(definiteLen);
    this.#openLen.push(this.#openHi0);
    this.#arena.set(definite.subarray(this.#lo0, this.#hi0), this.#arenaUsed);
    this.#arena.set(open.subarray(0, this.#openHi0), this.#arenaUsed + definiteLen);
    this.#arenaUsed = need;
    return e;
  }
}
