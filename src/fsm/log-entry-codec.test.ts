// The hand codec of log entries against protobuf-es: the same bytes for every input, the same
// message (or the same refusal) for every byte string, including the shapes the fast path leaves
// to protobuf-es (other inputs, unknown fields, numbers beyond 2^53 − 1, repeated fields).

import { create, fromBinary, toBinary, type UnknownField } from '@bufbuild/protobuf';
import { WireType } from '@bufbuild/protobuf/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type PartitionInput,
  PartitionInputSchema,
  SessionInputSchema,
} from '../gen/atomix/multiraft/v1/fsm_pb.js';
import { LogEntrySchema } from '../gen/multiraft/v1/log_pb.js';
import {
  decodeLogEntry,
  encodeInputEntry,
  encodeTickEntry,
  readLogEntry,
} from './log-entry-codec.js';

const u64 = fc.oneof(
  fc.constant(0n),
  fc.bigInt({ min: 1n, max: 300n }),
  fc.bigInt({ min: 0n, max: 2n ** 53n - 1n }),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
);
const safeU64 = fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 2n ** 53n - 1n }));
const bytes = fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ maxLength: 300 }));
/** Sometimes an unknown field (number 100, a varint) kept from decoding: protobuf-es writes it back. */
const unknown = fc
  .nat(4)
  .map((n): UnknownField[] | undefined =>
    n === 0 ? [{ no: 100, wireType: WireType.Varint, data: new Uint8Array([7]) }] : undefined,
  );

const sessionInput = fc
  .record({
    sessionId: u64,
    sequenceNum: u64,
    input: fc.oneof(
      fc.record({
        case: fc.constant('serviceInput' as const),
        value: fc.record({ serviceId: u64, payload: bytes }),
      }),
      fc.record({
        case: fc.constant('createService' as const),
        value: fc.record({ service: fc.string(), namespace: fc.string(), name: fc.string() }),
      }),
      fc.record({
        case: fc.constant('closeService' as const),
        value: fc.record({ serviceId: u64 }),
      }),
      fc.constant({ case: undefined }),
    ),
    unknown,
  })
  .map(({ unknown: u, ...init }) => {
    const m = create(SessionInputSchema, init);
    if (u !== undefined) m.$unknown = u;
    if (u !== undefined && m.input.case === 'serviceInput') m.input.value.$unknown = u;
    return m;
  });

const partitionInput: fc.Arbitrary<PartitionInput> = fc
  .tuple(
    fc.oneof(
      {
        weight: 4,
        arbitrary: sessionInput.map((value) => ({ case: 'sessionInput' as const, value })),
      },
      fc.record({
        case: fc.constant('openSession' as const),
        value: fc.record({ timeoutMs: u64 }),
      }),
      fc.record({
        case: fc.constant('keepAlive' as const),
        value: fc.record({
          sessionId: u64,
          lastCommandSequenceNum: u64,
          pendingCommandsFilter: bytes,
          outputStreamSequenceNums: fc.dictionary(fc.nat().map(String), u64, { maxKeys: 3 }),
        }),
      }),
      fc.record({
        case: fc.constant('closeSession' as const),
        value: fc.record({ sessionId: u64 }),
      }),
      fc.constant({ case: undefined }),
    ),
    unknown,
  )
  .map(([input, u]) => {
    const m = create(PartitionInputSchema, { input });
    if (u !== undefined) m.$unknown = u;
    return m;
  });

const timestamp = fc.oneof(fc.constant(0), fc.nat(), fc.maxSafeNat());

const viaProtobufEs = (timestampMs: number, entry: Parameters<typeof inputEntry>[1]) =>
  toBinary(LogEntrySchema, inputEntry(timestampMs, entry));
function inputEntry(
  timestampMs: number,
  entry: { case: 'input'; value: PartitionInput } | { case: 'tick'; value: object },
) {
  return create(LogEntrySchema, { timestampMs: BigInt(timestampMs), entry });
}

/** Decodes with both; either both refuse the bytes or both give the same message. */
function expectSameDecoding(data: Uint8Array): void {
  let expected: unknown;
  try {
    expected = fromBinary(LogEntrySchema, data);
  } catch {
    expect(() => decodeLogEntry(data)).toThrow();
    return;
  }
  expect(decodeLogEntry(data)).toStrictEqual(expected);
}

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
    const command = fc
      .record({ sessionId: safeU64, sequenceNum: safeU64, serviceId: safeU64, payload: bytes })
      .map(({ serviceId, payload, ...session }) =>
        create(PartitionInputSchema, {
          input: {
            case: 'sessionInput',
            value: { ...session, input: { case: 'serviceInput', value: { serviceId, payload } } },
          },
        }),
      );
    fc.assert(
      fc.property(timestamp, command, (ts, input) => {
        const data = encodeInputEntry(ts, input);
        expect(readLogEntry(data)).toStrictEqual(fromBinary(LogEntrySchema, data));
        const tick = encodeTickEntry(ts);
        expect(readLogEntry(tick)).toStrictEqual(fromBinary(LogEntrySchema, tick));
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
    const damaged = fc
      .tuple(timestamp, partitionInput, fc.nat(), fc.uint8Array({ maxLength: 4 }), fc.nat(3))
      .map(([ts, input, at, splice, drop]) => {
        const data = encodeInputEntry(ts, input);
        const i = at % (data.length + 1);
        return new Uint8Array([...data.subarray(0, i), ...splice, ...data.subarray(i + drop)]);
      });
    fc.assert(
      fc.property(fc.oneof(damaged, fc.uint8Array({ maxLength: 40 })), expectSameDecoding),
      {
        numRuns: 5_000,
      },
    );
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
