// Protobuf wire format by hand, for the messages on every write's path (log entries, partition
// calls and replies, the AtomicValue's payloads): protobuf-es encodes through reflection, which cost
// more per write than applying it (DESIGN §2 allows hand-written codecs there).
//
// A hand codec is a fast path beside protobuf-es, never a second definition of the format:
// - encoders write exactly what `toBinary` writes (fields in number order, proto3 defaults
//   omitted, a set oneof member always written) into a buffer of the exact size. Sizing comes
//   first and throws NotByHand at what it cannot write as protobuf-es would (unknown fields kept
//   from decoding, a number beyond 2^53 − 1, a string beyond ASCII); encodeByHand and embed then
//   take protobuf-es's encoding instead;
// - decoders read with the strict ByteReader and take only what they read as protobuf-es does:
//   known fields of the expected wire type (a repeated scalar: the last wins, as in protobuf),
//   embedded messages at most once, minimal varints up to 2^53 − 1. Anything else (unknown
//   fields, a message field twice, which protobuf merges, negative or huge numbers, any
//   malformation) throws DecodeError and the caller decodes with protobuf-es, so the result is
//   always the one protobuf-es gives.
// Bytes fields decode as views of the input, as protobuf-es's do; what is kept longer than the
// input is copied where it is kept (the AtomicValue's stored value, values the SDK hands out).
// Property tests hold each codec to protobuf-es on random messages and on random bytes.

import { assert } from './assert.js';
import { ByteReader, DecodeError, varintByteLength, writeVarint } from './bytes.js';

/** Wire types used by the hand codecs. */
export const WireType = { varint: 0, len: 2 } as const;

/** The most a hand encoder writes as a number: above it, protobuf-es encodes the message. */
const numberMax = Number.MAX_SAFE_INTEGER;
const int32Max = 2 ** 31 - 1;

/** Size of a varint field (0 when the value is the proto3 default and so not written). */
export function varintFieldSize(field: number, value: number): number {
  return value === 0 ? 0 : varintByteLength(field << 3) + varintByteLength(value);
}

/** Size of a varint member of a oneof: written even when 0 (a set member has presence). */
export function varintMemberSize(field: number, value: number): number {
  return varintByteLength(field << 3) + varintByteLength(value);
}

/** Size of a length-delimited field whose content takes `length` bytes (always written). */
export function lenFieldSize(field: number, length: number): number {
  return varintByteLength((field << 3) | WireType.len) + varintByteLength(length) + length;
}

/** Size of a bytes field (0 when empty: the proto3 default is not written). */
export function bytesFieldSize(field: number, bytes: Uint8Array): number {
  return bytes.length === 0 ? 0 : lenFieldSize(field, bytes.length);
}

/**
 * Thrown while sizing a message the hand encoder leaves to protobuf-es: unknown fields kept from
 * decoding (protobuf-es writes them back), a number beyond 2^53 − 1 or below 0, a string beyond
 * ASCII. Sizing comes before any writing, so nothing is half written.
 */
export class NotByHand extends Error {}

/** `m`, when it carries no unknown fields. */
export function handMessage<T extends { $unknown?: unknown[] }>(m: T): T {
  if (m.$unknown?.length) throw new NotByHand();
  return m;
}

/** A uint64 as the number the hand encoder writes. */
export function handNumber(value: bigint): number {
  if (value < 0n || value > numberMax) throw new NotByHand();
  return Number(value);
}

/** An enum or int32 value: negative ones are ten-byte varints, left to protobuf-es. */
export function handInt(value: number): number {
  if (value < 0 || value > int32Max) throw new NotByHand();
  return value;
}

/** Size of a string field of ASCII characters (0 when empty; other strings: protobuf-es). */
export function asciiFieldSize(field: number, text: string): number {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) throw new NotByHand();
  return text.length === 0 ? 0 : lenFieldSize(field, text.length);
}

