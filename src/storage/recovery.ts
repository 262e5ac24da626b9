// Recovery: scan the segments in order, truncate a torn tail, and replay every record into the
// partitions' in-memory state. Replay is tolerant of a log whose start was deleted (segments are
// deleted from the front once no partition needs them; each segment starts with a checkpoint of
// every partition's hard state, configuration and compaction point): a partition may see entries
// beyond its checkpointed base before the Compact record that explains the gap. A gap that no
// record explains is corruption.

import { assert, type PartitionId } from '../common/index.js';
import type { Entry } from '../raft/index.js';
import { CorruptLogError } from './errors.js';
import { type FileHandle, type FileSystem, joinPath, readAll } from './fs.js';
import { PartitionState } from './partition-state.js';
import { decodeRecord, RecordType, type WalRecord } from './record-codec.js';
import { scanSegment } from './segment-format.js';

export interface Segment {
  readonly seq: number;
  readonly path: string;
  handle: FileHandle | undefined;
  /** Bytes written (and durable once the batch that wrote them completed). */
  size: number;
}

const segmentName = /^(\d{10})\.wal$/;

export function segmentFileName(seq: number): string {
  return `${String(seq).padStart(10, '0')}.wal`;
}

class ReplayState extends PartitionState {
  /** The entries before index.first are unknown until a record covers them. */
  gapped = false;
  /** While gapped: the last compaction point known before the gap. */
  knownBase = 0;
  knownBaseTerm = 0;
}

export interface Recovered {
  segments: Segment[];
  states: Map<PartitionId, PartitionState>;
  /** Sequence number for the next new segment. */
  nextSeq: number;
  /** Where a torn tail was cut, if any (for logs and tests). */
  tornAt?: { file: string; offset: number; why: string };
}

export async function recoverSegments(
  fs: FileSystem,
  dir: string,
  cacheBytes: number,
): Promise<Recovered> {
  const seqs = (await fs.list(dir))
    .map((n) => segmentName.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  // Only the last contiguous run counts: older files are leftovers of an interrupted deletion.
  let runStart = seqs.length - 1;
  while (runStart > 0 && seqs[runStart - 1] === seqs[runStart]! - 1) runStart--;
  const run = seqs.slice(Math.max(0, runStart));
  const states = new Map<PartitionId, ReplayState>();
  const segments: Segment[] = [];
  let tornAt: Recovered['tornAt'];
  for (let i = 0; i < run.length; i++) {
    const seq = run[i]!;
    const path = joinPath(dir, segmentFileName(seq));
    const handle = await fs.open(path, 'readwrite');
    const buf = await readAll(handle);
    const scan = scanSegment(buf, seq, i === run.length - 1);
    if (scan.corrupt) {
      await handle.close();
      for (const seg of segments) await seg.handle?.close();
      throw new CorruptLogError(path, scan.corrupt.offset, scan.corrupt.why);
    }
    for (const b of scan.batches) {
      for (let at = b.bodyStart; at < b.end; ) {
        const r = decodeRecord(buf, at, b.end);
        if (!r.ok) {
          await handle.close();
          for (const seg of segments) await seg.handle?.close();
          throw new CorruptLogError(path, at, `record in a valid batch: ${r.problem} ${r.detail}`);
        }
        replay(states, r.record, seq, at, cacheBytes);
        at = r.end;
      }
    }
    if (scan.torn) tornAt = { file: path, offset: scan.torn.offset, why: scan.torn.why };
    if (scan.batches.length === 0) {
      // Only the last segment gets here (any other one is corrupt without a batch). Its first
      // write (header, checkpoint, batch) never fully reached the disk, so nothing in it was
      // reported durable. Removed rather than continued: the WAL would write on into a segment
      // without its checkpoint, and deleting its predecessors would then lose their hard states.
      assert(i === run.length - 1, 'only the last segment may hold no batch');
      await handle.close();
      await fs.remove(path);
      await fs.syncDir(dir);
      continue;
    }
    if (scan.torn) {
      await handle.truncate(scan.validEnd);
      await handle.datasync();
    }
    segments.push({ seq, path, handle, size: scan.validEnd });
  }
  for (const st of states.values()) {
    if (st.gapped) {
      const file = segments[0]?.path ?? dir;
      for (const seg of segments) await seg.handle?.close();
      throw new CorruptLogError(
        file,
        0,
        `partition ${st.id}: entries before ${st.index.first} lost`,
      );
    }
  }
  // Removed only once the rest replayed without a gap: a wrongly skipped file stays for forensics.
  for (const seq of seqs.slice(0, Math.max(0, runStart))) {
    await fs.remove(joinPath(dir, segmentFileName(seq)));
  }
  const last = segments[segments.length - 1];
  const nextSeq = last ? last.seq + 1 : (run[0] ?? 1);
  return { segments, states, nextSeq, ...(tornAt ? { tornAt } : {}) };
}

function stateOf(states: Map<PartitionId, ReplayState>, id: PartitionId): ReplayState {
  let st = states.get(id);
  if (!st) {
    st = new ReplayState(id);
    states.set(id, st);
  }
  return st;
}

function replay(
  states: Map<PartitionId, ReplayState>,
  r: WalRecord,
  seq: number,
  offset: number,
  cacheBytes: number,
): void {
  const st = stateOf(states, r.partition);
  switch (r.type) {
    case RecordType.Entries:
      replayEntries(st, r.entries, seq, offset, cacheBytes);
      return;
    case RecordType.HardState:
      st.hardState = r.hardState;
      return;
    case RecordType.Conf:
      st.conf = r.conf;
      return;
    case RecordType.Compact:
      replayCompact(st, r.index, r.term);
      return;
    case RecordType.Reset:
      st.reset(r.meta);
      st.gapped = false;
      return;
  }
}

function replayEntries(
  st: ReplayState,
  all: Entry[],
  seq: number,
  offset: number,
  cacheBytes: number,
): void {
  const idx = st.index;
  let entries = all;
  const first = entries[0]!.index;
  if (st.gapped && first <= st.knownBase + 1) {
    // The record reaches back to the known base: the gap is closed.
    idx.reset(st.knownBase, st.knownBaseTerm);
    st.cache.clear();
    st.gapped = false;
  } else if (st.gapped && first <= idx.base) {
    idx.reset(first - 1, 0);
    st.cache.clear();
  }
  if (first <= idx.base) {
    entries = entries.filter((e) => e.index > idx.base);
    if (entries.length === 0) return;
  }
  const from = entries[0]!.index;
  if (from > idx.last + 1) {
    if (!st.gapped) {
      st.knownBase = idx.base;
      st.knownBaseTerm = idx.baseTerm;
    }
    idx.reset(from - 1, 0);
    st.cache.clear();
    st.gapped = true;
  }
  idx.truncateAfter(from - 1);
  st.cache.truncateAfter(from - 1);
  for (const e of entries) idx.push(e.term, seq, offset);
  st.cache.append(entries, from - 1);
  st.evict(cacheBytes);
}

function replayCompact(st: ReplayState, i: number, t: number): void {
  const idx = st.index;
  if (st.gapped) {
    if (i < idx.base) {
      if (i > st.knownBase) {
        st.knownBase = i;
        st.knownBaseTerm = t;
      }
      return;
    }
    st.gapped = false;
    if (i === idx.base) {
      idx.setBaseTerm(t);
      return;
    }
  } else if (i <= idx.base) {
    return;
  }
  st.compact(i, t);
}
