// The in-memory state of one partition's log: the entry index, the cache of recent entries, the
// hard state and configuration, and what the last encoded batch logged (for checkpoints at the
// start of each segment and for durability reports).

import { assert, type LogIndex, type PartitionId, type Term } from '../common/index.js';
import type { ConfState, Entry, HardState, SnapshotMeta } from '../raft/index.js';
import { EntryCache } from './entry-cache.js';
import { EntryIndex } from './entry-index.js';

export const emptyHardState: HardState = { term: 0 as Term, vote: 0, commit: 0 as LogIndex };
export const emptyConf: ConfState = { voters: [], learners: [] };

export interface LoggedState {
  hardState: HardState;
  conf: ConfState;
  baseIndex: number;
  baseTerm: number;
  lastIndex: number;
  lastTerm: number;
}

export class PartitionState {
  readonly id: PartitionId;
  readonly index = new EntryIndex();
  readonly cache = new EntryCache();
  hardState: HardState = emptyHardState;
  conf: ConfState = emptyConf;
  readonly logged: LoggedState = {
    hardState: emptyHardState,
    conf: emptyConf,
    baseIndex: 0,
    baseTerm: 0,
    lastIndex: 0,
    lastTerm: 0,
  };

  /** Ops queued and not yet encoded into a batch. */
  queuedOps = 0;
  /**
   * The oldest segment the durable log needs (the segment of its first held entry; 0 = none),
   * as of the batch in flight (`encodedPin`) and of the last durable batch (`durablePin`).
   * Segment deletion uses `durablePin` only: the in-memory log runs ahead of the disk (a queued
   * overwrite or compaction must not release the segments the durable log still reads).
   */
  encodedPin = 0;
  durablePin = 0;

  constructor(id: PartitionId) {
    this.id = id;
  }

  /** Entries from entries[0].index on replace the log's suffix (they are not yet written). */
  append(entries: readonly Entry[]): void {
    const first = entries[0]!.index;
    this.index.truncateAfter(first - 1);
    this.cache.truncateAfter(first - 1);
    for (const e of entries) this.index.push(e.term, 0, 0);
    this.cache.append(entries, first - 1);
  }

  compact(i: number, t: number): void {
    this.index.compactTo(i, t);
    this.cache.dropThrough(i);
  }

  reset(meta: SnapshotMeta): void {
    this.index.reset(meta.index, meta.term);
    this.cache.clear();
    this.conf = meta.conf;
  }

  /** Evicts written entries from the cache down to its byte limit. */
  evict(maxBytes: number): void {
    if (this.cache.bytes <= maxBytes) return;
    const idx = this.index;
    this.cache.evict(maxBytes, (i) => i <= idx.last && i > idx.base && idx.segment(i) !== 0);
  }

  /** Copies the state as of the end of recovery into `logged`. */
  syncLogged(): void {
    const l = this.logged;
    l.hardState = this.hardState;
    l.conf = this.conf;
    l.baseIndex = this.index.base;
    l.baseTerm = this.index.baseTerm;
    l.lastIndex = this.index.last;
    l.lastTerm = this.index.term(this.index.last)!;
    assert(l.lastTerm !== undefined, 'last term known');
    this.encodedPin = this.durablePin = this.index.firstSegment();
  }
}
