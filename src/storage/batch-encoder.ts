// Encodes a batch of queued partition writes into one batch frame (pure: no I/O). While encoding
// it records where each entry's record will be (segment, offset) and what each partition has
// logged, which is what the next segment's checkpoint and the durability report are made of.

import type { ByteWriter } from '../common/index.js';
import { assert, logIndex, type Term } from '../common/index.js';
import type { WalOp } from './partition-log.js';
import type { PartitionState } from './partition-state.js';
import {
  encodeCompact,
  encodeConf,
  encodeEntries,
  encodeHardState,
  encodeReset,
} from './record-codec.js';
import { batchHeaderBytes, writeBatchHeader } from './segment-format.js';

/**
 * A batch holding every partition's logged compaction point, hard state and configuration, so
 * that replay may start at the segment it opens (the segments before it may be deleted).
 */
export function encodeCheckpoint(w: ByteWriter, states: Iterable<PartitionState>): void {
  const start = w.length;
  w.raw(new Uint8Array(batchHeaderBytes));
  for (const st of states) {
    const l = st.logged;
    if (l.baseIndex > 0) encodeCompact(w, st.id, logIndex(l.baseIndex), l.baseTerm as Term);
    encodeHardState(w, st.id, l.hardState);
    encodeConf(w, st.id, l.conf);
  }
  writeBatchHeader(w.bytes(), start, w.slice(start + batchHeaderBytes));
}

/**
 * Appends one batch frame holding `ops` to `w`, whose first byte goes to file offset `position`
 * of segment `seq`. Returns the partitions touched and whether anything was compacted or reset.
 */
export function encodeBatch(
  w: ByteWriter,
  ops: readonly WalOp[],
  seq: number,
  position: number,
): { touched: Set<PartitionState>; compacted: boolean } {
  const start = w.length;
  w.raw(new Uint8Array(batchHeaderBytes));
  const touched = new Set<PartitionState>();
  let compacted = false;
  for (const op of ops) {
    compacted = encodeOp(w, op, seq, position) || compacted;
    op.state.queuedOps--;
    touched.add(op.state);
  }
  writeBatchHeader(w.bytes(), start, w.slice(start + batchHeaderBytes));
  for (const st of touched) {
    // With nothing of the partition left in the queue, its in-memory log is what this batch
    // makes durable; otherwise keep the older (more conservative) pin.
    if (st.queuedOps === 0) st.encodedPin = st.index.firstSegment();
  }
  return { touched, compacted };
}

/** Encodes one op and updates the partition's logged state; true when it released entries. */
function encodeOp(w: ByteWriter, op: WalOp, seq: number, position: number): boolean {
  const st = op.state;
  const l = st.logged;
  switch (op.kind) {
    case 'entries': {
      const offset = position + encodeEntries(w, st.id, op.entries);
      assert(offset < 2 ** 32, 'segment offsets fit in u32 (segmentBytesMax < 4 GiB)');
      for (const e of op.entries) {
        // Only entries still in the log (not replaced by a later queued append) get a location;
        // an entry not yet written is always in the cache.
        if (st.cache.get(e.index) === e) st.index.setLocation(e.index, seq, offset);
      }
      const last = op.entries[op.entries.length - 1]!;
      l.lastIndex = last.index;
      l.lastTerm = last.term;
      return false;
    }
    case 'hardState':
      encodeHardState(w, st.id, op.hardState);
      l.hardState = op.hardState;
      return false;
    case 'conf':
      encodeConf(w, st.id, op.conf);
      l.conf = op.conf;
      return false;
    case 'compact':
      encodeCompact(w, st.id, logIndex(op.index), op.term as Term);
      l.baseIndex = op.index;
      l.baseTerm = op.term;
      if (l.lastIndex < op.index) {
        l.lastIndex = op.index;
        l.lastTerm = op.term;
      }
      return true;
    case 'reset':
      encodeReset(w, st.id, op.meta);
      l.baseIndex = l.lastIndex = op.meta.index;
      l.baseTerm = l.lastTerm = op.meta.term;
      l.conf = op.meta.conf;
      return true;
  }
}
