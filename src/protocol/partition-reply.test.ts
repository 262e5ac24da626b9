// The hand codec of partition replies against protobuf-es: the same bytes for every reply, the
// same message (or the same refusal) for every byte string.

import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteReader } from '../common/index.js';
import { PartitionOutputSchema } from '../gen/atomix/multiraft/v1/fsm_pb.js';
import { type PartitionReply, PartitionReplySchema } from '../gen/multiraft/v1/partition_pb.js';
import { bytes, damaged, expectSameDecoding, safeU64, text, u64, unknown } from './_arbitraries.js';
import { decodeReply, encodeReply, readReply } from './partition-reply.js';

const status = fc.oneof(
  fc.integer({ min: 0, max: 11 }),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
);

const partitionOutput = fc
  .oneof(
    fc.record({ case: fc.constant('openSession' as const), value: fc.record({ sessionId: u64 }) }),
    fc.constant({ case: 'keepAlive' as const, value: {} }),
    fc.constant({ case: 'closeSession' as const, value: {} }),
    fc.record({
      case: fc.constant('sessionOutput' as const),
      value: fc.record({
        output: fc.oneof(
          fc.record({
            case: fc.constant('createService' as const),
            value: fc.record({ serviceId: u64 }),
          }),
          fc.constant({ case: 'closeService' as const, value: {} }),
          fc.record({
            case: fc.constant('serviceOutput' as const),
            value: fc.record({ payload: bytes }),
          }),
          fc.constant({ case: undefined }),
        ),
      }),
    }),
    fc.constant({ case: undefined }),
  )
  .map((output) => create(PartitionOutputSchema, { output }));

const outputFields = {
  index: u64,
  sequenceNum: u64,
  status,
  message: text,
  current: bytes,
  done: fc.boolean(),
};

const reply: fc.Arbitrary<PartitionReply> = fc
  .record({
    callId: u64,
    kind: fc.oneof(
      fc.record({
        case: fc.constant('output' as const),
        value: fc.record({
          ...outputFields,
          output: fc.option(partitionOutput, { nil: undefined }),
        }),
      }),
      fc.record({
        case: fc.constant('result' as const),
        value: fc.record({ ...outputFields, payload: bytes }),
      }),
      fc.constant({ case: 'end' as const, value: {} }),
      fc.record({
        case: fc.constant('error' as const),
        value: fc.record({
          code: text,
          message: text,
          leaderId: u64,
          leaderAddress: text,
          safeToRetry: fc.boolean(),
        }),
      }),
      fc.constant({ case: undefined }),
    ),
    unknown,
  })
  .map(({ unknown: u, ...init }) => {
    const m = create(PartitionReplySchema, init);
    if (u !== undefined) m.$unknown = u;
    return m;
  });

const decodesAsProtobufEs = (data: Uint8Array) =>
  expectSameDecoding(PartitionReplySchema, decodeReply, data);

describe('partition reply codec', () => {
  it('writes every reply as protobuf-es does, and reads it back as protobuf-es does', () => {
    fc.assert(
      fc.property(reply, (r) => {
        const data = encodeReply(r);
        expect(data).toEqual(toBinary(PartitionReplySchema, r));
        decodesAsProtobufEs(data);
      }),
      { numRuns: 3_000 },
    );
  });

  it('reads damaged and arbitrary bytes as protobuf-es does', () => {
    fc.assert(fc.property(damaged(reply.map(encodeReply)), decodesAsProtobufEs), {
      numRuns: 5_000,
    });
  });

  it('reads the replies the node sends without protobuf-es', () => {
    const okFields = {
      index: safeU64,
      sequenceNum: safeU64,
      status: fc.integer({ min: 0, max: 11 }),
      message: fc.string(),
      current: bytes,
      done: fc.boolean(),
    };
    const typical = fc.record({
      callId: safeU64,
      kind: fc.oneof(
        fc.record({
          case: fc.constant('output' as const),
          value: fc.record({
            ...okFields,
            output: fc.record({ payload: bytes }).map((value) =>
              create(PartitionOutputSchema, {
                output: {
                  case: 'sessionOutput',
                  value: { output: { case: 'serviceOutput', value } },
                },
              }),
            ),
          }),
        }),
        fc.record({
          case: fc.constant('result' as const),
          value: fc.record({ ...okFields, payload: bytes }),
        }),
        fc.constant({ case: 'end' as const, value: {} }),
      ),
    });
    fc.assert(
      fc.property(typical, (init) => {
        const data = encodeReply(create(PartitionReplySchema, init));
        expect(readReply(new ByteReader(data))).toStrictEqual(
          fromBinary(PartitionReplySchema, data),
        );
      }),
    );
  });

  it('leaves a repeated output (merged) to protobuf-es', () => {
    // output {index 3} then output {done true}: protobuf merges them into one CommandOutput.
    const data = new Uint8Array([0x12, 2, 0x08, 3, 0x12, 2, 0x38, 1]);
    decodesAsProtobufEs(data);
    expect(decodeReply(data).kind).toMatchObject({ value: { index: 3n, done: true } });
  });
});
