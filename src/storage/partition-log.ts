// One partition's view of the node's WAL: Raft's Storage (reads) plus the write methods the host
// calls with each Ready. Writes change the in-memory log at once (Raft may read them back before
// they are durable) and are queued for the next group-commit batch.

import { assert, type LogIndex, logIndex, type PartitionId, type Term } from '../common/index.js';
import {
  CompactedError,
  type ConfState,
  type Entry,
  type HardState,
  type Snapshot,
  type SnapshotMeta,
  type Storage,
  UnavailableEntriesError,
} from '../raft/index.js';
import { RecordTooLargeError } from './errors.js';
import type { PartitionState } from './partition-state.js';
import type {
  SnapshotFile,
  SnapshotReader,
  SnapshotStore,
  SnapshotWriter,
} from './snapshot-store.js';

/** What a partition queues for the next batch. */
export type WalOp =
  | { kind: 'entries'; state: PartitionState; entries: readonly Entry[]; bytes: number }
  | { kind: 'hardState'; state: PartitionState; hardState: HardState; bytes: number }
  | { kind: 'conf'; state: PartitionState; conf: ConfState; bytes: number }
  | { kind: 'compact'; state: PartitionState; index: number; term: number; bytes: number }
  | { kind: 'reset'; state: PartitionState; meta: SnapshotMeta; bytes: number };

/** The WAL as a partition sees it. */
export interface WalSink {
  /** Throws when the WAL has failed or is closed. */
  checkUsable(): void;
  enqueue(op: WalOp): void;
  /** The entries of the Entries record at (segment, offset), read synchronously from disk. */
  readRecordSync(segment: number, offset: number): Entry[];
  readonly recordBytesMax: number;
  readonly catchUpMarginEntries: number;
}

/** Record frame (9) + partition id (4). */
export const recordFrameBytes = 13;
/** Per entry in an Entries record: term (8) + type (1) + length (4). */
export const entryFrameBytes = 13;

export function confBytes(conf: ConfState): number {
  return 8 + 8 * (conf.voters.length + conf.learners.length);
}

/** Sizes of encoded records (frame included): the batcher plans segments with them. */
export const recordBytes = {
  entries: (entries: readonly Entry[]) => {
    let n = recordFrameBytes + 12;
    for (const e of entries) n += entryFrameBytes + e.data.length;
    return n;
  },
  hardState: () => recordFrameBytes + 24,
  conf: (conf: ConfState) => recordFrameBytes + confBytes(conf),
  compact: () => recordFrameBytes + 16,
  reset: (meta: SnapshotMeta) => recordFrameBytes + 16 + confBytes(meta.conf),
};

export class PartitionLog implements Storage {
  readonly id: PartitionId;
  readonly #s: PartitionState;
  readonly #wal: WalSink;
  readonly #snapshots: SnapshotStore;

  constructor(state: PartitionState, wal: WalSink, snapshots: SnapshotStore) {
    this.id = state.id;
    this.#s = state;
    this.#wal = wal;
    this.#snapshots = snapshots;
  }

  // --- Storage (Raft's reads) ---

