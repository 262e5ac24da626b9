// The node-wide write-ahead log. Partitions queue records (PartitionLog); everything queued during
// one event-loop turn forms one batch, written with one write and one fdatasync. Exactly one batch
// is in flight while the next accumulates (group commit). Durability is reported per batch: the
// `flushed()` promise and `onDurable` listeners receive each touched partition's last (index,
// term) as of that batch. A failed write or fdatasync is fatal: the WAL rejects everything after.

import {
  assert,
  ByteWriter,
  type LogIndex,
  logIndex,
  type PartitionId,
  type Term,
} from '../common/index.js';
import type { Entry } from '../raft/index.js';
import { encodeBatch, encodeCheckpoint } from './batch-encoder.js';
import { CorruptLogError, FsyncFailedError, WalClosedError, WalFailedError } from './errors.js';
import { joinPath } from './fs.js';
import { type ResolvedWalOptions, resolveOptions, type WalOptions } from './options.js';
import { PartitionLog, recordBytes, type WalOp, type WalSink } from './partition-log.js';
import { PartitionState } from './partition-state.js';
import { decodeRecord, recordHeaderBytes, recordLength } from './record-codec.js';
import { recoverSegments, type Segment, segmentFileName } from './recovery.js';
import { batchHeaderBytes, encodeSegmentHeader, segmentHeaderBytes } from './segment-format.js';
import { SnapshotStore } from './snapshot-store.js';

/** A partition's log tail as of a durable batch: every entry up to it is durable. */
export interface DurableMark {
  readonly partition: PartitionId;
  readonly lastIndex: LogIndex;
  readonly lastTerm: Term;
}

export interface DurableBatch {
  /** Batch sequence number within this process (1, 2, …). */
  readonly seq: number;
  /** One mark per partition that had records in the batch. */
  readonly marks: readonly DurableMark[];
}

interface Batch {
  ops: WalOp[];
  bytes: number;
  waiters: { resolve: (b: DurableBatch) => void; reject: (e: Error) => void }[];
  promise: Promise<DurableBatch> | undefined;
}

/** Cold reads of old entries read this much at once. */
const readAheadBytes = 64 * 1024;

const newBatch = (): Batch => ({ ops: [], bytes: 0, waiters: [], promise: undefined });

export class Wal implements AsyncDisposable {
  readonly #o: ResolvedWalOptions;
  readonly #snapshots: SnapshotStore;
  readonly #states: Map<PartitionId, PartitionState>;
  readonly #logs = new Map<PartitionId, PartitionLog>();
  readonly #segments = new Map<number, Segment>();
  #current: Segment | undefined;
  #nextSeq: number;
  #pending = newBatch();
  #inflight: Batch | undefined;
  #scheduled = false;
  #failure: WalFailedError | undefined;
  #closed = false;
  #gcWanted = true;
  /** The segment deletion under way, if any. */
  #gc: Promise<void> | undefined;
  #batchSeq = 0;
  readonly #writer = new ByteWriter(1 << 16);
  readonly #listeners = new Set<(batch: DurableBatch) => void>();
  readonly #sink: WalSink;
  /** The last cold read's buffer (final bytes of one segment). */
  #readAhead: { segment: number; start: number; buf: Uint8Array } | undefined;
  /** Where recovery cut a torn tail, if it did. */
  readonly tornAt: { file: string; offset: number; why: string } | undefined;

