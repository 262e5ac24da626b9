// The per-partition index of held entries: for every index in [first, last] its term and where its
// record lives (segment sequence and offset of the record frame; segment 0 = not yet written).
// Column arrays (16 bytes per entry), a window [head, head + length) that slides as the log is
// compacted and grows by doubling.

import { assert } from '../common/index.js';

export class EntryIndex {
  /** Index of the entry just before the first held one (the compaction point). */
  #base = 0;
  #baseTerm = 0;
  #terms = new Float64Array(16);
  #segs = new Uint32Array(16);
  #offs = new Uint32Array(16);
  #head = 0;
  #length = 0;

  get base(): number {
    return this.#base;
  }
  get baseTerm(): number {
    return this.#baseTerm;
  }
  get first(): number {
    return this.#base + 1;
  }
  get last(): number {
    return this.#base + this.#length;
  }
  get length(): number {
    return this.#length;
  }

  /** Term of entry i for base <= i <= last; undefined outside. */
  term(i: number): number | undefined {
    if (i === this.#base) return this.#baseTerm;
    if (i < this.#base || i > this.last) return undefined;
    return this.#terms[this.#head + i - this.#base - 1];
  }

  segment(i: number): number {
    assert(i > this.#base && i <= this.last, `segment(${i}) outside the index`);
    return this.#segs[this.#head + i - this.#base - 1]!;
  }

  offset(i: number): number {
    assert(i > this.#base && i <= this.last, `offset(${i}) outside the index`);
    return this.#offs[this.#head + i - this.#base - 1]!;
  }

  /** Appends entry last + 1. */
  push(term: number, segment: number, offset: number): void {
    assert(term >= (this.#length > 0 ? this.term(this.last)! : this.#baseTerm), 'terms only grow');
    if (this.#head + this.#length === this.#terms.length) this.#grow();
    const at = this.#head + this.#length;
    this.#terms[at] = term;
    this.#segs[at] = segment;
    this.#offs[at] = offset;
    this.#length++;
  }

  setLocation(i: number, segment: number, offset: number): void {
    assert(i > this.#base && i <= this.last, `setLocation(${i}) outside the index`);
    const at = this.#head + i - this.#base - 1;
    this.#segs[at] = segment;
    this.#offs[at] = offset;
  }

  /** Keeps entries <= i (i >= base). */
  truncateAfter(i: number): void {
    assert(i >= this.#base, `truncateAfter(${i}) below base ${this.#base}`);
    if (i < this.last) this.#length = i - this.#base;
  }

  /** Releases entries <= i; i must be held or be last (term known). */
  compactTo(i: number, termAtI: number): void {
    if (i <= this.#base) return;
    if (i >= this.last) {
      this.reset(i, termAtI);
      return;
    }
    const drop = i - this.#base;
    this.#head += drop;
    this.#length -= drop;
    this.#base = i;
    this.#baseTerm = termAtI;
    if (this.#head > 1024 && this.#head > this.#length) this.#shift();
  }

  /** Sets the term of the base entry (recovery learns it after the entries that follow it). */
  setBaseTerm(t: number): void {
    this.#baseTerm = t;
  }

  /** Empties the log: the next entry is i + 1. */
  reset(i: number, termAtI: number): void {
    this.#base = i;
    this.#baseTerm = termAtI;
    this.#head = 0;
    this.#length = 0;
    if (this.#terms.length > 1024) {
      this.#terms = new Float64Array(16);
      this.#segs = new Uint32Array(16);
      this.#offs = new Uint32Array(16);
    }
  }

  /** The first entry's segment (0 when not yet written or none held). */
  firstSegment(): number {
    return this.#length === 0 ? 0 : this.#segs[this.#head]!;
  }

  #shift(): void {
    const end = this.#head + this.#length;
    this.#terms.copyWithin(0, this.#head, end);
    this.#segs.copyWithin(0, this.#head, end);
    this.#offs.copyWithin(0, this.#head, end);
    this.#head = 0;
  }

  #grow(): void {
    if (this.#head > 0) {
      this.#shift();
      if (this.#length < this.#terms.length) return;
    }
    const size = this.#terms.length * 2;
    const terms = new Float64Array(size);
    terms.set(this.#terms);
    const segs = new Uint32Array(size);
    segs.set(this.#segs);
    const offs = new Uint32Array(size);
    offs.set(this.#offs);
    this.#terms = terms;
    this.#segs = segs;
    this.#offs = offs;
  }
}
