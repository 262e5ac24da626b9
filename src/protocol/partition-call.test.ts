// The hand codec of partition calls against protobuf-es: the same bytes for every call, the same
// message (or the same refusal) for every byte string.

import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteReader } from '../common/index.js';
import { type PartitionCall, PartitionCallSchema } from '../gen/multiraft/v1/partition_pb.js';
import {
  bytes,
  damaged,
  expectSameDecoding,
  partitionInput,
  safeU64,
  serviceCommand,
  text,
  u64,
  unknown,
} from './_arbitraries.js';
import { decodeCall, encodeCall, readCall } from './partition-call.js';

const partition = fc.oneof(
  fc.integer({ min: 0, max: 20 }),
  fc.integer({ min: 0, max: 2 ** 32 - 1 }),
);

const query = fc
  .record({
    sessionId: u64,
    target: fc.oneof(
      fc.record({ case: fc.constant('serviceId' as const), value: u64 }),
      fc.record({
        case: fc.constant('primitive' as const),
        value: fc.record({ service: text, namespace: text, name: text }),
      }),
      fc.constant({ case: undefined }),
    ),
    payload: bytes,
  })
  .map((q) => ({ case: 'query' as const, value: q }));

const call: fc.Arbitrary<PartitionCall> = fc
  .record({
    callId: u64,
    partitionId: partition,
    kind: fc.oneof(
      {
        weight: 3,
        arbitrary: partitionInput.map((value) => ({ case: 'command' as const, value })),
      },
      query,
      fc.constant({ case: 'cancel' as const, value: {} }),
      fc.constant({ case: undefined }),
    ),
    forward: fc.boolean(),
    unknown,
  })
  .map(({ unknown: u, ...init }) => {
    const m = create(PartitionCallSchema, init);
    if (u !== undefined) m.$unknown = u;
    return m;
  });

const decodesAsProtobufEs = (data: Uint8Array) =>
  expectSameDecoding(PartitionCallSchema, decodeCall, data);

describe('partition call codec', () => {
  it('writes every call as protobuf-es does, and reads it back as protobuf-es does', () => {
    fc.assert(
      fc.property(call, (c) => {
        const data = encodeCall(c);
        expect(data).toEqual(toBinary(PartitionCallSchema, c));
        decodesAsProtobufEs(data);
      }),
      { numRuns: 3_000 },
    );
  });

  it('reads damaged and arbitrary bytes as protobuf-es does', () => {
    fc.assert(fc.property(damaged(call.map(encodeCall)), decodesAsProtobufEs), { numRuns: 5_000 });
  });

  it('reads the calls the SDK sends without protobuf-es', () => {
    const typical = fc.record({
      callId: safeU64,
      partitionId: partition,
      kind: fc.oneof(
        serviceCommand.map((value) => ({ case: 'command' as const, value })),
        fc.record({
          case: fc.constant('query' as const),
          value: fc.record({
            sessionId: safeU64,
            target: fc.record({
              case: fc.constant('primitive' as const),
              value: fc.record({ service: fc.string(), namespace: fc.string(), name: fc.string() }),
            }),
            payload: bytes,
          }),
        }),
        fc.constant({ case: 'cancel' as const, value: {} }),
      ),
      forward: fc.boolean(),
    });
    fc.assert(
      fc.property(typical, (init) => {
        const data = encodeCall(create(PartitionCallSchema, init));
        expect(readCall(new ByteReader(data))).toStrictEqual(fromBinary(PartitionCallSchema, data));
      }),
    );
  });

  it('leaves a repeated command (merged) to protobuf-es', () => {
    // command {session_input {session_id 3}} then command {session_input {sequence_num 4}}.
    const data = new Uint8Array([0x1a, 4, 0x22, 2, 0x08, 3, 0x1a, 4, 0x22, 2, 0x28, 4]);
    decodesAsProtobufEs(data);
    expect(decodeCall(data).kind).toMatchObject({
      value: { input: { value: { sessionId: 3n, sequenceNum: 4n } } },
    });
  });
});
