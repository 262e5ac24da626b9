// Snapshot file layout (pure: no I/O).
//   header: "MRSNAP01" | u32 headerLength | u32 partition | u64 index | u64 term | conf | u32 crc32c
//   data: the state machine's bytes, written and read in chunks
//   trailer (20 bytes): u64 dataLength | u32 crc32c(data) | u32 magic | u32 crc32c(first 16)

import {
  ByteReader,
  ByteWriter,
  crc32c,
  DecodeError,
  logIndex,
  nodeId,
  type PartitionId,
  partitionId,
  term,
} from '../common/index.js';
import type { ConfState, SnapshotMeta } from '../raft/index.js';

const magic = new TextEncoder().encode('MRSNAP01');
const trailerMagic = 0x45534e4d;
export const snapshotTrailerBytes = 20;
/** Enough bytes to read any header's length field. */
export const snapshotHeaderPrefixBytes = 12;

export function encodeSnapshotHeader(partition: PartitionId, meta: SnapshotMeta): Uint8Array {
  const w = new ByteWriter(64);
  w.raw(magic);
  w.u32(0);
  w.u32(partition);
  w.u64(meta.index);
  w.u64(meta.term);
  w.u32(meta.conf.voters.length);
  for (const v of meta.conf.voters) w.u64(v);
  w.u32(meta.conf.learners.length);
  for (const l of meta.conf.learners) w.u64(l);
  w.patchU32(8, w.length + 4);
  w.u32(crc32c(w.bytes()));
  return w.bytes().slice();
}

/** The header's total length from its first 12 bytes, or undefined when it is not a header. */
export function snapshotHeaderLength(prefix: Uint8Array): number | undefined {
  if (prefix.length < snapshotHeaderPrefixBytes) return undefined;
  for (let i = 0; i < magic.length; i++) if (prefix[i] !== magic[i]) return undefined;
  return new DataView(prefix.buffer, prefix.byteOffset).getUint32(8, true);
}

export function decodeSnapshotHeader(
  buf: Uint8Array,
): { partition: PartitionId; meta: SnapshotMeta; length: number } | undefined {
  const length = snapshotHeaderLength(buf);
  if (length === undefined || length < 40 || length > buf.length) return undefined;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (view.getUint32(length - 4, true) !== crc32c(buf.subarray(0, length - 4))) return undefined;
  try {
    const r = new ByteReader(buf, 12, length - 4);
    const partition = partitionId(r.u32());
    const index = logIndex(r.u64());
    const t = term(r.u64());
    const conf: ConfState = { voters: readIds(r), learners: readIds(r) };
    if (r.remaining !== 0) return undefined;
    return { partition, meta: { index, term: t, conf }, length };
  } catch (e) {
    if (e instanceof DecodeError) return undefined;
    throw e;
  }
}

function readIds(r: ByteReader) {
  const n = r.u32();
  if (n > r.remaining / 8) throw new DecodeError('id count beyond the header');
  return Array.from({ length: n }, () => nodeId(r.u64()));
}

export function encodeSnapshotTrailer(dataLength: number, dataCrc: number): Uint8Array {
  const w = new ByteWriter(snapshotTrailerBytes);
  w.u64(dataLength);
  w.u32(dataCrc >>> 0);
  w.u32(trailerMagic);
  w.u32(crc32c(w.bytes()));
  return w.bytes().slice();
}

export function decodeSnapshotTrailer(
  buf: Uint8Array,
): { dataLength: number; dataCrc: number } | undefined {
  if (buf.length !== snapshotTrailerBytes) return undefined;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (view.getUint32(12, true) !== trailerMagic) return undefined;
  if (view.getUint32(16, true) !== crc32c(buf.subarray(0, 16))) return undefined;
  try {
    const r = new ByteReader(buf, 0, 12);
    return { dataLength: r.u64(), dataCrc: r.u32() };
  } catch (e) {
    if (e instanceof DecodeError) return undefined;
    throw e;
  }
}
