// WAL records (pure: no I/O). A record is framed as
//   u32 payloadLength | u8 type | u32 crc32c(type byte ‖ payload) | payload
// and every payload starts with the partition id (u32). Indexes, terms and node ids are u64.

import {
  assert,
  ByteReader,
  type ByteWriter,
  crc32c,
  DecodeError,
  type LogIndex,
  logIndex,
  type NodeId,
  nodeId,
  type PartitionId,
  partitionId,
  type Term,
  term,
} from '../common/index.js';
import type { ConfState, Entry, EntryType, HardState, SnapshotMeta } from '../raft/index.js';

export const RecordType = {
  /** Entries from `firstIndex` on; they replace every entry at or above `firstIndex`. */
  Entries: 1,
  HardState: 2,
  Conf: 3,
  /** Entries up to `index` are released; `term` is the term of entry `index`. */
  Compact: 4,
  /** A snapshot from the leader was installed: the log is empty after `meta.index`. */
  Reset: 5,
} as const;
export type RecordType = (typeof RecordType)[keyof typeof RecordType];

export const recordHeaderBytes = 9;

export type WalRecord =
  | { type: 1; partition: PartitionId; firstIndex: LogIndex; entries: Entry[] }
  | { type: 2; partition: PartitionId; hardState: HardState }
  | { type: 3; partition: PartitionId; conf: ConfState }
  | { type: 4; partition: PartitionId; index: LogIndex; term: Term }
  | { type: 5; partition: PartitionId; meta: SnapshotMeta };

const typeByte = new Uint8Array(1);

function crcOf(type: number, payload: Uint8Array): number {
  typeByte[0] = type;
  return crc32c(payload, crc32c(typeByte));
}

function beginRecord(w: ByteWriter, type: RecordType, partition: PartitionId): number {
  const start = w.length;
  w.u32(0);
  w.u8(type);
  w.u32(0);
  w.u32(partition);
  return start;
}

function endRecord(w: ByteWriter, start: number, type: RecordType): void {
  const payloadStart = start + recordHeaderBytes;
  const payload = w.slice(payloadStart);
  w.patchU32(start, payload.length);
  w.patchU32(start + 5, crcOf(type, payload));
}

function writeConf(w: ByteWriter, conf: ConfState): void {
  w.u32(conf.voters.length);
  for (const v of conf.voters) w.u64(v);
  w.u32(conf.learners.length);
  for (const l of conf.learners) w.u64(l);
}

/** Appends an Entries record to `w`; returns the offset of its frame within `w`. */
export function encodeEntries(w: ByteWriter, partition: PartitionId, entries: readonly Entry[]) {
  assert(entries.length > 0, 'an Entries record holds at least one entry');
  const first = entries[0]!.index;
  const start = beginRecord(w, RecordType.Entries, partition);
  w.u64(first);
  w.u32(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    assert(e.index === first + i, 'entries of a record are contiguous');
    w.u64(e.term);
    w.u8(e.type);
    w.u32(e.data.length);
    w.raw(e.data);
  }
  endRecord(w, start, RecordType.Entries);
  return start;
}

export function encodeHardState(w: ByteWriter, partition: PartitionId, hs: HardState): number {
  const start = beginRecord(w, RecordType.HardState, partition);
  w.u64(hs.term);
  w.u64(hs.vote);
  w.u64(hs.commit);
  endRecord(w, start, RecordType.HardState);
  return start;
}

export function encodeConf(w: ByteWriter, partition: PartitionId, conf: ConfState): number {
  const start = beginRecord(w, RecordType.Conf, partition);
  writeConf(w, conf);
  endRecord(w, start, RecordType.Conf);
  return start;
}

export function encodeCompact(w: ByteWriter, partition: PartitionId, index: LogIndex, t: Term) {
  const start = beginRecord(w, RecordType.Compact, partition);
  w.u64(index);
  w.u64(t);
  endRecord(w, start, RecordType.Compact);
  return start;
}

export function encodeReset(w: ByteWriter, partition: PartitionId, meta: SnapshotMeta): number {
  const start = beginRecord(w, RecordType.Reset, partition);
  w.u64(meta.index);
  w.u64(meta.term);
  writeConf(w, meta.conf);
  endRecord(w, start, RecordType.Reset);
  return start;
}