  private constructor(
    o: ResolvedWalOptions,
    snapshots: SnapshotStore,
    rec: Awaited<ReturnType<typeof recoverSegments>>,
  ) {
    this.#o = o;
    this.#snapshots = snapshots;
    this.#states = rec.states;
    this.#nextSeq = rec.nextSeq;
    this.tornAt = rec.tornAt;
    for (const s of rec.segments) this.#segments.set(s.seq, s);
    this.#current = rec.segments[rec.segments.length - 1];
    this.#sink = {
      checkUsable: () => this.#checkUsable(),
      enqueue: (op) => this.#enqueue(op),
      readRecordSync: (seg, off) => this.#readRecordSync(seg, off),
      recordBytesMax: o.recordBytesMax,
      catchUpMarginEntries: o.catchUpMarginEntries,
    };
  }

  /** Opens (recovers) the log in `options.dir`; throws CorruptLogError on a bad record. */
  static async open(options: WalOptions): Promise<Wal> {
    const o = resolveOptions(options);
    await o.fs.mkdir(o.dir);
    const snapshots = new SnapshotStore(o.fs, o.dir);
    await snapshots.recover();
    const rec = await recoverSegments(o.fs, o.dir, o.cacheBytesPerPartition);
    const wal = new Wal(o, snapshots, rec);
    for (const st of wal.#states.values()) st.syncLogged();
    if (wal.#mergeSnapshots() > 0) await wal.flushed();
    return wal;
  }

  /**
   * A snapshot newer than the log that the log does not match (a crash between the snapshot's
   * rename and its Reset record): the partition is reset to it, and the Reset record written now.
   */
  #mergeSnapshots(): number {
    let resets = 0;
    for (const id of this.#snapshots.partitions()) {
      const file = this.#snapshots.latest(id)!;
      const st = this.#state(id);
      const meta = file.meta;
      if (meta.index > st.index.base && st.index.term(meta.index) !== meta.term) {
        st.reset(meta);
        this.#enqueue({ kind: 'reset', state: st, meta, bytes: recordBytes.reset(meta) });
        resets++;
      }
    }
    return resets;
  }

  #state(id: PartitionId): PartitionState {
    let st = this.#states.get(id);
    if (!st) {
      st = new PartitionState(id);
      this.#states.set(id, st);
    }
    return st;
  }

  /** The log of a partition (created empty when the node has none). */
  partition(id: PartitionId): PartitionLog {
    let log = this.#logs.get(id);
    if (!log) {
      log = new PartitionLog(this.#state(id), this.#sink, this.#snapshots);
      this.#logs.set(id, log);
    }
    return log;
  }

  /** Partitions with any state on this node (recovered or created). */
  partitionIds(): PartitionId[] {
    return [...this.#states.keys()].sort((a, b) => a - b);
  }

  /**
   * Resolves when everything queued so far is durable (the batch now accumulating, or the one in
   * flight when nothing is queued). Rejects with WalFailedError when the WAL fails.
   */
  flushed(): Promise<DurableBatch> {
    if (this.#failure) return Promise.reject(this.#failure);
    const b = this.#pending.ops.length > 0 ? this.#pending : this.#inflight;
    if (!b) return Promise.resolve({ seq: this.#batchSeq, marks: [] });
    b.promise ??= new Promise((resolve, reject) => b.waiters.push({ resolve, reject }));
    return b.promise;
  }

  /** Calls `listener` after every durable batch; returns the unsubscribe function. */
  onDurable(listener: (batch: DurableBatch) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Partitions whose oldest held entry pins pinnedSegmentsMax or more older segments. */
  partitionsToSnapshot(): PartitionId[] {
    const cur = this.#current?.seq ?? 0;
    // A pin is on a live segment (#collect keeps every pinned one). With no live segment old
    // enough, no partition needs a look: the host asks every second, and most often that is so.
    let oldest = cur;
    for (const seq of this.#segments.keys()) oldest = Math.min(oldest, seq);
    if (cur - oldest < this.#o.pinnedSegmentsMax) return [];
    const out: PartitionId[] = [];
    for (const st of this.#states.values()) {
      const seg = st.durablePin;
      if (seg !== 0 && cur - seg >= this.#o.pinnedSegmentsMax) out.push(st.id);
    }
    return out.sort((a, b) => a - b);
  }

  /**
   * Bytes queued for the next batch and not yet written. The host applies back-pressure on it
   * (stops taking proposals above its limit): the WAL itself never refuses a Ready.
   */
  queuedBytes(): number {
    return this.#pending.bytes;
  }

  /** Sequence numbers of the live segment files. */
  segmentSeqs(): number[] {
    return [...this.#segments.keys()].sort((a, b) => a - b);
  }

  /** The fatal error, once the WAL has failed. */
  get failure(): WalFailedError | undefined {
    return this.#failure;
  }

  /** Waits for queued records to be durable, then closes the files. */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      while (this.#pending.ops.length > 0 || this.#inflight) await this.flushed();
    } catch {
      // The failure stays recorded; closing still releases the files.
    }
    await this.#gc;
    this.#closed = true;
    for (const s of this.#segments.values()) await s.handle?.close();
    this.#segments.clear();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #checkUsable(): void {
    if (this.#failure) throw this.#failure;
    if (this.#closed) throw new WalClosedError('write-ahead log is closed');
  }

  #enqueue(op: WalOp): void {
    op.state.queuedOps++;
    this.#pending.ops.push(op);
    this.#pending.bytes += op.bytes;
    if (!this.#scheduled && !this.#inflight) {
      this.#scheduled = true;
      this.#o.defer(this.#kick);
    }
  }

  readonly #kick = (): void => {
    this.#scheduled = false;
    if (this.#inflight || this.#failure || this.#pending.ops.length === 0) return;
    void this.#run(this.#takeBatch());
  };

  /** The pending batch, or its prefix up to batchBytesMax (the rest keeps the waiters). */
  #takeBatch(): Batch {
    const p = this.#pending;
    if (p.bytes <= this.#o.batchBytesMax) {
      this.#pending = newBatch();
      return p;
    }
    const head = newBatch();
    while (
      p.ops.length > 0 &&
      (head.ops.length === 0 || head.bytes + p.ops[0]!.bytes <= this.#o.batchBytesMax)
    ) {
      const op = p.ops.shift()!;
      head.ops.push(op);
      head.bytes += op.bytes;
      p.bytes -= op.bytes;
    }
    return head;
  }

  async #run(batch: Batch): Promise<void> {
    this.#inflight = batch;
    let result: DurableBatch;
    let touched: Set<PartitionState>;
    try {
      const plan = this.#encode(batch);
      result = plan.result;
      touched = plan.touched;
      const seg = plan.segment;
      if (!seg.handle) {
        seg.handle = await this.#o.fs.open(seg.path, 'create');
        this.#segments.set(seg.seq, seg);
      }
      await seg.handle.write(plan.data, plan.position);
      this.#o.observer?.batch(plan.data.length, entryCount(batch));
      const synced = this.#o.observer?.sync();
      try {
        await seg.handle.datasync();
      } finally {
        synced?.();
      }
      if (plan.fresh) await this.#o.fs.syncDir(this.#o.dir);
      seg.size = plan.position + plan.data.length;
    } catch (e) {
      this.#fail(e, 'write or fdatasync failed');
      return;
    }
    this.#inflight = undefined;
    this.#complete(batch, result, touched);
  }

  #encode(batch: Batch) {
    const w = this.#writer;
    w.reset();
    let seg = this.#current;
    const fresh =
      !seg ||
      (seg.size > segmentHeaderBytes &&
        seg.size + batchHeaderBytes + batch.bytes > this.#o.segmentBytesMax);
    if (fresh) {
      const seq = seg ? seg.seq + 1 : this.#nextSeq;
      seg = { seq, path: joinPath(this.#o.dir, segmentFileName(seq)), handle: undefined, size: 0 };
      this.#current = seg;
      this.#gcWanted = true;
      w.raw(encodeSegmentHeader(seq));
      encodeCheckpoint(w, this.#states.values());
    }
    assert(seg !== undefined, 'a current segment');
    const position = fresh ? 0 : seg.size;
    const start = w.length;
    const { touched, compacted } = encodeBatch(w, batch.ops, seg.seq, position);
    assert(w.length - start - batchHeaderBytes === batch.bytes, 'planned and encoded sizes agree');
    if (compacted) this.#gcWanted = true;
    const marks: DurableMark[] = [];
    for (const st of touched) {
      const l = st.logged;
      marks.push({
        partition: st.id,
        lastIndex: logIndex(l.lastIndex),
        lastTerm: l.lastTerm as Term,
      });
    }
    this.#batchSeq++;
    const result: DurableBatch = { seq: this.#batchSeq, marks };
    return { segment: seg, position, data: w.bytes(), fresh, result, touched };
  }

  #complete(batch: Batch, result: DurableBatch, touched: Set<PartitionState>): void {
    for (const st of touched) {
      st.durablePin = st.encodedPin;
      st.evict(this.#o.cacheBytesPerPartition);
    }
    if (this.#gcWanted && !this.#gc) {
      this.#gc = this.#collect().finally(() => {
        this.#gc = undefined;
      });
    }
    for (const w of batch.waiters) w.resolve(result);
    for (const listener of this.#listeners) listener(result);
    if (this.#pending.ops.length > 0 && !this.#scheduled) {
      this.#scheduled = true;
      this.#o.defer(this.#kick);
    }
  }

  /** Deletes the segments older than every segment a partition still needs. */
  async #collect(): Promise<void> {
    this.#gcWanted = false;
    const cur = this.#current;
    if (!cur) return;
    let keep = cur.seq;
    for (const st of this.#states.values()) {
      const seg = st.durablePin;
      if (seg !== 0 && seg < keep) keep = seg;
    }
    const doomed = [...this.#segments.values()].filter((s) => s.seq < keep);
    if (doomed.length === 0) return;
    try {
      for (const s of doomed.sort((a, b) => a.seq - b.seq)) {
        this.#segments.delete(s.seq);
        await s.handle?.close();
        await this.#o.fs.remove(s.path);
      }
      await this.#o.fs.syncDir(this.#o.dir);
    } catch (e) {
      this.#fail(e, 'deleting an old segment failed');
    }
  }

  #fail(e: unknown, what: string): void {
    if (this.#failure) return;
    const cause = new FsyncFailedError(`${what}: ${String(e)}`, { cause: e });
    this.#failure = new WalFailedError('write-ahead log failed; the node must stop', { cause });
    const rejected = [this.#inflight, this.#pending];
    this.#inflight = undefined;
    for (const b of rejected) for (const w of b?.waiters ?? []) w.reject(this.#failure);
  }

  /**
   * Reads the Entries record at (segment, offset) synchronously. Reads ahead up to
   * readAheadBytes, but never past the segment's completed size (bytes of the batch in flight are
   * not final), so that a lagging follower's consecutive records cost one read.
   */
  #readRecordSync(segment: number, offset: number): Entry[] {
    const seg = this.#segments.get(segment);
    assert(seg?.handle !== undefined, `segment ${segment} is live`);
    let ra = this.#readAhead;
    if (
      !ra ||
      ra.segment !== segment ||
      offset < ra.start ||
      offset + 9 > ra.start + ra.buf.length
    ) {
      ra = this.#fill(seg, offset, readAheadBytes);
    }
    let at = offset - ra.start;
    if (at + recordHeaderBytes <= ra.buf.length) {
      const len = recordLength(ra.buf.subarray(at, at + recordHeaderBytes));
      if (at + len > ra.buf.length) {
        ra = this.#fill(seg, offset, Math.max(len, readAheadBytes));
        at = 0;
      }
    }
    const r = decodeRecord(ra.buf, at);
    if (!r.ok || r.record.type !== 1) {
      const why = r.ok ? 'not an entries record' : `${r.problem} ${r.detail}`;
      throw new CorruptLogError(seg.path, offset, `cold read: ${why}`);
    }
    return r.record.entries;
  }

  #fill(seg: Segment, offset: number, bytes: number) {
    const end = Math.max(offset, Math.min(offset + bytes, seg.size));
    const buf = new Uint8Array(end - offset);
    const n = seg.handle!.readSync(buf, offset);
    this.#readAhead = { segment: seg.seq, start: offset, buf: buf.subarray(0, n) };
    return this.#readAhead;
  }
}

function entryCount(batch: Batch): number {
  let n = 0;
  for (const op of batch.ops) if (op.kind === 'entries') n += op.entries.length;
  return n;
}