/**
 * Short-lived encodings (a call or reply on its way into a frame, a request payload) are cut from
 * shared slabs, as Node's Buffer pool does: a Uint8Array of its own costs an ArrayBuffer, about
 * 0.4 µs against 0.07 µs for a view (micro-benchmark), and its external memory drives the garbage
 * collector. A view keeps its whole slab alive, so what is kept long (log entries, outputs a
 * session keeps for replays) gets memory of its own.
 */
const slabBytes = 8 * 1024;
let slab = new Uint8Array(slabBytes);
let slabUsed = 0;

function fromSlab(size: number): Uint8Array {
  if (size > slabBytes / 8) return new Uint8Array(size);
  if (slabUsed + size > slabBytes) {
    slab = new Uint8Array(slabBytes);
    slabUsed = 0;
  }
  const out = slab.subarray(slabUsed, slabUsed + size);
  slabUsed += size;
  return out;
}

/** How long an encoding lives: `transient` ones share slabs (see above). */
export type EncodingLife = 'kept' | 'transient';

/** Writes protobuf fields into a buffer of the exact size computed beforehand. */
export class ProtoWriter {
  readonly #buf: Uint8Array;
  #pos = 0;

  constructor(size: number, life: EncodingLife = 'kept') {
    this.#buf = life === 'transient' ? fromSlab(size) : new Uint8Array(size);
  }

