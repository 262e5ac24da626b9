import { assert, type LogIndex, logIndex, type NodeId, type Term, term } from '../common/index.js';
import type { ConfState, Entry, HardState, Snapshot } from './log-types.js';
import { limitBytes } from './raft-log.js';
import { CompactedError, type Storage, UnavailableEntriesError } from './storage.js';

/**
 * An in-memory Storage for tests and the simulator. Everything written is readable at once; the
 * test decides when to report it durable.
 */
export class MemoryStorage implements Storage {
  #hardState: HardState = { term: term(0), vote: 0, commit: logIndex(0) };
  #snapshot: Snapshot;
  // Invariant: #entries[i].index === #offset + 1 + i; #offset <= the snapshot's index.
  #offset: LogIndex = logIndex(0);
  #offsetTerm: Term = term(0);
  #entries: Entry[] = [];

  constructor(conf: ConfState = { voters: [], learners: [] }) {
    this.#snapshot = { meta: { index: logIndex(0), term: term(0), conf }, data: new Uint8Array() };
  }

  static withVoters(ids: readonly number[], learners: readonly number[] = []): MemoryStorage {
    return new MemoryStorage({ voters: ids as NodeId[], learners: learners as NodeId[] });
  }

  initialState(): { hardState: HardState; conf: ConfState } {
    return { hardState: this.#hardState, conf: this.#snapshot.meta.conf };
  }

  hardState(): HardState {
    return this.#hardState;
  }

  setHardState(hardState: HardState): void {
    this.#hardState = hardState;
  }

  firstIndex(): LogIndex {
    return logIndex(this.#offset + 1);
  }

  lastIndex(): LogIndex {
    return logIndex(this.#offset + this.#entries.length);
  }

  term(i: LogIndex): Term {
    if (i < this.#offset) throw new CompactedError(`entry ${i} is compacted`);
    if (i === this.#offset) return this.#offsetTerm;
    if (i > this.lastIndex()) throw new UnavailableEntriesError(`entry ${i} is not held`);
    return this.#entries[i - this.#offset - 1]!.term;
  }

  entries(lo: LogIndex, hi: LogIndex, maxBytes: number): Entry[] {
    if (lo <= this.#offset) throw new CompactedError(`entry ${lo} is compacted`);
    if (hi - 1 > this.lastIndex()) throw new UnavailableEntriesError(`entry ${hi - 1} not held`);
    const first = this.#offset + 1;
    return limitBytes(this.#entries.slice(lo - first, hi - first), maxBytes);
  }

  snapshot(): Snapshot {
    return this.#snapshot;
  }

  /** A copy (the simulator keeps the durable image of a node's store this way). */
  clone(): MemoryStorage {
    const copy = new MemoryStorage(this.#snapshot.meta.conf);
    copy.#hardState = this.#hardState;
    copy.#snapshot = this.#snapshot;
    copy.#offset = this.#offset;
    copy.#offsetTerm = this.#offsetTerm;
    copy.#entries = [...this.#entries];
    return copy;
  }

  /** All entries held (for tests). */
  allEntries(): readonly Entry[] {
    return this.#entries;
  }

  /** Appends entries, replacing any held entries from entries[0].index on. */
  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    assert(first.index > this.#offset, 'append at or below the compacted prefix');
    assert(first.index <= this.lastIndex() + 1, 'append leaves a gap');
    this.#entries = this.#entries.slice(0, first.index - this.#offset - 1);
    this.#entries.push(...entries);
    assert(this.#entries[0]?.index === this.#offset + 1, 'MemoryStorage entries misaligned');
  }

  /** Replaces the whole log by a snapshot (one received from the leader). */
  applySnapshot(snapshot: Snapshot): void {
    assert(snapshot.meta.index >= this.#snapshot.meta.index, 'applySnapshot of an older snapshot');
    this.#snapshot = snapshot;
    this.#entries = [];
    this.#offset = snapshot.meta.index;
    this.#offsetTerm = snapshot.meta.term;
  }

  /** Records a snapshot of the state machine at `index` (which must be held), with `data`. */
  createSnapshot(index: LogIndex, data: Uint8Array, conf?: ConfState): Snapshot {
    assert(index > this.#snapshot.meta.index, 'createSnapshot at or below the last snapshot');
    assert(index <= this.lastIndex(), 'createSnapshot beyond the log');
    const meta = { index, term: this.term(index), conf: conf ?? this.#snapshot.meta.conf };
    this.#snapshot = { meta, data };
    return this.#snapshot;
  }

  /** Drops the entries up to `index`, which the latest snapshot must cover. */
  compact(index: LogIndex): void {
    assert(index <= this.#snapshot.meta.index, 'compact beyond the snapshot');
    if (index <= this.#offset) return;
    const t = this.term(index);
    this.#entries = this.#entries.slice(index - this.#offset);
    this.#offset = index;
    this.#offsetTerm = t;
  }
}
