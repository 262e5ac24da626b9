// A bounded cache of a partition's most recent entries: always a suffix [first, last] of the log.
// Entries not yet written to a segment are never evicted (they exist nowhere else); the caller
// evicts written entries from the front once the cache is over its byte limit.

import { assert } from '../common/index.js';
import type { Entry } from '../raft/index.js';

/** Bytes charged per entry besides its data. */
export const entryOverheadBytes = 48;

export class EntryCache {
  #entries: Entry[] = [];
  #head = 0;
  #bytes = 0;

  get bytes(): number {
    return this.#bytes;
  }
  get size(): number {
    return this.#entries.length - this.#head;
  }
  /** Index of the first cached entry (meaningless when empty). */
  get first(): number {
    return this.#entries[this.#head]?.index ?? 0;
  }

  get(i: number): Entry | undefined {
    if (this.size === 0) return undefined;
    const at = this.#head + i - this.first;
    return at >= this.#head && at < this.#entries.length ? this.#entries[at] : undefined;
  }

  /** Appends entries that follow the log's current last index (the log already truncated). */
  append(entries: readonly Entry[], logLastBefore: number): void {
    // Invariant: a non-empty cache ends at the log's last entry (it is a suffix of the log).
    assert(
      this.size === 0 || this.#entries[this.#entries.length - 1]!.index === logLastBefore,
      'cache is a suffix of the log',
    );
    for (const e of entries) {
      this.#entries.push(e);
      this.#bytes += e.data.length + entryOverheadBytes;
    }
  }

  /** Keeps cached entries <= i. */
  truncateAfter(i: number): void {
    while (this.size > 0 && this.#entries[this.#entries.length - 1]!.index > i) {
      const e = this.#entries.pop()!;
      this.#bytes -= e.data.length + entryOverheadBytes;
    }
  }

  /** Drops cached entries <= i. */
  dropThrough(i: number): void {
    while (this.size > 0 && this.#entries[this.#head]!.index <= i) this.#dropFront();
    this.#maybeShift();
  }

  /** Evicts from the front while over `maxBytes` and the front entry is `evictable`. */
  evict(maxBytes: number, evictable: (index: number) => boolean): void {
    while (this.#bytes > maxBytes && this.size > 0 && evictable(this.#entries[this.#head]!.index)) {
      this.#dropFront();
    }
    this.#maybeShift();
  }

  clear(): void {
    this.#entries = [];
    this.#head = 0;
    this.#bytes = 0;
  }

  #dropFront(): void {
    const e = this.#entries[this.#head]!;
    this.#entries[this.#head] = undefined as unknown as Entry;
    this.#head++;
    this.#bytes -= e.data.length + entryOverheadBytes;
    assert(this.#bytes >= 0, 'cache bytes never negative');
  }

  #maybeShift(): void {
    if (this.#head > 64 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
  }
}