  #varint(v: number): void {
    this.#pos = writeVarint(this.#buf, this.#pos, v);
  }

  /** A varint field, omitted when 0 (proto3 default). */
  varintField(field: number, value: number): void {
    if (value === 0) return;
    this.#varint(field << 3);
    this.#varint(value);
  }

  /** A varint member of a oneof, written even when 0. */
  varintMember(field: number, value: number): void {
    this.#varint(field << 3);
    this.#varint(value);
  }

  /** A bool field, omitted when false. */
  boolField(field: number, value: boolean): void {
    if (value) this.varintField(field, 1);
  }

  /** A bytes field, omitted when empty. */
  bytesField(field: number, bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.messageHeader(field, bytes.length);
    this.raw(bytes);
  }

  /** Bytes as they are: the fields of a message protobuf-es encoded. */
  raw(bytes: Uint8Array): void {
    this.#buf.set(bytes, this.#pos);
    this.#pos += bytes.length;
  }

  /** A string field of ASCII characters (asciiFieldSize said so), omitted when empty. */
  asciiField(field: number, text: string): void {
    if (text.length === 0) return;
    this.messageHeader(field, text.length);
    const buf = this.#buf;
    for (let i = 0; i < text.length; i++) buf[this.#pos++] = text.charCodeAt(i);
  }

  /** The tag and length of an embedded message; its fields follow. */
  messageHeader(field: number, size: number): void {
    this.#varint((field << 3) | WireType.len);
    this.#varint(size);
  }

  /** The encoding; asserts the size computed beforehand was exact. */
  finish(): Uint8Array {
    assert(this.#pos === this.#buf.length, `proto size ${this.#buf.length}, wrote ${this.#pos}`);
    return this.#buf;
  }
}

/**
 * `m` encoded by hand: `size` measures it (NotByHand for what protobuf-es must write) and `write`
 * writes what it measured; otherwise `otherwise(m)`, protobuf-es's encoding.
 */
export function encodeByHand<M>(
  m: M,
  size: (m: M) => number,
  write: (w: ProtoWriter, m: M) => void,
  otherwise: (m: M) => Uint8Array,
  life: EncodingLife,
): Uint8Array {
  let n: number;
  try {
    n = size(m);
  } catch (error) {
    if (!(error instanceof NotByHand)) throw error;
    return otherwise(m);
  }
  const w = new ProtoWriter(n, life);
  write(w, m);
  return w.finish();
}

/** A message to embed in another: its fields by hand, or protobuf-es's encoding of it. */
export interface Embedded {
  /** The length of its encoding. */
  readonly size: number;
  /** Writes it as field `field`: its tag and length, then its fields. */
  writeAs(w: ProtoWriter, field: number): void;
}

/** `message` to embed; `size`, `write` and `otherwise` as for encodeByHand. */
export function embed<M>(
  message: M,
  size: (m: M) => number,
  write: (w: ProtoWriter, m: M) => void,
  otherwise: (m: M) => Uint8Array,
): Embedded {
  try {
    return new EmbeddedByHand(message, size(message), write);
  } catch (error) {
    if (!(error instanceof NotByHand)) throw error;
    return new EmbeddedEncoding(otherwise(message));
  }
}

class EmbeddedByHand<M> implements Embedded {
  readonly #message: M;
  readonly #write: (w: ProtoWriter, m: M) => void;

  constructor(
    message: M,
    readonly size: number,
    write: (w: ProtoWriter, m: M) => void,
  ) {
    this.#message = message;
    this.#write = write;
  }

  writeAs(w: ProtoWriter, field: number): void {
    w.messageHeader(field, this.size);
    this.#write(w, this.#message);
  }
}

class EmbeddedEncoding implements Embedded {
  constructor(readonly encoding: Uint8Array) {}

  get size(): number {
    return this.encoding.length;
  }

  writeAs(w: ProtoWriter, field: number): void {
    w.messageHeader(field, this.encoding.length);
    w.raw(this.encoding);
  }
}

/**
 * Reads `bytes` with a hand reader; where it stops (DecodeError), `otherwise` decodes them with
 * protobuf-es, which also throws what protobuf-es throws for bytes that are no message.
 */
export function readOr<T>(bytes: Uint8Array, read: (r: ByteReader) => T, otherwise: () => T): T {
  try {
    return read(new ByteReader(bytes));
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    return otherwise();
  }
}

/** A field's tag as it is on the wire: the decoders switch on it, so a wrong wire type is unknown. */
export const fieldTag = (field: number, wireType: number): number => (field << 3) | wireType;

/**
 * Marks the message field `field` (below 31) seen in the bit set `seen`; throws DecodeError when
 * it was seen already: protobuf merges a message given twice, which the fast path leaves to
 * protobuf-es.
 */
export function markOnce(seen: number, field: number): number {
  const bit = 1 << field;
  if ((seen & bit) !== 0) throw new DecodeError(`field ${field} repeated`);
  return seen | bit;
}

/** An empty message's body: any field in it is unknown to the fast path. */
export function noFields(body: ByteReader): void {
  if (body.remaining > 0) throw new DecodeError('fields in an empty message');
}

/** The uint64 of a message whose only field is `uint64 … = 1` (0n when absent). */
export function readUint64Only(r: ByteReader): bigint {
  let value = 0n;
  while (r.remaining > 0) {
    if (r.varint() !== fieldTag(1, WireType.varint)) throw new DecodeError('not field 1');
    value = BigInt(r.varint());
  }
  return value;
}

/**
 * A message that is one oneof of message members numbered 1..`members` and nothing else: each
 * member's body read by `read`; undefined when no member is set. Another member replaces the last,
 * as in protobuf; a member given twice merges there, and is left to protobuf-es (DecodeError).
 */
export function readOneof<T>(
  r: ByteReader,
  members: number,
  read: (field: number, body: ByteReader) => T,
): T | undefined {
  let seen = 0;
  let member: T | undefined;
  while (r.remaining > 0) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    if (tag % 8 !== WireType.len || field < 1 || field > members) {
      throw new DecodeError(`tag ${tag} is no member`);
    }
    seen = markOnce(seen, field);
    member = read(field, r.sub(r.varint()));
  }
  return member;
}

/** Reads `n` bytes as an ASCII string; DecodeError on any other byte (protobuf-es decodes UTF-8). */
export function readAscii(r: ByteReader, n: number): string {
  const bytes = r.view(n);
  let text = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (b > 0x7f) throw new DecodeError('a string beyond ASCII');
    text += String.fromCharCode(b);
  }
  return text;
}

/**
 * A non-negative int32 (an enum, nanos); DecodeError beyond 2^31 − 1, as a negative one is a
 * ten-byte varint (protobuf-es reads those).
 */
export function readInt32(r: ByteReader): number {
  const value = r.varint();
  if (value > int32Max) throw new DecodeError('beyond int32');
  return value;
}
