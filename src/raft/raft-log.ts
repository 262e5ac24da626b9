import { assert, type LogIndex, logIndex, type Term, term } from '../common/index.js';
import type { Entry, Snapshot } from './log-types.js';
import { CompactedError, type Storage, UnavailableEntriesError } from './storage.js';

/** The data bytes an entry counts for in every byte limit. */
export function entryBytes(entry: Entry): number {
  return entry.data.length;
}

export function entriesBytes(entries: readonly Entry[]): number {
  let total = 0;
  for (const e of entries) total += entryBytes(e);
  return total;
}

/** Keeps the first entry and then as many as fit in `maxBytes` of data after it. */
export function limitBytes(entries: Entry[], maxBytes: number): Entry[] {
  let total = 0;
  for (let i = 1; i < entries.length; i++) {
    total += entryBytes(entries[i]!);
    if (total > maxBytes) return entries.slice(0, i);
  }
  return entries;
}

/**
 * The log as Raft sees it: what the caller has handed to Storage, plus the unstable tail that
 * the next Ready hands over (entries appended since, or a snapshot received). Between two Readies
 * the unstable part wins where both hold an index (a conflicting suffix is being replaced).
 */
export class RaftLog {
  // Invariant: applied <= committed <= lastIndex().
  committed: LogIndex;
  applied: LogIndex;
  /** The log prefix up to here is durable (reported by the caller); the leader counts this. */
  durableIndex: LogIndex;
  /** A snapshot received and not yet handed to the caller. */
  unstableSnapshot: Snapshot | undefined;
  // Invariant: unstableEntries[i].index === unstableOffset + i.
  unstableEntries: Entry[] = [];
  unstableOffset: LogIndex;

  constructor(
    readonly storage: Storage,
    committed: LogIndex,
    applied: LogIndex,
  ) {
    const last = storage.lastIndex();
    const snapshotIndex = storage.firstIndex() - 1;
    this.unstableOffset = logIndex(last + 1);
    this.committed = logIndex(Math.max(committed, snapshotIndex));
    this.applied = logIndex(Math.max(applied, snapshotIndex));
    this.durableIndex = last;
    assert(this.committed <= last, `commit ${this.committed} above the last index ${last}`);
    assert(this.applied <= this.committed, `applied ${this.applied} above commit ${committed}`);
  }

  firstIndex(): LogIndex {
    if (this.unstableSnapshot) return logIndex(this.unstableSnapshot.meta.index + 1);
    return this.storage.firstIndex();
  }

  lastIndex(): LogIndex {
    if (this.unstableEntries.length > 0) {
      return logIndex(this.unstableOffset + this.unstableEntries.length - 1);
    }
    if (this.unstableSnapshot) return this.unstableSnapshot.meta.index;
    return this.storage.lastIndex();
  }

  /** The term of entry i; throws CompactedError / UnavailableEntriesError outside the log. */
  term(i: LogIndex): Term {
    const t = this.#lookupTerm(i);
    if (t === 'above') throw new UnavailableEntriesError(`entry ${i} is not in the log`);
    if (t === 'below') throw new CompactedError(`entry ${i} is below the log's first index`);
    return t;
  }

  /**
   * The term of entry i, or 0 when the log does not hold it. On the hot path of every Append and
   * commit, so it decides by bounds instead of catching the storage's exceptions.
   */
  termOrZero(i: LogIndex): Term {
    const t = this.#lookupTerm(i);
    return t === 'above' || t === 'below' ? term(0) : t;
  }

