// Segment file layout (pure: no I/O).
//   segment header (20 bytes): "MRWALSEG" | u32 version | u32 segment sequence | u32 crc32c(first 16)
//   then batches, one per group-commit write:
//   batch header (16 bytes): u32 magic | u32 bodyLength | u32 crc32c(body) | u32 crc32c(first 12)
//   body: records (record-codec.ts), each with its own length, type and crc32c.
// A batch is the unit of durability: it is written with one write and one fdatasync.

import { crc32c } from '../common/index.js';

export const segmentHeaderBytes = 20;
export const batchHeaderBytes = 16;
export const segmentVersion = 1;
const segmentMagic = new TextEncoder().encode('MRWALSEG');
/** "MRBT" little-endian. */
export const batchMagic = 0x5442524d;

export function encodeSegmentHeader(seq: number): Uint8Array {
  const out = new Uint8Array(segmentHeaderBytes);
  const view = new DataView(out.buffer);
  out.set(segmentMagic, 0);
  view.setUint32(8, segmentVersion, true);
  view.setUint32(12, seq, true);
  view.setUint32(16, crc32c(out.subarray(0, 16)), true);
  return out;
}

/** The segment's sequence number, or undefined when the header is not a valid one. */
export function decodeSegmentHeader(buf: Uint8Array): number | undefined {
  if (buf.length < segmentHeaderBytes) return undefined;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let i = 0; i < segmentMagic.length; i++) if (buf[i] !== segmentMagic[i]) return undefined;
  if (view.getUint32(16, true) !== crc32c(buf.subarray(0, 16))) return undefined;
  if (view.getUint32(8, true) !== segmentVersion) return undefined;
  return view.getUint32(12, true);
}

/** Writes a batch header for `body` into `out` at `at` (16 bytes). */
export function writeBatchHeader(out: Uint8Array, at: number, body: Uint8Array): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint32(at, batchMagic, true);
  view.setUint32(at + 4, body.length, true);
  view.setUint32(at + 8, crc32c(body), true);
  view.setUint32(at + 12, crc32c(out.subarray(at, at + 12)), true);
}

export type BatchCheck = { ok: true; bodyStart: number; end: number } | { ok: false; why: string };

/** Checks the batch at `at`: header, length within the buffer, body checksum. */
export function checkBatch(buf: Uint8Array, at: number): BatchCheck {
  if (buf.length - at < batchHeaderBytes) return { ok: false, why: 'partial batch header' };
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (view.getUint32(at, true) !== batchMagic) {
    return { ok: false, why: isZero(buf, at, at + batchHeaderBytes) ? 'zeros' : 'bad batch magic' };
  }
  if (view.getUint32(at + 12, true) !== crc32c(buf.subarray(at, at + 12))) {
    return { ok: false, why: 'batch header checksum mismatch' };
  }
  const len = view.getUint32(at + 4, true);
  const bodyStart = at + batchHeaderBytes;
  if (len > buf.length - bodyStart) return { ok: false, why: 'batch extends past end of file' };
  if (view.getUint32(at + 8, true) !== crc32c(buf.subarray(bodyStart, bodyStart + len))) {
    return { ok: false, why: 'batch body checksum mismatch' };
  }
  return { ok: true, bodyStart, end: bodyStart + len };
}

function isZero(buf: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (buf[i] !== 0) return false;
  return true;
}

/** The offset of the first valid batch starting after `from`, or -1. */
export function findValidBatchAfter(buf: Uint8Array, from: number): number {
  const b0 = batchMagic & 0xff;
  for (let i = from + 1; i + batchHeaderBytes <= buf.length; i++) {
    if (buf[i] === b0 && checkBatch(buf, i).ok) return i;
  }
  return -1;
}

export interface SegmentScan {
  /** Valid batches in order: [bodyStart, end) of each body. */
  batches: { offset: number; bodyStart: number; end: number }[];
  /** Where valid data ends: the file is truncated here when `torn` is set. */
  validEnd: number;
  /** A torn tail: a bad last batch with no valid batch after it (only in the last segment). */
  torn?: { offset: number; why: string };
  /** A bad batch that is not the tail: the log is corrupt at this offset. */
  corrupt?: { offset: number; why: string };
}

/**
 * Scans a whole segment. A bad batch is a torn tail only in the last segment and only when no valid
 * batch follows it anywhere in the file; zero-filled tails are torn tails like any other.
 */
export function scanSegment(buf: Uint8Array, expectedSeq: number, isLast: boolean): SegmentScan {
  const seq = decodeSegmentHeader(buf);
  if (seq !== expectedSeq) {
    const why = seq === undefined ? 'bad segment header' : `segment sequence ${seq}`;
    if (isLast && seq === undefined && findValidBatchAfter(buf, -1) < 0) {
      return { batches: [], validEnd: 0, torn: { offset: 0, why } };
    }
    return { batches: [], validEnd: 0, corrupt: { offset: 0, why } };
  }
  const batches: SegmentScan['batches'] = [];
  let at = segmentHeaderBytes;
  while (at < buf.length) {
    const c = checkBatch(buf, at);
    if (c.ok) {
      batches.push({ offset: at, bodyStart: c.bodyStart, end: c.end });
      at = c.end;
      continue;
    }
    if (!isLast || findValidBatchAfter(buf, at) >= 0) {
      return { batches, validEnd: at, corrupt: { offset: at, why: c.why } };
    }
    return { batches, validEnd: at, torn: { offset: at, why: c.why } };
  }
  // Every segment the WAL writes starts with its checkpoint batch; one that ends after the header
  // can only be a new last segment whose first write did not reach the disk.
  if (!isLast && batches.length === 0) {
    return { batches, validEnd: at, corrupt: { offset: at, why: 'segment without a batch' } };
  }
  return { batches, validEnd: at };
}
