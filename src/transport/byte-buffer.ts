// Byte writer and reader for the transport's pure codecs: unsigned LEB128 varints up to 2^53 − 1
// (no bigint on the hot path), fixed u8/u32 little-endian, raw bytes.
//
// Duplicate to merge: src/storage/bytes.ts has a fixed-width ByteWriter/ByteReader. Both belong in
// src/common once the varint methods are added there; the transport then drops this file.

import { assert } from '../common/index.js';

const two32 = 2 ** 32;
/** A safe integer needs at most 8 varint bytes (8 × 7 = 56 ≥ 53 bits). */
const varintBytesMax = 8;

/** A growable output buffer, reused across frames via `reset()`. */
export class ByteWriter {
  #buf: Uint8Array;
  #view: DataView;
  #len = 0;

  constructor(initialBytes = 4096) {
    assert(Number.isInteger(initialBytes) && initialBytes > 0, 'ByteWriter: bad initial size');
    this.#buf = new Uint8Array(initialBytes);
    this.#view = new DataView(this.#buf.buffer);
  }

  get length(): number {
    return this.#len;
  }

  reset(): void {
    this.#len = 0;
  }

  /** Shrinks the written length back to `length` (drops what was written after it). */
  truncate(length: number): void {
    assert(length >= 0 && length <= this.#len, 'ByteWriter.truncate out of range');
    this.#len = length;
  }

  /** A copy of [start, end) of what was written: it owns its memory and survives reset(). */
  copy(start = 0, end = this.#len): Uint8Array {
    assert(start >= 0 && start <= end && end <= this.#len, 'ByteWriter.copy out of range');
    return this.#buf.slice(start, end);
  }

  /** A view of [start, end): valid until the next write or reset. */
  view(start = 0, end = this.#len): Uint8Array {
    assert(start >= 0 && start <= end && end <= this.#len, 'ByteWriter.view out of range');
    return this.#buf.subarray(start, end);
  }

  #reserve(n: number): number {
    const need = this.#len + n;
    if (need > this.#buf.length) {
      let size = this.#buf.length * 2;
      while (size < need) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.#buf.subarray(0, this.#len));
      this.#buf = next;
      this.#view = new DataView(next.buffer);
    }
    const at = this.#len;
    this.#len = need;
    return at;
  }

  u8(v: number): void {
    assert(Number.isInteger(v) && v >= 0 && v < 256, `u8 out of range: ${v}`);
    const at = this.#reserve(1);
    this.#buf[at] = v;
  }

  u32(v: number): void {
    assert(Number.isInteger(v) && v >= 0 && v < two32, `u32 out of range: ${v}`);
    const at = this.#reserve(4);
    this.#view.setUint32(at, v, true);
  }

  /** Overwrites a u32 written earlier (counts, lengths and checksums are patched in). */
  patchU32(at: number, v: number): void {
    assert(at >= 0 && at + 4 <= this.#len, 'patchU32 out of range');
    assert(Number.isInteger(v) && v >= 0 && v < two32, `u32 out of range: ${v}`);
    this.#view.setUint32(at, v, true);
  }

  /** Unsigned LEB128 of a safe non-negative integer: 1 byte below 128, at most 8 bytes. */
  varint(v: number): void {
    if (v >= 0 && v < 0x80 && Number.isInteger(v)) {
      // The common case (types, small counts, node and partition ids): one byte.
      const at = this.#reserve(1);
      this.#buf[at] = v;
      return;
    }
    assert(Number.isSafeInteger(v) && v >= 0, `varint out of range: ${v}`);
    let at = this.#reserve(varintByteLength(v));
    while (v >= 0x80) {
      this.#buf[at++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.#buf[at] = v;
  }

  bool(v: boolean): void {
    this.u8(v ? 1 : 0);
  }

  /** Length as a varint, then the bytes. */
  bytes(data: Uint8Array): void {
    this.varint(data.length);
    const at = this.#reserve(data.length);
    this.#buf.set(data, at);
  }
}

export function varintByteLength(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

/**
 * Thrown by ByteReader on short input or an impossible value. Internal to the codecs: their public
 * decode functions catch it and return a MalformedFrameError, they never throw on garbage.
 */
export class ByteReadError extends Error {
  override readonly name = 'ByteReadError';
}

export class ByteReader {
  readonly #buf: Uint8Array;
  readonly #view: DataView;
  #pos: number;
  readonly #end: number;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    assert(start >= 0 && start <= end && end <= buf.length, 'ByteReader: bad range');
    this.#buf = buf;
    this.#view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.#pos = start;
    this.#end = end;
  }

  get position(): number {
    return this.#pos;
  }

  get remaining(): number {
    return this.#end - this.#pos;
  }

  #take(n: number): number {
    if (n > this.#end - this.#pos) throw new ByteReadError(`need ${n} bytes at ${this.#pos}`);
    const at = this.#pos;
    this.#pos += n;
    return at;
  }

  u8(): number {
    return this.#buf[this.#take(1)]!;
  }

  u32(): number {
    return this.#view.getUint32(this.#take(4), true);
  }

  /** A varint; rejects more than 8 bytes, values above 2^53 − 1 and non-minimal encodings. */
  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < varintBytesMax; i++) {
      const b = this.u8();
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) {
        if (b === 0 && i > 0) throw new ByteReadError(`non-minimal varint at ${this.#pos - 1}`);
        if (!Number.isSafeInteger(value)) throw new ByteReadError('varint above 2^53 − 1');
        return value;
      }
      scale *= 0x80;
    }
    throw new ByteReadError(`varint longer than ${varintBytesMax} bytes at ${this.#pos}`);
  }

  bool(): boolean {
    const b = this.u8();
    if (b > 1) throw new ByteReadError(`bad boolean ${b} at ${this.#pos - 1}`);
    return b === 1;
  }

  /** A count that cannot exceed the bytes left when each item takes at least `itemBytesMin`. */
  count(itemBytesMin: number): number {
    const n = this.varint();
    if (n * itemBytesMin > this.remaining) throw new ByteReadError(`count ${n} exceeds input`);
    return n;
  }

  /** Length-prefixed bytes, copied (decoded data must not pin a large frame buffer). */
  bytes(): Uint8Array {
    const n = this.varint();
    const at = this.#take(n);
    return this.#buf.slice(at, at + n);
  }
}
