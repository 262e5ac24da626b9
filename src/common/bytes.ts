// Little-endian byte writer and reader for the pure codecs of storage (fixed-width records) and
// transport (varint frames). Numbers are safe integers up to 2^53 − 1: u64 as two u32 halves,
// varints as unsigned LEB128 of at most 8 bytes (no bigint on the hot path).

import { assert } from './assert.js';

const two32 = 2 ** 32;
/** A safe integer needs at most 8 varint bytes (8 × 7 = 56 ≥ 53 bits). */
const varintBytesMax = 8;

/** An empty byte string (an absent payload or field): one shared instance, never written to. */
export const noBytes = new Uint8Array(0);

/** A growable output buffer; `reset()` reuses the same memory for the next batch or frame. */
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

  /** The bytes written so far: a view, valid until the next write or reset. */
  bytes(): Uint8Array {
    return this.#buf.subarray(0, this.#len);
  }

  /** A view of [start, end) of what was written, valid until the next write or reset. */
  slice(start: number, end = this.#len): Uint8Array {
    assert(start >= 0 && start <= end && end <= this.#len, 'ByteWriter.slice out of range');
    return this.#buf.subarray(start, end);
  }

  /** A copy of [start, end) of what was written: it owns its memory and survives reset(). */
  copyRange(start = 0, end = this.#len): Uint8Array {
    assert(start >= 0 && start <= end && end <= this.#len, 'ByteWriter.copyRange out of range');
    return this.#buf.slice(start, end);
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

  u64(v: number): void {
    assert(Number.isSafeInteger(v) && v >= 0, `u64 out of range: ${v}`);
    const at = this.#reserve(8);
    this.#view.setUint32(at, v >>> 0, true);
    this.#view.setUint32(at + 4, Math.floor(v / two32), true);
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
    writeVarint(this.#buf, this.#reserve(varintByteLength(v)), v);
  }

  bool(v: boolean): void {
    this.u8(v ? 1 : 0);
  }

  raw(data: Uint8Array): void {
    const at = this.#reserve(data.length);
    this.#buf.set(data, at);
  }

  /** Length as a varint, then the bytes. */
  lengthPrefixed(data: Uint8Array): void {
    this.varint(data.length);
    this.raw(data);
  }

  /** Overwrites a u32 written earlier (counts, lengths and checksums are patched in). */
  patchU32(at: number, v: number): void {
    assert(at >= 0 && at + 4 <= this.#len, 'patchU32 out of range');
    assert(Number.isInteger(v) && v >= 0 && v < two32, `u32 out of range: ${v}`);
    this.#view.setUint32(at, v, true);
  }
}

/**
 * Writes `v` (a safe non-negative integer) as unsigned LEB128 into `buf` at `at`, which has room
 * for varintByteLength(v) bytes; returns the position after it.
 */
export function writeVarint(buf: Uint8Array, at: number, v: number): number {
  while (v >= 0x80) {
    buf[at++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  buf[at++] = v;
  return at;
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
 * Thrown by ByteReader on short input or an impossible value. The codecs' public decode functions
 * turn it into their own typed error (corrupt record, malformed frame); they never throw on garbage.
 */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  readonly code = 'DECODE';
}

export class ByteReader {
  readonly #buf: Uint8Array;
  /** Made on the first fixed-width read: varint-only readers (protobuf fields) never need it. */
  #view: DataView | undefined;
  #pos: number;
  readonly #end: number;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    assert(start >= 0 && start <= end && end <= buf.length, 'ByteReader: bad range');
    this.#buf = buf;
    this.#pos = start;
    this.#end = end;
  }

  get position(): number {
    return this.#pos;
  }

  get remaining(): number {
    return this.#end - this.#pos;
  }

  #dataView(): DataView {
    const b = this.#buf;
    this.#view ??= new DataView(b.buffer, b.byteOffset, b.byteLength);
    return this.#view;
  }

  #take(n: number): number {
    if (n > this.#end - this.#pos) throw new DecodeError(`need ${n} bytes at ${this.#pos}`);
    const at = this.#pos;
    this.#pos += n;
    return at;
  }

  u8(): number {
    return this.#buf[this.#take(1)]!;
  }

  u32(): number {
    return this.#dataView().getUint32(this.#take(4), true);
  }

  u64(): number {
    const at = this.#take(8);
    const view = this.#dataView();
    const lo = view.getUint32(at, true);
    const hi = view.getUint32(at + 4, true);
    if (hi >= 2 ** 21) throw new DecodeError(`u64 above 2^53 at ${at}`);
    return hi * two32 + lo;
  }

  /** A varint; rejects more than 8 bytes, values above 2^53 − 1 and non-minimal encodings. */
  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < varintBytesMax; i++) {
      const b = this.u8();
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) {
        if (b === 0 && i > 0) throw new DecodeError(`non-minimal varint at ${this.#pos - 1}`);
        if (!Number.isSafeInteger(value)) throw new DecodeError('varint above 2^53 − 1');
        return value;
      }
      scale *= 0x80;
    }
    throw new DecodeError(`varint longer than ${varintBytesMax} bytes at ${this.#pos}`);
  }

  bool(): boolean {
    const b = this.u8();
    if (b > 1) throw new DecodeError(`bad boolean ${b} at ${this.#pos - 1}`);
    return b === 1;
  }

  /** A count that cannot exceed the bytes left when each item takes at least `itemBytesMin`. */
  count(itemBytesMin: number): number {
    const n = this.varint();
    if (n * itemBytesMin > this.remaining) throw new DecodeError(`count ${n} exceeds input`);
    return n;
  }

  /** A copy of the next n bytes (never a view: decoded data must not pin a large read buffer). */
  copy(n: number): Uint8Array {
    const at = this.#take(n);
    return this.#buf.slice(at, at + n);
  }

  /** A view of the next n bytes, for a caller that copies what it keeps. */
  view(n: number): Uint8Array {
    const at = this.#take(n);
    return this.#buf.subarray(at, at + n);
  }

  /** A reader over the next n bytes, which this reader skips (an embedded message). */
  sub(n: number): ByteReader {
    const at = this.#take(n);
    return new ByteReader(this.#buf, at, at + n);
  }

  /** Length-prefixed bytes, copied. */
  lengthPrefixed(): Uint8Array {
    return this.copy(this.varint());
  }
}
