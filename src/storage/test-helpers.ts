// Helpers shared by the storage tests (not part of the public face).

import { logIndex, type PartitionId, partitionId, term } from '../common/index.js';
import type { Entry } from '../raft/index.js';
import type { FileSystem } from './fs.js';
import { Wal } from './wal.js';

export const p = (n: number): PartitionId => partitionId(n);

/** Deterministic entry data: a function of (partition, index, term, salt). */
export function entryData(part: number, index: number, t: number, size: number, salt = 0) {
  const data = new Uint8Array(size);
  let x = (part * 7919 + index * 104729 + t * 31 + salt * 17) >>> 0;
  for (let i = 0; i < size; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    data[i] = x >>> 24;
  }
  return data;
}

export function mkEntries(
  part: number,
  from: number,
  count: number,
  t: number,
  size = 16,
  salt = 0,
) {
  const out: Entry[] = [];
  for (let i = 0; i < count; i++) {
    const index = from + i;
    out.push({
      index: logIndex(index),
      term: term(t),
      type: 0,
      data: entryData(part, index, t, size, salt),
    });
  }
  return out;
}

export function openWal(fs: FileSystem, extra: Partial<Parameters<typeof Wal.open>[0]> = {}) {
  return Wal.open({ fs, dir: '/wal', defer: (fn) => setImmediate(fn), ...extra });
}
