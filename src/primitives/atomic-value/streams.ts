// The running Events streams of one AtomicValue: replicated state, kept sorted by
// (session, seq) so emission order and snapshot bytes are the same on every replica.

import { assert } from '../../common/index.js';
import type { StreamId } from '../../fsm/index.js';

export function compareStreams(a: StreamId, b: StreamId): number {
  return a.session - b.session || a.seq - b.seq;
}

export class StreamSet {
  // Invariant: strictly increasing by compareStreams (sorted, no duplicates).
  readonly #streams: StreamId[] = [];

  get size(): number {
    return this.#streams.length;
  }

  /** Adds a stream; false when it was already there. */
  add(stream: StreamId): boolean {
    const at = this.#search(stream);
    if (at.found) return false;
    this.#streams.splice(at.position, 0, { session: stream.session, seq: stream.seq });
    this.#check(at.position);
    return true;
  }

  /** Removes a stream; false when it was not there. */
  remove(stream: StreamId): boolean {
    const at = this.#search(stream);
    if (!at.found) return false;
    this.#streams.splice(at.position, 1);
    return true;
  }

  /** The streams in (session, seq) order. A copy: emitting may close streams. */
  list(): readonly StreamId[] {
    return [...this.#streams];
  }

  #search(stream: StreamId): { found: boolean; position: number } {
    let low = 0;
    let high = this.#streams.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const order = compareStreams(this.#streams[middle]!, stream);
      if (order === 0) return { found: true, position: middle };
      if (order < 0) low = middle + 1;
      else high = middle;
    }
    return { found: false, position: low };
  }

  #check(position: number): void {
    const before = this.#streams[position - 1];
    const after = this.#streams[position + 1];
    const here = this.#streams[position]!;
    assert(before === undefined || compareStreams(before, here) < 0, 'streams stay sorted');
    assert(after === undefined || compareStreams(here, after) < 0, 'streams stay sorted');
  }
}
