import type { Snapshot, SnapshotMeta } from './log-types.js';
import type { SnapshotMessage } from './message.js';

/**
 * A follower's assembly of the snapshot chunks one leader sends in order. A chunk out of order
 * (one was lost) drops the assembly; the leader resends the whole snapshot after its timeout.
 */
export class SnapshotAssembler {
  // Invariant: #received === the sum of #chunks' lengths <= #meta's totalBytes.
  #meta: SnapshotMeta | undefined;
  #totalBytes = 0;
  #received = 0;
  #chunks: Uint8Array[] = [];

  /** Adds a chunk; returns the snapshot when it is complete. */
  add(m: SnapshotMessage): Snapshot | undefined {
    if (m.offset === 0) this.#start(m.meta, m.totalBytes);
    else if (!this.#continues(m)) {
      this.reset();
      return undefined;
    }
    this.#chunks.push(m.data);
    this.#received += m.data.length;
    if (this.#received > this.#totalBytes) {
      this.reset();
      return undefined;
    }
    if (this.#received < this.#totalBytes) return undefined;
    const data = new Uint8Array(this.#totalBytes);
    let offset = 0;
    for (const chunk of this.#chunks) {
      data.set(chunk, offset);
      offset += chunk.length;
    }
    const meta = this.#meta!;
    this.reset();
    return { meta, data };
  }

  reset(): void {
    this.#meta = undefined;
    this.#totalBytes = 0;
    this.#received = 0;
    this.#chunks = [];
  }

  #start(meta: SnapshotMeta, totalBytes: number): void {
    this.reset();
    this.#meta = meta;
    this.#totalBytes = totalBytes;
  }

  #continues(m: SnapshotMessage): boolean {
    const meta = this.#meta;
    return (
      meta !== undefined &&
      meta.index === m.meta.index &&
      meta.term === m.meta.term &&
      this.#totalBytes === m.totalBytes &&
      this.#received === m.offset
    );
  }
}
