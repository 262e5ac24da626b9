import { describe, expect, it } from 'vitest';
import { logIndex, nodeId, partitionId, term } from '../common/index.js';
import {
  decodeSnapshotHeader,
  decodeSnapshotTrailer,
  encodeSnapshotHeader,
  encodeSnapshotTrailer,
} from './snapshot-format.js';

const meta = {
  index: logIndex(2 ** 40 + 3),
  term: term(77),
  conf: { voters: [nodeId(1), nodeId(2 ** 33)], learners: [nodeId(5)] },
};

describe('snapshot format', () => {
  it('round-trips header and trailer', () => {
    const h = encodeSnapshotHeader(partitionId(12), meta);
    expect(decodeSnapshotHeader(h)).toEqual({ partition: 12, meta, length: h.length });
    expect(decodeSnapshotTrailer(encodeSnapshotTrailer(2 ** 35, 0xdeadbeef))).toEqual({
      dataLength: 2 ** 35,
      dataCrc: 0xdeadbeef,
    });
  });

  it('detects every flipped bit and every truncation', () => {
    const h = encodeSnapshotHeader(partitionId(12), meta);
    const t = encodeSnapshotTrailer(1000, 42);
    for (const [buf, decode] of [
      [h, decodeSnapshotHeader],
      [t, decodeSnapshotTrailer],
    ] as const) {
      for (let i = 0; i < buf.length * 8; i++) {
        const bad = buf.slice();
        bad[i >> 3]! ^= 1 << (i & 7);
        expect(decode(bad), `bit ${i}`).toBeUndefined();
      }
      for (let n = 0; n < buf.length; n++) expect(decode(buf.slice(0, n))).toBeUndefined();
    }
  });
});
