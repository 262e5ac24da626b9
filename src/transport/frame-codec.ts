// Frames between nodes (docs/transport.md). Pure: no node:* import, tested on raw bytes.
//
//   u32 bodyBytes | u8 frameType | u32 crc32c | body
//
// Little-endian. The checksum covers the first five header bytes (length and type) and the body,
// so any single corrupted byte of a frame is detected. Decoding never throws on garbage: it returns
// a MalformedFrameError (FrameTooLargeError for a length above frameBytesMax, found before anything
// is allocated for the body).

import {
  assert,
  ByteReader,
  ByteWriter,
  crc32c,
  DecodeError,
  type NodeId,
  nodeId,
  type PartitionId,
  partitionId,
} from '../common/index.js';
import type { Message } from '../raft/index.js';
import { FrameTooLargeError, MalformedFrameError } from './errors.js';
import { decodeMessage, encodeMessage } from './message-codec.js';

/** Handshake: first frame each way. Batch: Raft messages. Ping: empty, keeps an idle link alive. */
export const FrameType = { Handshake: 1, Batch: 2, Ping: 3 } as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export const frameHeaderBytes = 9;
export const frameBytesMaxDefault = 64 * 1024 * 1024;
export const protocolVersion = 2;
export const clusterIdBytesMax = 256;

/** One Raft message and the partition (Raft group) it belongs to. */
export interface PartitionMessage {
  readonly partitionId: PartitionId;
  readonly message: Message;
}

/** First frame on every connection, in both directions. */
export interface Handshake {
  readonly protocolVersion: number;
  readonly clusterId: string;
  readonly nodeId: NodeId;
}

export type Frame =
  | { readonly type: typeof FrameType.Handshake; readonly handshake: Handshake }
  | { readonly type: typeof FrameType.Batch; readonly batch: PartitionMessage[] }
  | { readonly type: typeof FrameType.Ping };

export type DecodeResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: MalformedFrameError };

/** Partition id, type, from, to, term: at least one byte each. */
const messageBytesMin = 5;
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Encodes frames into a reused scratch buffer; each finished frame is a copy that owns its memory
 * (the socket may hold it after the next frame is started).
 */
export class FrameEncoder {
  readonly #w = new ByteWriter(64 * 1024);
  #count = 0;
  #open = false;

  handshake(h: Handshake): Uint8Array {
    const cluster = utf8Encoder.encode(h.clusterId);
    assert(cluster.length <= clusterIdBytesMax, 'cluster id too long');
    this.#begin(FrameType.Handshake);
    this.#w.varint(h.protocolVersion);
    this.#w.lengthPrefixed(cluster);
    this.#w.varint(h.nodeId);
    return this.#finish();
  }

  ping(): Uint8Array {
    this.#begin(FrameType.Ping);
    return this.#finish();
  }

  /** Starts a batch frame; add messages with `add`, end it with `finishBatch`. */
  beginBatch(): void {
    this.#begin(FrameType.Batch);
    this.#w.u32(0); // message count, patched in by finishBatch
    this.#count = 0;
  }

