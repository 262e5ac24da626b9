import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32c, logIndex, nodeId, partitionId, term } from '../common/index.js';
import type {
  AppendMessage,
  AppendRespMessage,
  ConfState,
  Entry,
  HeartbeatMessage,
  HeartbeatRespMessage,
  Message,
  ReadIndexMessage,
  ReadIndexRespMessage,
  SnapshotMessage,
  SnapshotMeta,
  VoteMessage,
  VoteRespMessage,
} from '../raft/index.js';
import { MessageType } from '../raft/index.js';
import { batchArb, messageArb, partitionMessageArb } from './_arbitraries.js';
import { FrameTooLargeError, MalformedFrameError } from './errors.js';
import {
  decodeFrame,
  encodeBatchFrame,
  encodeHandshakeFrame,
  encodePingFrame,
  FrameDecoder,
  FrameType,
  frameHeaderBytes,
  type PartitionMessage,
} from './frame-codec.js';

// Compile-time inventory of every field the codec carries. When the Raft core adds a field (even an
// optional one) to a message, these lines stop compiling until the codec and the generators in
// _arbitraries.ts cover it.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type H = 'type' | 'from' | 'to' | 'term';
const fieldsCovered: [
  Same<keyof AppendMessage, H | 'prevIndex' | 'prevTerm' | 'entries' | 'commit'>,
  Same<keyof AppendRespMessage, H | 'index' | 'reject' | 'rejectHint' | 'hintTerm'>,
  Same<keyof VoteMessage, H | 'lastIndex' | 'lastTerm'>,
  Same<keyof VoteRespMessage, H | 'reject'>,
  Same<keyof HeartbeatMessage, H | 'commit' | 'context' | 'quiesce'>,
  Same<keyof HeartbeatRespMessage, H | 'context'>,
  Same<keyof SnapshotMessage, H | 'meta' | 'offset' | 'totalBytes' | 'data'>,
  Same<keyof ReadIndexMessage, H | 'context'>,
  Same<keyof ReadIndexRespMessage, H | 'context' | 'index'>,
  Same<keyof Entry, 'term' | 'index' | 'type' | 'data'>,
  Same<keyof SnapshotMeta, 'index' | 'term' | 'conf'>,
  Same<keyof ConfState, 'voters' | 'learners'>,
  Same<Message['type'], (typeof MessageType)[keyof typeof MessageType]>,
] = [true, true, true, true, true, true, true, true, true, true, true, true, true];

function decodeBatch(bytes: Uint8Array): PartitionMessage[] {
  const result = decodeFrame(bytes);
  if (!result.ok) throw result.error;
  expect(result.value.type).toBe(FrameType.Batch);
  return result.value.type === FrameType.Batch ? result.value.batch : [];
}

const sample: PartitionMessage[] = [
  {
    partitionId: partitionId(7),
    message: {
      type: MessageType.Append,
      from: nodeId(1),
      to: nodeId(2),
      term: term(3),
      prevIndex: logIndex(10),
      prevTerm: term(2),
      entries: [{ term: term(3), index: logIndex(11), type: 0, data: new Uint8Array([1, 2, 3]) }],
      commit: logIndex(9),
    },
  },
  {
    partitionId: partitionId(8),
    message: {
      type: MessageType.Heartbeat,
      from: nodeId(1),
      to: nodeId(2),
      term: term(3),
      commit: logIndex(9),
      context: 4,
    },
  },
];