  initialState(): { hardState: HardState; conf: ConfState } {
    const hs = this.#s.hardState;
    // Compacted entries are committed: the commit index is never below the compaction point. So
    // are the entries a snapshot covers; its file may be durable before the batch that carries
    // the hard state with a commit index that high (a crash in between).
    const snapshotIndex = this.#snapshots.latest(this.id)?.meta.index ?? 0;
    const commit = logIndex(Math.max(hs.commit, this.#s.index.base, snapshotIndex));
    return { hardState: { ...hs, commit }, conf: this.#s.conf };
  }

  entries(lo: LogIndex, hi: LogIndex, maxBytes: number): Entry[] {
    const idx = this.#s.index;
    if (lo <= idx.base) throw new CompactedError(`entry ${lo} is compacted (first ${idx.first})`);
    if (hi - 1 > idx.last) throw new UnavailableEntriesError(`entry ${hi - 1} > last ${idx.last}`);
    const out: Entry[] = [];
    let bytes = 0;
    let record: { segment: number; offset: number; entries: Entry[] } | undefined;
    for (let i = lo; i < hi; i++) {
      let e = this.#s.cache.get(i);
      if (!e) {
        const segment = idx.segment(i);
        const offset = idx.offset(i);
        assert(segment !== 0, `entry ${i} neither cached nor written`);
        if (record?.segment !== segment || record.offset !== offset) {
          record = { segment, offset, entries: this.#wal.readRecordSync(segment, offset) };
        }
        e = record.entries[i - record.entries[0]!.index];
        assert(e?.index === i && e.term === idx.term(i), `record holds entry ${i}`);
      }
      bytes += e.data.length;
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  term(i: LogIndex): Term {
    const idx = this.#s.index;
    if (i < idx.base) throw new CompactedError(`term of ${i}: compacted (first ${idx.first})`);
    if (i > idx.last) throw new UnavailableEntriesError(`term of ${i}: last is ${idx.last}`);
    return idx.term(i) as Term;
  }

  firstIndex(): LogIndex {
    return logIndex(this.#s.index.first);
  }

  lastIndex(): LogIndex {
    return logIndex(this.#s.index.last);
  }

  snapshot(): Snapshot {
    return (
      this.#snapshots.readSync(this.id) ?? {
        meta: { index: logIndex(0), term: 0 as Term, conf: { voters: [], learners: [] } },
        data: new Uint8Array(0),
      }
    );
  }

  // --- writes (the host, with each Ready) ---

  /** The hard state as last set (durable once the batch that carries it is). */
  hardState(): HardState {
    return this.#s.hardState;
  }

  conf(): ConfState {
    return this.#s.conf;
  }

  /**
   * Appends entries; when entries[0].index <= lastIndex() the conflicting suffix is replaced
   * (one record: a crash leaves either the old suffix or the new one). Entries at or below the
   * compaction point are ignored.
   */
  append(appended: readonly Entry[]): void {
    this.#wal.checkUsable();
    const idx = this.#s.index;
    // Entries at or below the compaction point are committed (and so equal to what was
    // compacted): dropped, as etcd's MemoryStorage does.
    const entries =
      appended.length > 0 && appended[0]!.index <= idx.base
        ? appended.filter((e) => e.index > idx.base)
        : appended;
    if (entries.length === 0) return;
    const first = entries[0]!.index;
    assert(first <= idx.last + 1, `append at ${first} leaves a gap after ${idx.last}`);
    assert(entries[0]!.term >= idx.term(first - 1)!, 'terms never decrease');
    for (let i = 1; i < entries.length; i++) {
      const prev = entries[i - 1]!;
      const e = entries[i]!;
      assert(e.index === prev.index + 1 && e.term >= prev.term, 'entries contiguous, terms grow');
    }
    const bytes = recordBytes.entries(entries);
    if (bytes > this.#wal.recordBytesMax) {
      throw new RecordTooLargeError(`append of ${bytes} bytes > ${this.#wal.recordBytesMax}`);
    }
    this.#s.append(entries);
    this.#wal.enqueue({ kind: 'entries', state: this.#s, entries, bytes });
  }

  setHardState(hardState: HardState): void {
    this.#wal.checkUsable();
    this.#s.hardState = hardState;
    this.#wal.enqueue({
      kind: 'hardState',
      state: this.#s,
      hardState,
      bytes: recordBytes.hardState(),
    });
  }

  setConf(conf: ConfState): void {
    this.#wal.checkUsable();
    this.#s.conf = conf;
    this.#wal.enqueue({ kind: 'conf', state: this.#s, conf, bytes: recordBytes.conf(conf) });
  }

  /** Releases entries up to `index` (covered by the latest snapshot). */
  compact(index: LogIndex): void {
    this.#wal.checkUsable();
    const idx = this.#s.index;
    if (index <= idx.base) return;
    const snap = this.#snapshots.latest(this.id);
    assert(snap !== undefined && index <= snap.meta.index, `compact(${index}) past the snapshot`);
    assert(index <= idx.last, `compact(${index}) past the last entry ${idx.last}`);
    const t = idx.term(index)!;
    this.#s.compact(index, t);
    this.#wal.enqueue({
      kind: 'compact',
      state: this.#s,
      index,
      term: t,
      bytes: recordBytes.compact(),
    });
  }

  /**
   * Writes a snapshot this node made of its own state machine. When committed it becomes the
   * latest snapshot and entries up to meta.index - catchUpMarginEntries are released.
   */
  async createSnapshot(meta: SnapshotMeta): Promise<PartitionSnapshotWriter> {
    this.#wal.checkUsable();
    assert(meta.index <= this.#s.index.last, 'a local snapshot covers entries this log holds');
    const writer = await this.#snapshots.create(this.id, meta);
    return new PartitionSnapshotWriter(writer, () => {
      const target = meta.index - this.#wal.catchUpMarginEntries;
      if (target > this.#s.index.base && target <= this.#s.index.last) {
        this.compact(logIndex(target));
      }
    });
  }

  /**
   * Writes a snapshot received from the leader. When committed it becomes the latest snapshot and
   * the log is reset to it (every entry dropped; the next entry is meta.index + 1).
   */
  async receiveSnapshot(meta: SnapshotMeta): Promise<PartitionSnapshotWriter> {
    this.#wal.checkUsable();
    const writer = await this.#snapshots.create(this.id, meta);
    return new PartitionSnapshotWriter(writer, () => {
      this.#wal.checkUsable();
      this.#s.reset(meta);
      this.#wal.enqueue({ kind: 'reset', state: this.#s, meta, bytes: recordBytes.reset(meta) });
    });
  }

  /** The latest snapshot for streaming in chunks, or undefined when there is none. */
  openSnapshot(): Promise<SnapshotReader | undefined> {
    return this.#snapshots.open(this.id);
  }
}

/**
 * Streams a snapshot to disk. commit() makes the file durable and renamed, then updates the log
 * (compaction or reset), whose record is durable with the next batch (`Wal.flushed()`).
 */
export class PartitionSnapshotWriter {
  readonly #writer: SnapshotWriter;
  readonly #onCommit: () => void;

  constructor(writer: SnapshotWriter, onCommit: () => void) {
    this.#writer = writer;
    this.#onCommit = onCommit;
  }

  get meta(): SnapshotMeta {
    return this.#writer.meta;
  }

  write(chunk: Uint8Array): Promise<void> {
    return this.#writer.write(chunk);
  }

  async commit(): Promise<SnapshotFile> {
    const file = await this.#writer.commit();
    this.#onCommit();
    return file;
  }

  abort(): Promise<void> {
    return this.#writer.abort();
  }
}
