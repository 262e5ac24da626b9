import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteWriter, crc32c, logIndex, nodeId, partitionId, term } from '../common/index.js';
import { recordBytes } from './partition-log.js';
import { decodeRecord, encodeRecord, RecordType, type WalRecord } from './record-codec.js';

const u53 = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const conf = fc.record({
  voters: fc.array(u53.map(nodeId), { maxLength: 5 }),
  learners: fc.array(u53.map(nodeId), { maxLength: 3 }),
});
const part = fc.integer({ min: 0, max: 2 ** 32 - 1 }).map(partitionId);

const record: fc.Arbitrary<WalRecord> = fc.oneof(
  fc
    .record({
      partition: part,
      first: fc.integer({ min: 1, max: 2 ** 50 }),
      t: fc.integer({ min: 0, max: 2 ** 50 }),
      datas: fc.array(fc.uint8Array({ maxLength: 40 }), { minLength: 1, maxLength: 6 }),
      types: fc.array(fc.constantFrom(0 as const, 1 as const), { minLength: 6, maxLength: 6 }),
    })
    .map(({ partition, first, t, datas, types }) => ({
      type: RecordType.Entries,
      partition,
      firstIndex: logIndex(first),
      entries: datas.map((data, i) => ({
        index: logIndex(first + i),
        term: term(t + i),
        type: types[i]!,
        data,
      })),
    })),
  fc.record({
    type: fc.constant(RecordType.HardState),
    partition: part,
    hardState: fc.record({
      term: u53.map(term),
      vote: fc.oneof(fc.constant(0 as const), fc.integer({ min: 1, max: 2 ** 40 }).map(nodeId)),
      commit: u53.map(logIndex),
    }),
  }),
  fc.record({ type: fc.constant(RecordType.Conf), partition: part, conf }),
  fc.record({
    type: fc.constant(RecordType.Compact),
    partition: part,
    index: u53.map(logIndex),
    term: u53.map(term),
  }),
  fc.record({
    type: fc.constant(RecordType.Reset),
    partition: part,
    meta: fc.record({ index: u53.map(logIndex), term: u53.map(term), conf }),
  }),
);

function encode(r: WalRecord): Uint8Array {
  const w = new ByteWriter(8);
  encodeRecord(w, r);
  return w.bytes().slice();
}

function plannedBytes(r: WalRecord): number {
  switch (r.type) {
    case 1:
      return recordBytes.entries(r.entries);
    case 2:
      return recordBytes.hardState();
    case 3:
      return recordBytes.conf(r.conf);
    case 4:
      return recordBytes.compact();
    case 5:
      return recordBytes.reset(r.meta);
  }
}

describe('record codec', () => {
  it('round-trips every record type, and the planned size is the encoded size', () => {
    fc.assert(
      fc.property(record, (r) => {
        const bytes = encode(r);
        expect(bytes.length).toBe(plannedBytes(r));
        const d = decodeRecord(bytes, 0);
        expect(d.ok && d.record).toEqual(r);
        expect(d.ok && d.end).toBe(bytes.length);
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it('detects every single-bit flip', () => {
    fc.assert(
      fc.property(record, (r) => {
        const bytes = encode(r);
        for (let i = 0; i < bytes.length; i++) {
          for (let bit = 0; bit < 8; bit++) {
            const bad = bytes.slice();
            bad[i]! ^= 1 << bit;
            expect(decodeRecord(bad, 0).ok, `byte ${i} bit ${bit}`).toBe(false);
          }
        }
      }),
      { seed: 43, numRuns: 25 },
    );
  });

  it('detects every truncation', () => {
    fc.assert(
      fc.property(record, (r) => {
        const bytes = encode(r);
        for (let n = 0; n < bytes.length; n++) {
          const d = decodeRecord(bytes.subarray(0, n), 0);
          expect(d.ok).toBe(false);
          expect(!d.ok && d.problem).toBe('short');
        }
      }),
      { seed: 44, numRuns: 40 },
    );
  });

  it('rejects zeros and an unknown type with a valid checksum', () => {
    expect(decodeRecord(new Uint8Array(64), 0).ok).toBe(false);
    const bytes = encode({ type: 4, partition: partitionId(1), index: logIndex(1), term: term(1) });
    const bad = bytes.slice();
    bad[4] = 9; // type 9, checksum recomputed below the way the encoder does it
    const crc = crc32c(bad.subarray(9), crc32c(new Uint8Array([9])));
    new DataView(bad.buffer).setUint32(5, crc, true);
    const d = decodeRecord(bad, 0);
    expect(!d.ok && d.problem).toBe('type');
  });
});
