import type { LogIndex, Term } from '../common/index.js';
import type { ConfState, Entry, HardState, Snapshot } from './log-types.js';

/**
 * The log as Raft reads it (etcd's Storage). Raft never writes through this interface: the caller
 * persists what `ready()` lists and reports durability back. Implemented by the in-memory store of
 * tests and by the write-ahead log (src/storage).
 *
 * Entries the caller has handed to the store are readable at once, before they are durable: Raft
 * tracks durability itself through the caller's reports.
 */
export interface Storage {
  /** The persisted hard state and configuration, read once when Raft starts. */
  initialState(): { hardState: HardState; conf: ConfState };
  /**
   * Entries in [lo, hi), at least one when lo < hi, and no more than `maxBytes` of data after the
   * first. Throws CompactedError when lo is at or below the snapshot index, UnavailableEntriesError
   * when hi - 1 is above lastIndex().
   */
  entries(lo: LogIndex, hi: LogIndex, maxBytes: number): Entry[];
  /**
   * The term of entry i, for firstIndex() - 1 <= i <= lastIndex() (firstIndex() - 1 is the
   * snapshot's index). Throws CompactedError below that, UnavailableEntriesError above.
   */
  term(i: LogIndex): Term;
  /** The index of the first entry still held: the snapshot's index + 1. */
  firstIndex(): LogIndex;
  /** The index of the last entry held, or the snapshot's index when no entry follows it. */
  lastIndex(): LogIndex;
  /** The latest snapshot (index 0 and empty data before the first one). */
  snapshot(): Snapshot;
}

/** The requested entries are compacted away: the follower needs a snapshot. */
export class CompactedError extends Error {
  override readonly name = 'CompactedError';
  readonly code = 'COMPACTED';
}

/** The requested entries are not in the log (yet). */
export class UnavailableEntriesError extends Error {
  override readonly name = 'UnavailableEntriesError';
  readonly code = 'UNAVAILABLE_ENTRIES';
}
