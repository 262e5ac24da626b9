// The hand codec of log entries against protobuf-es: the same bytes for every input, the same
// message (or the same refusal) for every byte string, including the shapes the fast path leaves
// to protobuf-es (other inputs, unknown fields, numbers beyond 2^53 − 1, repeated fields).

import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteReader } from '../common/index.js';
import type { PartitionInput } from '../gen/atomix/multiraft/v1/fsm_pb.js';
import { LogEntrySchema } from '../gen/multiraft/v1/log_pb.js';
import {
  damaged,
  expectSameDecoding as expectSame,
  partitionInput,
  serviceCommand,
} from '../protocol/_arbitraries.js';
import {
  decodeLogEntry,
  encodeInputEntry,
  encodeTickEntry,
  readLogEntry,
} from './log-entry-codec.js';

const timestamp = fc.oneof(fc.constant(0), fc.nat(), fc.maxSafeNat());

const viaProtobufEs = (timestampMs: number, entry: Parameters<typeof inputEntry>[1]) =>
  toBinary(LogEntrySchema, inputEntry(timestampMs, entry));
function inputEntry(
  timestampMs: number,
  entry: { case: 'input'; value: PartitionInput } | { case: 'tick'; value: object },
) {
  return create(LogEntrySchema, { timestampMs: BigInt(timestampMs), entry });
}

const expectSameDecoding = (data: Uint8Array) => expectSame(LogEntrySchema, decodeLogEntry, data);

describe('log entry codec', () => {
  it('writes every input entry as protobuf-es does, and reads it back as protobuf-es does', () => {
    fc.assert(
      fc.property(timestamp, partitionInput, (ts, input) => {
        const data = encodeInputEntry(ts, input);
        expect(data).toEqual(viaProtobufEs(ts, { case: 'input', value: input }));
        expectSameDecoding(data);
      }),
      { numRuns: 2_000 },
    );
  });

  it('reads service commands and ticks without protobuf-es', () => {
    fc.assert(
      fc.property(timestamp, serviceCommand, (ts, input) => {
        const data = encodeInputEntry(ts, input);
        expect(readLogEntry(new ByteReader(data))).toStrictEqual(fromBinary(LogEntrySchema, data));
        const tick = encodeTickEntry(ts);
        expect(readLogEntry(new ByteReader(tick))).toStrictEqual(fromBinary(LogEntrySchema, tick));
      }),
    );
  });

  it('writes and reads tick entries as protobuf-es does', () => {
    fc.assert(
      fc.property(timestamp, (ts) => {
        const data = encodeTickEntry(ts);
        expect(data).toEqual(viaProtobufEs(ts, { case: 'tick', value: {} }));
        expectSameDecoding(data);
      }),
    );
  });

  it('reads damaged and arbitrary bytes as protobuf-es does', () => {
    const entries = fc
      .tuple(timestamp, partitionInput)
      .map(([ts, input]) => encodeInputEntry(ts, input));
    fc.assert(fc.property(damaged(entries), expectSameDecoding), { numRuns: 5_000 });
  });

  it('leaves repeated fields, both oneof members and non-minimal varints to protobuf-es', () => {
    const service = [0x08, 0x05, 0x12, 0x01, 0x01, 0x12, 0x01, 0x09]; // payload twice
    const session = [0x08, 0x03, 0x22, service.length, ...service, 0x28, 0x04];
    const input = [0x22, session.length, ...session];
    const cases = [
      // The last payload wins.
      new Uint8Array([0x08, 0x07, 0x12, input.length, ...input]),
      // The timestamp twice, and a tick after the input.
      new Uint8Array([0x08, 0x07, 0x12, input.length, ...input, 0x08, 0x09, 0x1a, 0x00]),
      // The input twice: protobuf merges the two (session 3, sequence number 4).
      new Uint8Array([0x12, 4, 0x22, 2, 0x08, 0x03, 0x12, 4, 0x22, 2, 0x28, 0x04]),
      // The service input of a session twice: merged (service 5, payload [9]).
      new Uint8Array([0x12, 11, 0x22, 9, 0x22, 2, 0x08, 0x05, 0x22, 3, 0x12, 1, 0x09]),
      // A timestamp of 1 written in two bytes.
      new Uint8Array([0x08, 0x81, 0x00, 0x1a, 0x00]),
    ];
    for (const data of cases) expectSameDecoding(data);
    expect(decodeLogEntry(cases[2]!).entry).toMatchObject({
      value: { input: { value: { sessionId: 3n, sequenceNum: 4n } } },
    });
    expect(decodeLogEntry(cases[3]!).entry).toMatchObject({
      value: {
        input: { value: { input: { value: { serviceId: 5n, payload: new Uint8Array([9]) } } } },
      },
    });
    expect(decodeLogEntry(cases[0]!).entry).toMatchObject({
      case: 'input',
      value: { input: { value: { input: { value: { payload: new Uint8Array([9]) } } } } },
    });
  });
});