export function encodeRecord(w: ByteWriter, r: WalRecord): number {
  switch (r.type) {
    case RecordType.Entries:
      return encodeEntries(w, r.partition, r.entries);
    case RecordType.HardState:
      return encodeHardState(w, r.partition, r.hardState);
    case RecordType.Conf:
      return encodeConf(w, r.partition, r.conf);
    case RecordType.Compact:
      return encodeCompact(w, r.partition, r.index, r.term);
    case RecordType.Reset:
      return encodeReset(w, r.partition, r.meta);
  }
}

/** Why a frame could not be read: the caller turns it into a torn tail or a CorruptLogError. */
export type FrameProblem = 'short' | 'checksum' | 'type' | 'payload';

export type FrameResult =
  | { ok: true; record: WalRecord; end: number }
  | { ok: false; problem: FrameProblem; detail: string };

function readConf(r: ByteReader): ConfState {
  const voters: NodeId[] = [];
  const nv = r.u32();
  if (nv > r.remaining / 8) throw new DecodeError('voter count beyond the payload');
  for (let i = 0; i < nv; i++) voters.push(nodeId(r.u64()));
  const learners: NodeId[] = [];
  const nl = r.u32();
  if (nl > r.remaining / 8) throw new DecodeError('learner count beyond the payload');
  for (let i = 0; i < nl; i++) learners.push(nodeId(r.u64()));
  return { voters, learners };
}

function decodePayload(type: number, r: ByteReader): WalRecord {
  const partition = partitionId(r.u32());
  switch (type) {
    case RecordType.Entries: {
      const first = r.u64();
      const count = r.u32();
      if (count === 0 || count > r.remaining / 13) throw new DecodeError(`bad count ${count}`);
      const entries: Entry[] = [];
      for (let i = 0; i < count; i++) {
        const t = term(r.u64());
        const et = r.u8();
        if (et > 1) throw new DecodeError(`bad entry type ${et}`);
        const data = r.copy(r.u32());
        entries.push({ index: logIndex(first + i), term: t, type: et as EntryType, data });
      }
      return { type, partition, firstIndex: logIndex(first), entries };
    }
    case RecordType.HardState: {
      const t = term(r.u64());
      const v = r.u64();
      const commit = logIndex(r.u64());
      return { type, partition, hardState: { term: t, vote: v === 0 ? 0 : nodeId(v), commit } };
    }
    case RecordType.Conf:
      return { type, partition, conf: readConf(r) };
    case RecordType.Compact:
      return { type, partition, index: logIndex(r.u64()), term: term(r.u64()) };
    case RecordType.Reset: {
      const index = logIndex(r.u64());
      const t = term(r.u64());
      return { type, partition, meta: { index, term: t, conf: readConf(r) } };
    }
    default:
      throw new DecodeError(`unknown record type ${type}`);
  }
}

/** Reads the record frame at `at`, no further than `end`. Never throws on bad input. */
export function decodeRecord(buf: Uint8Array, at: number, end = buf.length): FrameResult {
  if (end - at < recordHeaderBytes) return { ok: false, problem: 'short', detail: 'header' };
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const len = view.getUint32(at, true);
  const type = buf[at + 4]!;
  const crc = view.getUint32(at + 5, true);
  const payloadStart = at + recordHeaderBytes;
  if (len > end - payloadStart) return { ok: false, problem: 'short', detail: `length ${len}` };
  const payload = buf.subarray(payloadStart, payloadStart + len);
  if (crcOf(type, payload) !== crc) return { ok: false, problem: 'checksum', detail: 'crc32c' };
  if (type < RecordType.Entries || type > RecordType.Reset) {
    return { ok: false, problem: 'type', detail: `type ${type}` };
  }
  try {
    const r = new ByteReader(buf, payloadStart, payloadStart + len);
    const record = decodePayload(type, r);
    if (r.remaining !== 0) return { ok: false, problem: 'payload', detail: 'trailing bytes' };
    return { ok: true, record, end: payloadStart + len };
  } catch (e) {
    if (e instanceof DecodeError) return { ok: false, problem: 'payload', detail: e.message };
    throw e;
  }
}

/** The payload length of the record frame at `at` (for positional reads of one record). */
export function recordLength(header: Uint8Array): number {
  assert(header.length >= recordHeaderBytes, 'record header is 9 bytes');
  return recordHeaderBytes + new DataView(header.buffer, header.byteOffset).getUint32(0, true);
}
