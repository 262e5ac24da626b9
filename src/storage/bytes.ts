// Little-endian byte writer and reader for the pure codecs. Indexes and terms are numbers up to
// 2^53 - 1 written as two u32 halves (no bigint on the hot path).

import { assert } from '../common/index.js';

const two32 = 2 ** 32;

/** A growable output buffer; `reset()` reuses the same memory for the next batch. */
export class ByteWriter {
  #buf: Uint8Array;
  #view: DataView;
  #len = 0;

  constructor(initialBytes = 4096) {
    this.#buf = new Uint8Array(initialBytes);
    this.#view = new DataView(this.#buf.buffer);
  }

  get length(): number {
    return this.#len;
  }

  reset(): void {
    this.#len = 0;
  }

  /** The bytes written so far: a view, valid until the next write or reset. */
  bytes(): Uint8Array {
    return this.#buf.subarray(0, this.#len);
  }

  /** A view of [start, end) of what was written. */
  slice(start: number, end = this.#len): Uint8Array {
    assert(start >= 0 && start <= end && end <= this.#len, 'ByteWriter.slice out of range');
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

  raw(data: Uint8Array): void {
    const at = this.#reserve(data.length);
    this.#buf.set(data, at);
  }

  /** Overwrites a u32 written earlier (frame lengths and checksums are patched in). */
  patchU32(at: number, v: number): void {
    assert(at >= 0 && at + 4 <= this.#len, 'patchU32 out of range');
    this.#view.setUint32(at, v >>> 0, true);
  }
}

/** Thrown by ByteReader when the input ends early or holds an impossible value. */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  readonly code = 'DECODE';
}

export class ByteReader {
  readonly #buf: Uint8Array;
  readonly #view: DataView;
  #pos: number;
  readonly #end: number;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
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
    if (n > this.#end - this.#pos) throw new DecodeError(`need ${n} bytes at ${this.#pos}`);
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

  u64(): number {
    const at = this.#take(8);
    const lo = this.#view.getUint32(at, true);
    const hi = this.#view.getUint32(at + 4, true);
    if (hi >= 2 ** 21) throw new DecodeError(`u64 above 2^53 at ${at}`);
    return hi * two32 + lo;
  }

  /** A copy of the next n bytes (never a view: decoded data must not pin a large read buffer). */
  copy(n: number): Uint8Array {
    const at = this.#take(n);
    return this.#buf.slice(at, at + n);
  }
}
