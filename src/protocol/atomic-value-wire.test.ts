// The AtomicValue's hand codec against protobuf-es, both ways: every request and response written
// as protobuf-es writes it, read as protobuf-es reads it (or refused where it refuses).

import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { WireType } from '@bufbuild/protobuf/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteReader } from '../common/index.js';
import {
  AtomicValueInputSchema,
  AtomicValueOutputSchema,
  EventSchema,
  GetOutputSchema,
  type Value,
  ValueSchema,
} from '../gen/atomix/multiraft/atomic/value/v1/fsm_pb.js';
import { bytes, damaged, expectSameDecoding, safeU64, u64, unknown } from './_arbitraries.js';
import {
  decodeRequest,
  decodeResponse,
  decodeValue,
  encodeRequest,
  type RequestInit,
  type Response,
  readRequest,
  readResponse,
  writeResponse,
  writeValueMessage,
} from './atomic-value-wire.js';

const duration = fc.record({
  seconds: fc.oneof(
    fc.bigInt({ min: 0n, max: 1000n }),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  ),
  nanos: fc.oneof(
    fc.integer({ min: 0, max: 999_999_999 }),
    fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  ),
});
const requestInit = fc
  .tuple(
    fc.oneof(
      fc.record({ case: fc.constant('get' as const), value: fc.constant({}) }),
      fc.record({
        case: fc.constant('set' as const),
        value: fc.record(
          { value: bytes, ttl: duration, ifAbsent: fc.boolean() },
          { requiredKeys: ['value', 'ifAbsent'] },
        ),
      }),
      fc.record({
        case: fc.constant('update' as const),
        value: fc.record(
          { value: bytes, prevIndex: u64, ttl: duration },
          { requiredKeys: ['value', 'prevIndex'] },
        ),
      }),
      fc.record({ case: fc.constant('delete' as const), value: fc.record({ prevIndex: u64 }) }),
      fc.record({ case: fc.constant('watch' as const), value: fc.constant({}) }),
      fc.record({ case: fc.constant('events' as const), value: fc.constant({}) }),
      fc.constant({ case: undefined }),
    ),
    unknown,
  )
  .map(([input, u]) => {
    const m = create(AtomicValueInputSchema, { input });
    if (u !== undefined && m.input.case !== undefined) m.input.value.$unknown = u;
    return m;
  });
const request = requestInit.map((m) => toBinary(AtomicValueInputSchema, m));

const expectSameRequest = (data: Uint8Array) =>
  expectSameDecoding(AtomicValueInputSchema, decodeRequest, data, (m) => m.input);

const value: fc.Arbitrary<Value> = fc
  .record({ value: bytes, index: safeU64 })
  .map((v) => create(ValueSchema, v));

/** Values a reader may meet: any uint64 version, sometimes an unknown field. */
const anyValue: fc.Arbitrary<Value> = fc
  .record({ value: bytes, index: u64, unknown })
  .map(({ unknown: u, ...v }) => {
    const m = create(ValueSchema, v);
    if (u !== undefined) m.$unknown = u;
    return m;
  });

/** Responses as the primitive builds them (`value`), or as a reader may meet them (`anyValue`). */
function responses(
  value: fc.Arbitrary<Value>,
  index: fc.Arbitrary<bigint>,
): fc.Arbitrary<Response> {
  const optionalValue = fc.option(value, { nil: undefined });
  const event = fc
    .oneof(
      fc.record({
        case: fc.constant('created' as const),
        value: fc.record({ value: optionalValue }),
      }),
      fc.record({
        case: fc.constant('updated' as const),
        value: fc.record({ value: optionalValue, prevValue: optionalValue }),
      }),
      fc.record({
        case: fc.constant('deleted' as const),
        value: fc.record({ value: optionalValue, expired: fc.boolean() }),
      }),
      fc.constant({ case: undefined }),
    )
    .map((e) => create(EventSchema, { event: e }));
  return fc
    .oneof(
      fc.record({ case: fc.constant('get' as const), value: fc.record({ value: optionalValue }) }),
      fc.record({ case: fc.constant('set' as const), value: fc.record({ index }) }),
      fc.record({
        case: fc.constant('update' as const),
        value: fc.record({ index, prevValue: optionalValue }),
      }),
      fc.record({
        case: fc.constant('delete' as const),
        value: fc.record({ value: optionalValue }),
      }),
      fc.record({
        case: fc.constant('watch' as const),
        value: fc.record({ value: optionalValue }),
      }),
      fc.record({
        case: fc.constant('events' as const),
        value: fc.record({ event: fc.option(event, { nil: undefined }) }),
      }),
    )
    .map((output) => create(AtomicValueOutputSchema, { output }).output as Response);
}
const response = responses(value, safeU64);
const anyResponse = responses(anyValue, u64);

