import { describe, expect, it } from 'vitest';
import { ByteWriter, logIndex, partitionId, term } from '../common/index.js';
import { encodeCompact, encodeEntries } from './record-codec.js';
import {
  batchHeaderBytes,
  encodeSegmentHeader,
  scanSegment,
  segmentHeaderBytes,
  writeBatchHeader,
} from './segment-format.js';
import { mkEntries } from './test-helpers.js';

/** A segment with `n` batches; returns the bytes and each batch's offset. */
function segment(seq: number, n: number): { bytes: Uint8Array; offsets: number[] } {
  const w = new ByteWriter(64);
  w.raw(encodeSegmentHeader(seq));
  const offsets: number[] = [];
  for (let b = 0; b < n; b++) {
    const start = w.length;
    offsets.push(start);
    w.raw(new Uint8Array(batchHeaderBytes));
    encodeEntries(w, partitionId(1), mkEntries(1, 1 + b * 3, 3, 1, 20 + b));
    encodeCompact(w, partitionId(2), logIndex(b), term(1));
    writeBatchHeader(w.bytes(), start, w.slice(start + batchHeaderBytes));
  }
  return { bytes: w.bytes().slice(), offsets };
}

describe('segment scan', () => {
  it('reads every batch of a good segment', () => {
    const { bytes, offsets } = segment(7, 4);
    const s = scanSegment(bytes, 7, false);
    expect(s.batches.map((b) => b.offset)).toEqual(offsets);
    expect(s.validEnd).toBe(bytes.length);
    expect(s.torn).toBeUndefined();
    expect(s.corrupt).toBeUndefined();
  });

  it('rejects a segment whose header names another sequence number', () => {
    const { bytes } = segment(7, 1);
    expect(scanSegment(bytes, 8, false).corrupt?.offset).toBe(0);
  });

  it('a header without a batch: nothing held when last, corruption otherwise', () => {
    const { bytes } = segment(4, 0);
    expect(scanSegment(bytes, 4, true)).toEqual({ batches: [], validEnd: segmentHeaderBytes });
    expect(scanSegment(bytes, 4, false).corrupt?.offset).toBe(segmentHeaderBytes);
  });

  it('truncated anywhere in the last batch: a torn tail at that batch', () => {
    const { bytes, offsets } = segment(3, 3);
    const last = offsets[2]!;
    for (let n = last + 1; n < bytes.length; n++) {
      const s = scanSegment(bytes.subarray(0, n), 3, true);
      expect(s.torn?.offset, `length ${n}`).toBe(last);
      expect(s.validEnd).toBe(last);
      expect(s.batches).toHaveLength(2);
      // The same file in a segment that is not the last one is corrupt.
      expect(scanSegment(bytes.subarray(0, n), 3, false).corrupt?.offset).toBe(last);
    }
  });

  it('a zero-filled tail (preallocated or torn) is a torn tail', () => {
    const { bytes, offsets } = segment(3, 2);
    const withZeros = new Uint8Array(bytes.length + 4096);
    withZeros.set(bytes);
    const s = scanSegment(withZeros, 3, true);
    expect(s.torn?.offset).toBe(bytes.length);
    expect(s.batches).toHaveLength(2);
    // A last batch whose end reached the disk as zeros.
    const zeroed = bytes.slice();
    zeroed.fill(0, offsets[1]! + 20);
    expect(scanSegment(zeroed, 3, true).torn?.offset).toBe(offsets[1]);
  });

  it('a flipped bit: torn tail in the last batch, corruption with its offset elsewhere', () => {
    const { bytes, offsets } = segment(5, 3);
    for (let i = segmentHeaderBytes; i < bytes.length; i++) {
      const bad = bytes.slice();
      bad[i]! ^= 1 << (i % 8);
      const batch = offsets.filter((o) => o <= i).length - 1;
      const s = scanSegment(bad, 5, true);
      if (batch === offsets.length - 1) {
        expect(s.torn?.offset, `byte ${i}`).toBe(offsets[batch]);
      } else {
        expect(s.corrupt?.offset, `byte ${i}`).toBe(offsets[batch]);
      }
    }
  });

  it('a bad segment header: torn when nothing valid follows in the last segment', () => {
    const { bytes } = segment(5, 2);
    const torn = bytes.slice(0, 10);
    expect(scanSegment(torn, 5, true).torn?.offset).toBe(0);
    const bad = bytes.slice();
    bad[3]! ^= 1;
    expect(scanSegment(bad, 5, true).corrupt?.offset).toBe(0);
    expect(scanSegment(torn, 5, false).corrupt?.offset).toBe(0);
  });
});