  #lookupTerm(i: LogIndex): Term | 'above' | 'below' {
    const snap = this.unstableSnapshot;
    if (snap && i === snap.meta.index) return snap.meta.term;
    if (i > this.lastIndex()) return 'above';
    if (i >= this.unstableOffset) return this.unstableEntries[i - this.unstableOffset]!.term;
    if (snap || i < this.storage.firstIndex() - 1) return 'below';
    try {
      return this.storage.term(i);
    } catch (error) {
      // A store may hold less than its bounds promise (a compaction racing this read).
      if (error instanceof CompactedError) return 'below';
      throw error;
    }
  }

  lastTerm(): Term {
    return this.term(this.lastIndex());
  }

  matchTerm(i: LogIndex, t: Term): boolean {
    return this.termOrZero(i) === t;
  }

  /** Whether a log ending at (lastIndex, lastTerm) is at least as up to date as this one. */
  isUpToDate(lastIndex: LogIndex, lastTerm: Term): boolean {
    const myTerm = this.lastTerm();
    return lastTerm > myTerm || (lastTerm === myTerm && lastIndex >= this.lastIndex());
  }

  /**
   * The largest index <= `index` whose term is <= `t`, with its term: where a follower and a
   * leader may agree (fast back-off). Stops at the first index held.
   */
  findConflictByTerm(index: LogIndex, t: Term): { index: LogIndex; term: Term } {
    let i = index;
    for (; i > 0; i--) {
      const ti = this.termOrZero(logIndex(i));
      if (ti === 0 && i < this.firstIndex()) return { index: logIndex(i), term: term(0) };
      if (ti <= t) return { index: logIndex(i), term: ti };
    }
    return { index: logIndex(0), term: term(0) };
  }

  /**
   * A leader's Append: when entry prevIndex has term prevTerm, appends the entries (replacing a
   * conflicting suffix), moves commit to min(commit, last new index) and returns that last new
   * index; otherwise returns undefined (the caller rejects).
   */
  maybeAppend(
    prevIndex: LogIndex,
    prevTerm: Term,
    commit: LogIndex,
    entries: readonly Entry[],
  ): LogIndex | undefined {
    if (!this.matchTerm(prevIndex, prevTerm)) return undefined;
    const lastNew = logIndex(prevIndex + entries.length);
    const conflict = this.#findConflict(entries);
    if (conflict !== 0) {
      assert(conflict > this.committed, `conflict at ${conflict} within commit ${this.committed}`);
      this.append(entries.slice(conflict - prevIndex - 1));
    }
    this.commitTo(logIndex(Math.min(commit, lastNew)));
    return lastNew;
  }

  /** Appends entries after index entries[0].index - 1, replacing whatever followed it. */
  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    const after = first.index;
    assert(after > this.committed, `append at ${after} would overwrite commit ${this.committed}`);
    assert(after <= this.lastIndex() + 1, `append at ${after} leaves a gap`);
    const unstableEnd = this.unstableOffset + this.unstableEntries.length;
    if (after === unstableEnd) {
      this.unstableEntries.push(...entries);
    } else if (after <= this.unstableOffset) {
      this.unstableOffset = after;
      this.unstableEntries = [...entries];
    } else {
      this.unstableEntries = [...this.unstableEntries.slice(0, after - this.unstableOffset)];
      this.unstableEntries.push(...entries);
    }
    this.durableIndex = logIndex(Math.min(this.durableIndex, after - 1));
  }

  /** Entries from `lo` to the end of the log, at most maxBytes of data after the first. */
  entriesFrom(lo: LogIndex, maxBytes: number): Entry[] {
    return this.slice(lo, logIndex(this.lastIndex() + 1), maxBytes);
  }

  /** Entries in [lo, hi), at most maxBytes after the first. Throws CompactedError below the log. */
  slice(lo: LogIndex, hi: LogIndex, maxBytes: number): Entry[] {
    assert(lo <= hi, `slice [${lo}, ${hi}) is inverted`);
    assert(hi <= this.lastIndex() + 1, `slice up to ${hi} beyond the log`);
    if (lo === hi) return [];
    if (lo < this.firstIndex()) throw new CompactedError(`entry ${lo} is compacted`);
    let result: Entry[] = [];
    if (lo < this.unstableOffset) {
      const storageHi = logIndex(Math.min(hi, this.unstableOffset));
      result = this.storage.entries(lo, storageHi, maxBytes);
      if (result.length < storageHi - lo) return result;
    }
    if (hi > this.unstableOffset) {
      const from = Math.max(lo, this.unstableOffset) - this.unstableOffset;
      const to = hi - this.unstableOffset;
      result = result.concat(this.unstableEntries.slice(from, to));
    }
    return limitBytes(result, maxBytes);
  }

  commitTo(index: LogIndex): void {
    if (index <= this.committed) return;
    assert(index <= this.lastIndex(), `commit ${index} beyond the last index ${this.lastIndex()}`);
    this.committed = index;
  }

  appliedTo(index: LogIndex): void {
    assert(index <= this.committed, `applied ${index} above commit ${this.committed}`);
    if (index > this.applied) this.applied = index;
  }

  /** Replaces the whole log by a snapshot received from the leader. */
  restore(snapshot: Snapshot): void {
    assert(snapshot.meta.index > this.committed, 'restore of a snapshot within commit');
    this.unstableSnapshot = snapshot;
    this.unstableEntries = [];
    this.unstableOffset = logIndex(snapshot.meta.index + 1);
    this.committed = snapshot.meta.index;
    this.durableIndex = logIndex(0);
  }

  /** The leader's snapshot to send a follower that needs compacted entries. */
  snapshot(): Snapshot {
    return this.unstableSnapshot ?? this.storage.snapshot();
  }

  /** The last index the caller has handed to Storage (the rest is unstable). */
  #stableLastIndex(): LogIndex {
    if (this.unstableSnapshot) return logIndex(0);
    if (this.unstableEntries.length > 0) return logIndex(this.unstableOffset - 1);
    return this.storage.lastIndex();
  }

  /** Committed entries in Storage not yet applied, at most maxBytes after the first. */
  nextCommittedEntries(maxBytes: number): Entry[] {
    const hi = Math.min(this.committed, this.#stableLastIndex()) + 1;
    if (this.applied + 1 >= hi) return [];
    return this.slice(logIndex(this.applied + 1), logIndex(hi), maxBytes);
  }

  hasNextCommittedEntries(): boolean {
    return this.applied < Math.min(this.committed, this.#stableLastIndex());
  }

  /** The caller has handed the unstable part to Storage: Storage holds the whole log now. */
  stableAll(): void {
    this.unstableSnapshot = undefined;
    this.unstableOffset = logIndex(this.lastIndex() + 1);
    this.unstableEntries = [];
    assert(this.storage.lastIndex() === this.unstableOffset - 1, 'Storage missed handed entries');
  }

  /** A write that ended at (lastIndex, lastTerm) is durable. */
  durableTo(lastIndex: LogIndex, lastTerm: Term): void {
    if (lastIndex <= this.durableIndex) return;
    if (this.termOrZero(lastIndex) === lastTerm) this.durableIndex = lastIndex;
  }

  /** The first index of `entries` whose term differs from the log's, 0 when none does. */
  #findConflict(entries: readonly Entry[]): LogIndex {
    for (const e of entries) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return logIndex(0);
  }
}
