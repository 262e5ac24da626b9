// Where a primitive lives (DESIGN §7): partition 1 + (fnv1a32(utf8(name)) mod P).

import { assert } from './assert.js';
import { type PartitionId, partitionId } from './ids.js';

const encoder = new TextEncoder();

/** 32-bit FNV-1a of `data`. */
export function fnv1a32(data: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (const byte of data) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The partition (1..count) that holds the primitive called `name`. */
export function partitionOf(name: string, count: number): PartitionId {
  assert(Number.isInteger(count) && count > 0, `bad partition count ${count}`);
  return partitionId(1 + (fnv1a32(encoder.encode(name)) % count));
}