  /** Appends one message; returns the frame's total size so far (header included). */
  add(partition: PartitionId, message: Message): number {
    assert(this.#open, 'FrameEncoder.add outside a batch');
    this.#w.varint(partition);
    encodeMessage(this.#w, message);
    this.#count++;
    return this.#w.length;
  }

  /** Size of the frame so far, header included. */
  get frameBytes(): number {
    return this.#w.length;
  }

  get messageCount(): number {
    return this.#count;
  }

  /** Removes everything added after the frame had `frameBytes` bytes (a message that did not fit). */
  rollback(frameBytes: number, messageCount: number): void {
    assert(this.#open && frameBytes >= frameHeaderBytes + 4, 'FrameEncoder.rollback: no batch');
    this.#w.truncate(frameBytes);
    this.#count = messageCount;
  }

  /** Drops the open frame (nothing was added that should be sent). */
  cancel(): void {
    this.#open = false;
    this.#w.reset();
  }

  finishBatch(): Uint8Array {
    this.#w.patchU32(frameHeaderBytes, this.#count);
    return this.#finish();
  }

  #begin(type: FrameType): void {
    assert(!this.#open, 'FrameEncoder: a frame is already open');
    this.#open = true;
    this.#w.reset();
    this.#w.u32(0); // body length, patched in
    this.#w.u8(type);
    this.#w.u32(0); // checksum, patched in
  }

  #finish(): Uint8Array {
    assert(this.#open, 'FrameEncoder: no open frame');
    this.#open = false;
    this.#w.patchU32(0, this.#w.length - frameHeaderBytes);
    const head = crc32c(this.#w.slice(0, 5));
    this.#w.patchU32(5, crc32c(this.#w.slice(frameHeaderBytes), head));
    return this.#w.copyRange();
  }
}

/** Encodes one batch frame (tests and simple callers; the transport splits large batches). */
export function encodeBatchFrame(batch: readonly PartitionMessage[]): Uint8Array {
  const enc = new FrameEncoder();
  enc.beginBatch();
  for (const { partitionId: p, message } of batch) enc.add(p, message);
  return enc.finishBatch();
}

export function encodeHandshakeFrame(h: Handshake): Uint8Array {
  return new FrameEncoder().handshake(h);
}

export function encodePingFrame(): Uint8Array {
  return new FrameEncoder().ping();
}

/**
 * Reads the header at `buf[start..]`: the total frame size, or 0 when fewer than 9 bytes are there,
 * or an error for a length above `frameBytesMax`.
 */
export function frameSize(
  buf: Uint8Array,
  start: number,
  frameBytesMax: number,
): number | FrameTooLargeError {
  if (buf.length - start < frameHeaderBytes) return 0;
  const bodyBytes = new DataView(buf.buffer, buf.byteOffset + start, 4).getUint32(0, true);
  const total = frameHeaderBytes + bodyBytes;
  if (total > frameBytesMax) return new FrameTooLargeError(total, frameBytesMax);
  return total;
}

/** Decodes exactly one whole frame: `bytes` must hold it and nothing else. Never throws. */
export function decodeFrame(
  bytes: Uint8Array,
  frameBytesMax = frameBytesMaxDefault,
): DecodeResult<Frame> {
  const size = frameSize(bytes, 0, frameBytesMax);
  if (size instanceof FrameTooLargeError) return { ok: false, error: size };
  if (size === 0 || size > bytes.length) return malformed('truncated frame');
  if (size < bytes.length) return malformed(`${bytes.length - size} bytes after the frame`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const head = crc32c(bytes.subarray(0, 5));
  if (crc32c(bytes.subarray(frameHeaderBytes), head) !== view.getUint32(5, true)) {
    return malformed('checksum mismatch');
  }
  const r = new ByteReader(bytes, frameHeaderBytes);
  try {
    const frame = decodeBody(bytes[4]!, r);
    if (r.remaining !== 0) return malformed(`${r.remaining} bytes after the body`);
    return { ok: true, value: frame };
  } catch (error) {
    if (error instanceof DecodeError) return malformed(error.message, error);
    throw error;
  }
}

function decodeBody(type: number, r: ByteReader): Frame {
  switch (type) {
    case FrameType.Ping:
      return { type }; // a body, if any, is refused as trailing bytes
    case FrameType.Handshake:
      return { type, handshake: decodeHandshake(r) };
    case FrameType.Batch: {
      const n = r.u32();
      if (n * messageBytesMin > r.remaining) {
        throw new DecodeError(`message count ${n} exceeds the frame`);
      }
      const batch: PartitionMessage[] = [];
      for (let i = 0; i < n; i++) {
        batch.push({ partitionId: partitionId(r.varint()), message: decodeMessage(r) });
      }
      return { type, batch };
    }
    default:
      throw new DecodeError(`unknown frame type ${type}`);
  }
}

function decodeHandshake(r: ByteReader): Handshake {
  const version = r.varint();
  const cluster = r.lengthPrefixed();
  if (cluster.length > clusterIdBytesMax) throw new DecodeError('cluster id too long');
  let clusterId: string;
  try {
    clusterId = utf8Decoder.decode(cluster);
  } catch (cause) {
    throw new DecodeError('cluster id is not UTF-8', { cause });
  }
  return { protocolVersion: version, clusterId, nodeId: nodeId(r.varint()) };
}

function malformed(why: string, cause?: unknown): { ok: false; error: MalformedFrameError } {
  return { ok: false, error: new MalformedFrameError(`malformed frame: ${why}`, { cause }) };
}

/**
 * Splits a byte stream into frames. Buffers at most one frame (≤ frameBytesMax); after an error it
 * stays failed (the connection is closed).
 */
export class FrameDecoder {
  readonly #frameBytesMax: number;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #error: MalformedFrameError | undefined;

  constructor(frameBytesMax = frameBytesMaxDefault) {
    assert(frameBytesMax > frameHeaderBytes, 'frameBytesMax too small');
    this.#frameBytesMax = frameBytesMax;
  }

  get bufferedBytes(): number {
    return this.#buffered;
  }

  /** Adds received bytes; returns the frames completed by them, or the first error. */
  push(chunk: Uint8Array): DecodeResult<Frame[]> {
    if (this.#error) return { ok: false, error: this.#error };
    if (chunk.length > 0) {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
    }
    const frames: Frame[] = [];
    for (;;) {
      const size = frameSize(this.#peek(frameHeaderBytes), 0, this.#frameBytesMax);
      if (size instanceof FrameTooLargeError) return this.#fail(size);
      if (size === 0 || size > this.#buffered) return { ok: true, value: frames };
      const result = decodeFrame(this.#take(size), this.#frameBytesMax);
      if (!result.ok) return this.#fail(result.error);
      frames.push(result.value);
    }
  }

  #fail(error: MalformedFrameError): DecodeResult<Frame[]> {
    this.#error = error;
    this.#chunks = [];
    this.#buffered = 0;
    return { ok: false, error };
  }

  /** The first min(n, buffered) bytes, copied only when they span chunks. */
  #peek(n: number): Uint8Array {
    const first = this.#chunks[0];
    if (first === undefined) return new Uint8Array(0);
    if (first.length >= n || this.#chunks.length === 1) return first.subarray(0, n);
    return this.#gather(Math.min(n, this.#buffered), false);
  }

  /** Removes and returns the first n bytes (n ≤ buffered). */
  #take(n: number): Uint8Array {
    assert(n <= this.#buffered, 'FrameDecoder.take beyond the buffer');
    const first = this.#chunks[0]!;
    if (first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
      this.#buffered -= n;
      return out;
    }
    return this.#gather(n, true);
  }

  #gather(n: number, consume: boolean): Uint8Array {
    const out = new Uint8Array(n);
    let filled = 0;
    let i = 0;
    while (filled < n) {
      const c = this.#chunks[i]!;
      const part = Math.min(c.length, n - filled);
      out.set(c.subarray(0, part), filled);
      filled += part;
      if (consume && part < c.length) this.#chunks[i] = c.subarray(part);
      else i++;
    }
    if (consume) {
      this.#chunks.splice(0, i);
      this.#buffered -= n;
    }
    return out;
  }
}
