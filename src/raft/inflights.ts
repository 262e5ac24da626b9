import { assert, type LogIndex } from '../common/index.js';

/** The ring's first capacity; it doubles on demand up to `maxMsgs`. */
const initialCapacity = 4;

/**
 * The Append messages sent to one follower and not yet acknowledged, in a bounded ring: the
 * window of pipelined replication. Full when it holds `maxMsgs` messages or `maxBytes` bytes.
 * The ring grows as the window fills instead of being allocated whole, as etcd's raft does: a
 * node holds a window per peer of each of its thousands of partitions, and an idle partition
 * uses one or two slots of the 256 a busy one may need.
 */
export class Inflights {
  // Invariant: indexes in the ring increase from #start; #count <= ring length <= maxMsgs;
  // #bytes is the sum of the sizes in the ring.
  #indexes: number[];
  #sizes: number[];
  #start = 0;
  #count = 0;
  #bytes = 0;

  constructor(
    readonly maxMsgs: number,
    /** 0 means no byte limit. */
    readonly maxBytes: number,
  ) {
    assert(maxMsgs > 0, 'Inflights needs room for at least one message');
    const capacity = Math.min(maxMsgs, initialCapacity);
    this.#indexes = new Array<number>(capacity).fill(0);
    this.#sizes = new Array<number>(capacity).fill(0);
  }

  get count(): number {
    return this.#count;
  }

  get bytes(): number {
    return this.#bytes;
  }

  full(): boolean {
    return this.#count === this.maxMsgs || (this.maxBytes > 0 && this.#bytes >= this.maxBytes);
  }

  /** Records a message whose last entry is `index` carrying `bytes` of entry data. */
  add(index: LogIndex, bytes: number): void {
    assert(!this.full(), 'Inflights.add on a full window');
    const last = this.#count === 0 ? -1 : this.#indexes[this.#slot(this.#count - 1)]!;
    assert(index > last, `inflight index ${index} not above the last one ${last}`);
    if (this.#count === this.#indexes.length) this.#grow();
    const slot = this.#slot(this.#count);
    this.#indexes[slot] = index;
    this.#sizes[slot] = bytes;
    this.#count++;
    this.#bytes += bytes;
  }

  /** Frees every message whose last entry is at or below `index` (they are acknowledged). */
  freeLE(index: LogIndex): void {
    while (this.#count > 0 && this.#indexes[this.#start]! <= index) this.#freeFirst();
    assert(this.#count > 0 || this.#bytes === 0, 'Inflights bytes left in an empty window');
  }

  /** Frees the oldest message: lets a probe through a full window after a lost message. */
  freeFirstOne(): void {
    if (this.#count > 0) this.#freeFirst();
  }

  reset(): void {
    this.#start = 0;
    this.#count = 0;
    this.#bytes = 0;
  }

  #freeFirst(): void {
    this.#bytes -= this.#sizes[this.#start]!;
    this.#start = (this.#start + 1) % this.#indexes.length;
    this.#count--;
    if (this.#count === 0) this.#start = 0;
  }

  /** Doubles the ring (up to maxMsgs), its messages moved to the front in order. */
  #grow(): void {
    const capacity = Math.min(this.maxMsgs, 2 * this.#indexes.length);
    const indexes = new Array<number>(capacity).fill(0);
    const sizes = new Array<number>(capacity).fill(0);
    for (let i = 0; i < this.#count; i++) {
      const from = this.#slot(i);
      indexes[i] = this.#indexes[from]!;
      sizes[i] = this.#sizes[from]!;
    }
    this.#indexes = indexes;
    this.#sizes = sizes;
    this.#start = 0;
  }

  #slot(offset: number): number {
    return (this.#start + offset) % this.#indexes.length;
  }
}
