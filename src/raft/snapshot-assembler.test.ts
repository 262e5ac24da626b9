import { describe, expect, test } from 'vitest';
import { logIndex, nodeId, term } from '../common/index.js';
import { MessageType, type SnapshotMessage } from './message.js';
import { SnapshotAssembler } from './snapshot-assembler.js';

const meta = { index: logIndex(9), term: term(2), conf: { voters: [nodeId(1)], learners: [] } };
const data = new Uint8Array([1, 2, 3, 4, 5, 6, 7]);

function chunk(offset: number, size: number): SnapshotMessage {
  return {
    type: MessageType.Snapshot,
    from: nodeId(1),
    to: nodeId(2),
    term: term(2),
    meta,
    offset,
    totalBytes: data.length,
    data: data.subarray(offset, offset + size),
  };
}

describe('SnapshotAssembler', () => {
  test('assembles chunks in order', () => {
    const a = new SnapshotAssembler();
    expect(a.add(chunk(0, 3))).toBeUndefined();
    expect(a.add(chunk(3, 3))).toBeUndefined();
    const snap = a.add(chunk(6, 3));
    expect(snap?.meta).toEqual(meta);
    expect([...(snap?.data ?? [])]).toEqual([...data]);
  });

  test('a missing chunk drops the assembly; a new first chunk restarts it', () => {
    const a = new SnapshotAssembler();
    a.add(chunk(0, 3));
    expect(a.add(chunk(6, 3))).toBeUndefined(); // 3..5 lost
    expect(a.add(chunk(3, 3))).toBeUndefined(); // nothing in progress any more
    a.add(chunk(0, 4));
    expect(a.add(chunk(4, 3))?.data.length).toBe(7);
  });

  test('an empty snapshot arrives in one chunk', () => {
    const a = new SnapshotAssembler();
    const m = { ...chunk(0, 0), totalBytes: 0 };
    expect(a.add(m)?.data.length).toBe(0);
  });
});
