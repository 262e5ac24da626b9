// The `pending_commands_filter` of a keep-alive: the set of command sequence numbers the client
// allocated and has not finished. The fsm only asks `mightContain`; a false positive delays the
// clean-up of a record, a false negative would retire a live command, so there is none.
//
// Byte format (docs/fsm.md):
//   empty            no pending number
//   0x01 varint*     exact: the numbers ascending, the first as a varint, then each as the varint
//                    delta (≥ 1) from the previous one
//   0x02 k bits      Bloom filter: k hash functions (1..16), m = 8 × (length − 2) bits
//                    (8 ≤ m ≤ 2^23); n sets bits (h1 + i·h2 mod 2^32) mod m, i = 0..k−1, where
//                    h1 = FNV-1a-32 of n's 8 little-endian bytes and
//                    h2 = fmix32(lo ^ imul(hi, 0x9E3779B1)) | 1 (murmur3's finaliser over n's
//                    low and high 32-bit halves). Bit b is byte b >> 3, mask 1 << (b & 7).
// Numbers are 1 .. 2^53 − 1.

import { assert } from '../common/index.js';

export const PendingFilterFormat = { exact: 0x01, bloom: 0x02 } as const;

export interface PendingFilter {
  /** False only when `n` is certainly not pending. */
  mightContain(n: number): boolean;
}

export interface EncodeOptions {
  /** Force a format; by default the smaller encoding wins (exact on a tie). */
  readonly format?: 'exact' | 'bloom';
  /** Bloom filter bits per number (default 10: about 1 % false positives with k = 7). */
  readonly bitsPerNumber?: number;
  /** Bloom filter hash count (default 7). */
  readonly hashes?: number;
}

const bloomHashesMax = 16;
const bloomBitsMax = 1 << 23;
const maxSafe = Number.MAX_SAFE_INTEGER;
const two32 = 2 ** 32;

/** Encodes the pending numbers (any order, duplicates allowed). */
export function encodePendingFilter(
  numbers: Iterable<number>,
  options?: EncodeOptions,
): Uint8Array {
  const sorted = [...new Set(numbers)].sort((a, b) => a - b);
  for (const n of sorted) assert(Number.isSafeInteger(n) && n >= 1, 'pending numbers are ≥ 1');
  if (sorted.length === 0) return new Uint8Array(0);
  const exact = options?.format === 'bloom' ? undefined : encodeExact(sorted);
  if (options?.format === 'exact') return exact!;
  const bloom = encodeBloom(sorted, options?.bitsPerNumber ?? 10, options?.hashes ?? 7);
  if (exact !== undefined && exact.length <= bloom.length) return exact;
  return bloom;
}

/** Decodes a filter, or returns undefined when the bytes are malformed. Never throws. */
export function decodePendingFilter(bytes: Uint8Array): PendingFilter | undefined {
  if (bytes.length === 0) return { mightContain: () => false };
  if (bytes[0] === PendingFilterFormat.exact) return decodeExact(bytes);
  if (bytes[0] === PendingFilterFormat.bloom) return decodeBloom(bytes);
  return undefined;
}

function encodeExact(sorted: readonly number[]): Uint8Array {
  const out: number[] = [PendingFilterFormat.exact];
  let previous = 0;
  for (const n of sorted) {
    writeVarint(out, n - previous);
    previous = n;
  }
  return Uint8Array.from(out);
}

function decodeExact(bytes: Uint8Array): PendingFilter | undefined {
  const numbers: number[] = [];
  let pos = 1;
  let previous = 0;
  while (pos < bytes.length) {
    const read = readVarint(bytes, pos);
    if (read === undefined || read.value === 0 || read.value > maxSafe - previous) return undefined;
    previous += read.value;
    numbers.push(previous);
    pos = read.next;
  }
  // Invariant: numbers ascend strictly, so a binary search finds any member.
  return { mightContain: (n) => binarySearch(numbers, n) };
}

function encodeBloom(sorted: readonly number[], bitsPerNumber: number, hashes: number): Uint8Array {
  assert(hashes >= 1 && hashes <= bloomHashesMax, 'bloom hash count in 1..16');
  assert(bitsPerNumber > 0, 'bloom bits per number is positive');
  const bits = Math.min(
    bloomBitsMax,
    Math.max(8, Math.ceil((sorted.length * bitsPerNumber) / 8) * 8),
  );
  const out = new Uint8Array(2 + bits / 8);
  out[0] = PendingFilterFormat.bloom;
  out[1] = hashes;
  const view = out.subarray(2);
  for (const n of sorted) {
    forEachBit(n, hashes, bits, (bit) => {
      view[bit >> 3]! |= 1 << (bit & 7);
    });
  }
  return out;
}

function decodeBloom(bytes: Uint8Array): PendingFilter | undefined {
  const hashes = bytes[1];
  const bits = (bytes.length - 2) * 8;
  if (hashes === undefined || hashes < 1 || hashes > bloomHashesMax) return undefined;
  if (bits < 8 || bits > bloomBitsMax) return undefined;
  const view = bytes.slice(2);
  return {
    mightContain(n) {
      if (!Number.isSafeInteger(n) || n < 1) return false;
      let all = true;
      forEachBit(n, hashes, bits, (bit) => {
        if ((view[bit >> 3]! & (1 << (bit & 7))) === 0) all = false;
      });
      return all;
    },
  };
}

function forEachBit(n: number, hashes: number, bits: number, visit: (bit: number) => void): void {
  const lo = (n % two32) >>> 0;
  const hi = Math.floor(n / two32) >>> 0;
  const h1 = fnv1a64le(lo, hi);
  const h2 = (fmix32((lo ^ Math.imul(hi, 0x9e3779b1)) >>> 0) | 1) >>> 0;
  for (let i = 0; i < hashes; i++) visit(((h1 + Math.imul(i, h2)) >>> 0) % bits);
}

/** FNV-1a 32-bit over the 8 little-endian bytes of (hi:lo). */
function fnv1a64le(lo: number, hi: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < 8; i++) {
    const byte = i < 4 ? (lo >>> (8 * i)) & 0xff : (hi >>> (8 * (i - 4))) & 0xff;
    h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  }
  return h;
}

/** MurmurHash3's 32-bit finaliser. */
function fmix32(x: number): number {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

function writeVarint(out: number[], value: number): void {
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

/** Reads a varint of at most 8 bytes (56 bits), enough for 2^53 − 1. */
function readVarint(bytes: Uint8Array, start: number): { value: number; next: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let pos = start; pos < bytes.length && pos - start < 8; pos++) {
    const byte = bytes[pos]!;
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) {
      return value > maxSafe ? undefined : { value, next: pos + 1 };
    }
    scale *= 0x80;
  }
  return undefined;
}

function binarySearch(sorted: readonly number[], n: number): boolean {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = sorted[mid]!;
    if (v === n) return true;
    if (v < n) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}
