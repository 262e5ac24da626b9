// fast-check generators of the protocol's messages, with unknown fields and numbers beyond
// 2^53 − 1 among them (tests only), and the check that a hand decoder reads as protobuf-es does.

import {
  create,
  type DescMessage,
  fromBinary,
  type MessageShape,
  type UnknownField,
} from '@bufbuild/protobuf';
import { WireType } from '@bufbuild/protobuf/wire';
import fc from 'fast-check';
import { expect } from 'vitest';
import {
  type PartitionInput,
  PartitionInputSchema,
  SessionInputSchema,
} from '../gen/atomix/multiraft/v1/fsm_pb.js';

export const u64 = fc.oneof(
  fc.constant(0n),
  fc.bigInt({ min: 1n, max: 300n }),
  fc.bigInt({ min: 0n, max: 2n ** 53n - 1n }),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
);
export const safeU64 = fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 2n ** 53n - 1n }));
export const bytes = fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ maxLength: 300 }));
/** Strings, mostly ASCII (the hand codecs' domain), some of any UTF-16 code units. */
export const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }));

/** Sometimes an unknown field (number 100, a varint) kept from decoding: protobuf-es writes it back. */
export const unknown = fc
  .nat(4)
  .map((n): UnknownField[] | undefined =>
    n === 0 ? [{ no: 100, wireType: WireType.Varint, data: new Uint8Array([7]) }] : undefined,
  );

export const sessionInput = fc
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

export const partitionInput: fc.Arbitrary<PartitionInput> = fc
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

/** A service command of a session with numbers the hand codecs write: their fast path. */
export const serviceCommand = fc
  .record({ sessionId: safeU64, sequenceNum: safeU64, serviceId: safeU64, payload: bytes })
  .map(({ serviceId, payload, ...session }) =>
    create(PartitionInputSchema, {
      input: {
        case: 'sessionInput',
        value: { ...session, input: { case: 'serviceInput', value: { serviceId, payload } } },
      },
    }),
  );

/** Encodings with a few bytes spliced in or cut out somewhere, and arbitrary short strings. */
export function damaged(encodings: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  const spliced = fc
    .tuple(encodings, fc.nat(), fc.uint8Array({ maxLength: 4 }), fc.nat(3))
    .map(([data, at, splice, drop]) => {
      const i = at % (data.length + 1);
      return new Uint8Array([...data.subarray(0, i), ...splice, ...data.subarray(i + drop)]);
    });
  return fc.oneof(spliced, fc.uint8Array({ maxLength: 40 }));
}

/**
 * Both decode `data` to the same message, or both throw; `part` picks what `decode` returns of
 * protobuf-es's message (the oneof of the AtomicValue's payloads), the whole message by default.
 */
export function expectSameDecoding<Desc extends DescMessage>(
  schema: Desc,
  decode: (data: Uint8Array) => unknown,
  data: Uint8Array,
  part: (m: MessageShape<Desc>) => unknown = (m) => m,
): void {
  let expected: unknown;
  try {
    expected = part(fromBinary(schema, data));
  } catch {
    expect(() => decode(data)).toThrow();
    return;
  }
  expect(decode(data)).toStrictEqual(expected);
}