describe('message codec', () => {
  it('covers every field of every message type (compile-time inventory)', () => {
    expect(fieldsCovered.every((x) => x)).toBe(true);
  });

  it('round-trips every message type with random fields', () => {
    fc.assert(
      fc.property(messageArb, (message) => {
        const batch = [{ partitionId: partitionId(1), message }];
        expect(decodeBatch(encodeBatchFrame(batch))).toEqual(batch);
      }),
      { numRuns: 1000 },
    );
  });

  it('generates every message type', () => {
    const seen = new Set<number>();
    fc.assert(
      fc.property(messageArb, (m) => {
        seen.add(m.type);
      }),
      { numRuns: 500 },
    );
    expect([...seen].sort((a, b) => a - b)).toEqual(Object.values(MessageType));
  });

  it('round-trips batches of many partitions, and re-encodes to the same bytes', () => {
    fc.assert(
      fc.property(batchArb, (batch) => {
        const bytes = encodeBatchFrame(batch);
        const decoded = decodeBatch(bytes);
        expect(decoded).toEqual(batch);
        expect(encodeBatchFrame(decoded)).toEqual(bytes);
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips the handshake', () => {
    fc.assert(
      fc.property(
        fc.nat(1000),
        fc.string({ maxLength: 60, unit: 'grapheme' }),
        fc.nat(),
        (v, cluster, id) => {
          const h = { protocolVersion: v, clusterId: cluster, nodeId: nodeId(id) };
          expect(decodeFrame(encodeHandshakeFrame(h))).toEqual({
            ok: true,
            value: { type: FrameType.Handshake, handshake: h },
          });
        },
      ),
    );
  });
});

describe('ping frame', () => {
  it('is an empty frame; a ping with a body is malformed', () => {
    const ping = encodePingFrame();
    expect(ping).toHaveLength(frameHeaderBytes);
    expect(decodeFrame(ping)).toEqual({ ok: true, value: { type: FrameType.Ping } });
    expect(decodeFrame(frameWithBody(FrameType.Ping, new Uint8Array([0]))).ok).toBe(false);
  });
});

describe('frame integrity', () => {
  it('detects every single-byte corruption and every truncation', () => {
    const frame = encodeBatchFrame(sample);
    for (let i = 0; i < frame.length; i++) {
      for (const flip of [0x01, 0x80, 0xff, 0x5a]) {
        const bad = frame.slice();
        bad[i]! ^= flip;
        const result = decodeFrame(bad);
        expect(result.ok, `byte ${i} ^ ${flip}`).toBe(false);
      }
    }
    for (let n = 0; n < frame.length; n++) {
      const result = decodeFrame(frame.subarray(0, n));
      expect(result.ok, `truncated to ${n}`).toBe(false);
      if (!result.ok) expect(result.error).toBeInstanceOf(MalformedFrameError);
    }
  });

  it('detects random corruption of random batches', () => {
    fc.assert(
      fc.property(
        fc.array(partitionMessageArb, { minLength: 1, maxLength: 10 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (batch, at, flip) => {
          const bad = encodeBatchFrame(batch);
          bad[at % bad.length]! ^= flip;
          expect(decodeFrame(bad).ok).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('rejects an oversized length from the header alone, without allocating the body', () => {
    const header = new Uint8Array(frameHeaderBytes);
    new DataView(header.buffer).setUint32(0, 0xffff_fff0, true);
    header[4] = FrameType.Batch;
    const result = decodeFrame(header);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toBeInstanceOf(FrameTooLargeError);

    // The stream decoder fails on the header: it never waits for (or buffers) a 4 GiB body.
    const decoder = new FrameDecoder(1024);
    const streamed = decoder.push(header);
    expect(streamed.ok).toBe(false);
    if (!streamed.ok) expect(streamed.error.code).toBe('FRAME_TOO_LARGE');
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('enforces a configured frameBytesMax', () => {
    const frame = encodeBatchFrame(sample);
    expect(decodeFrame(frame, frame.length).ok).toBe(true);
    const result = decodeFrame(frame, frame.length - 1);
    expect(!result.ok && result.error.code).toBe('FRAME_TOO_LARGE');
  });

  it('never throws on garbage, and garbage is never accepted', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (garbage) => {
        expect(decodeFrame(garbage).ok).toBe(false);
        const streamed = new FrameDecoder(1 << 20).push(garbage);
        expect(streamed.ok && streamed.value.length > 0).toBe(false);
      }),
      { numRuns: 3000 },
    );
  });

  it('returns a typed error for a well-checksummed frame with a garbage body', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom(1, 2, 3, 0), (body, type) => {
        const frame = frameWithBody(type, body);
        const result = decodeFrame(frame);
        if (!result.ok) expect(result.error).toBeInstanceOf(MalformedFrameError);
      }),
      { numRuns: 3000 },
    );
  });

  it('rejects a message count larger than the body could hold', () => {
    const body = new Uint8Array([0xff, 0xff, 0xff, 0x0f]);
    const result = decodeFrame(frameWithBody(FrameType.Batch, body));
    expect(!result.ok && result.error.message).toMatch(/message count/);
  });
});

describe('FrameDecoder', () => {
  it('splits a stream cut at arbitrary points into the same frames', () => {
    fc.assert(
      fc.property(
        fc.array(batchArb, { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (batches, cuts) => {
          const frames = batches.map(encodeBatchFrame);
          const stream = concat(frames);
          const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort(
            (a, b) => a - b,
          );
          const decoder = new FrameDecoder();
          const out: PartitionMessage[][] = [];
          let last = 0;
          for (const p of [...points, stream.length]) {
            const result = decoder.push(stream.subarray(last, p));
            last = p;
            if (!result.ok) throw result.error;
            for (const f of result.value) if (f.type === FrameType.Batch) out.push(f.batch);
          }
          expect(out).toEqual(batches);
          expect(decoder.bufferedBytes).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('stays failed after an error', () => {
    const decoder = new FrameDecoder();
    const bad = encodeBatchFrame(sample);
    bad[bad.length - 1]! ^= 1;
    expect(decoder.push(bad).ok).toBe(false);
    expect(decoder.push(encodeBatchFrame(sample)).ok).toBe(false);
  });
});

function frameWithBody(type: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(frameHeaderBytes + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, body.length, true);
  out[4] = type;
  out.set(body, frameHeaderBytes);
  view.setUint32(5, crcOf(out), true);
  return out;
}

function crcOf(frame: Uint8Array): number {
  return crc32c(frame.subarray(frameHeaderBytes), crc32c(frame.subarray(0, 5)));
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