const encodedResponse = (output: Response) =>
  toBinary(AtomicValueOutputSchema, create(AtomicValueOutputSchema, { output }));
const decodesAsProtobufEs = (data: Uint8Array) =>
  expectSameDecoding(AtomicValueOutputSchema, decodeResponse, data, (m) => m.output);

describe('AtomicValue wire format', () => {
  it('writes every request as protobuf-es does', () => {
    fc.assert(
      fc.property(
        requestInit.filter((m) => m.input.case !== undefined),
        (m) => {
          expect(encodeRequest(m.input as RequestInit)).toEqual(
            toBinary(AtomicValueInputSchema, m),
          );
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it('reads every response and value as protobuf-es does, damaged ones too', () => {
    fc.assert(fc.property(anyResponse.map(encodedResponse), decodesAsProtobufEs), {
      numRuns: 3_000,
    });
    fc.assert(fc.property(damaged(anyResponse.map(encodedResponse)), decodesAsProtobufEs), {
      numRuns: 5_000,
    });
    fc.assert(
      fc.property(anyValue, (v) => {
        const data = toBinary(ValueSchema, v);
        expect(decodeValue(data)).toStrictEqual(fromBinary(ValueSchema, data));
      }),
    );
  });

  it('reads the responses the primitive writes without protobuf-es', () => {
    fc.assert(
      fc.property(response, (output) => {
        const data = writeResponse(output);
        const expected = fromBinary(AtomicValueOutputSchema, data).output;
        expect(readResponse(new ByteReader(data))).toStrictEqual(expected);
      }),
    );
  });

  it('reads every request as protobuf-es does', () => {
    fc.assert(fc.property(request, expectSameRequest), { numRuns: 3_000 });
  });

  it('reads the requests clients send without protobuf-es', () => {
    const typical = fc.oneof(
      fc.record({
        case: fc.constant('set' as const),
        value: fc.record(
          {
            value: bytes,
            ttl: fc.record({ seconds: safeU64, nanos: fc.integer({ min: 0, max: 999_999_999 }) }),
            ifAbsent: fc.boolean(),
          },
          { requiredKeys: ['value', 'ifAbsent'] },
        ),
      }),
      fc.record({
        case: fc.constant('update' as const),
        value: fc.record({ value: bytes, prevIndex: safeU64 }),
      }),
      fc.record({ case: fc.constant('delete' as const), value: fc.record({ prevIndex: safeU64 }) }),
      fc.record({ case: fc.constant('get' as const), value: fc.constant({}) }),
    );
    fc.assert(
      fc.property(typical, (input) => {
        const data = toBinary(AtomicValueInputSchema, create(AtomicValueInputSchema, { input }));
        expect(readRequest(new ByteReader(data))).toStrictEqual(
          fromBinary(AtomicValueInputSchema, data).input,
        );
      }),
    );
  });

  it('reads damaged and arbitrary bytes as protobuf-es does', () => {
    fc.assert(fc.property(damaged(request), expectSameRequest), { numRuns: 5_000 });
  });

  it('leaves a request member given twice (merged) to protobuf-es', () => {
    // set {value: [1]} then set {if_absent: true}: protobuf merges them into one SetInput.
    const data = new Uint8Array([0x12, 3, 0x0a, 1, 1, 0x12, 2, 0x18, 1]);
    expectSameRequest(data);
    expect(decodeRequest(data)).toMatchObject({
      case: 'set',
      value: { value: new Uint8Array([1]), ifAbsent: true },
    });
  });

  it('writes every response and value as protobuf-es does', () => {
    fc.assert(
      fc.property(response, (output) => {
        const expected = toBinary(
          AtomicValueOutputSchema,
          create(AtomicValueOutputSchema, { output }),
        );
        expect(writeResponse(output)).toEqual(expected);
      }),
      { numRuns: 3_000 },
    );
    fc.assert(
      fc.property(value, (v) => {
        expect(writeValueMessage(v)).toEqual(toBinary(ValueSchema, v));
      }),
    );
  });

  it('refuses to write what protobuf-es would write otherwise', () => {
    const huge = create(ValueSchema, { index: 2n ** 53n });
    expect(() => writeValueMessage(huge)).toThrow(/2\^53/);
    const withUnknown = create(ValueSchema, { index: 1n });
    withUnknown.$unknown = [{ no: 50, wireType: WireType.Varint, data: new Uint8Array([1]) }];
    expect(() =>
      writeResponse({ case: 'get', value: create(GetOutputSchema, { value: withUnknown }) }),
    ).toThrow(/unknown fields/);
  });
});
