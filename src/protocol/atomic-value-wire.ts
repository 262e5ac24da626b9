// The AtomicValue's payloads by hand (common/proto-wire.ts says why, and how the bytes are kept
// to protobuf-es's). Every replica reads an AtomicValueInput and writes an AtomicValueOutput for
// every write; the SDK (and the server's gRPC gateway) writes the one and reads the other.
// - node side: decodeRequest, and writeResponse for responses the primitive builds, always within
//   the hand encoder's reach (asserted);
// - client side: encodeRequest and decodeResponse.
// Each reader and writer that may meet what the fast path does not take falls back to protobuf-es.

import { create, fromBinary, type MessageInitShape, toBinary } from '@bufbuild/protobuf';
import type { Duration } from '@bufbuild/protobuf/wkt';
import {
  AssertionError,
  type ByteReader,
  bytesFieldSize,
  DecodeError,
  encodeByHand,
  fieldTag,
  handInt,
  handMessage,
  handNumber,
  lenFieldSize,
  markOnce,
  noBytes,
  noFields,
  type ProtoWriter,
  readInt32,
  readOneof,
  readOr,
  readUint64Only,
  varintFieldSize,
  WireType,
} from '../common/index.js';
import {
  type AtomicValueInput,
  AtomicValueInputSchema,
  type AtomicValueOutput,
  AtomicValueOutputSchema,
  type Event,
  type SetInput,
  type UpdateInput,
  type Value,
  ValueSchema,
} from '../gen/atomix/multiraft/atomic/value/v1/fsm_pb.js';

const typePrefix = 'atomix.multiraft.atomic.value.v1.';

const varint1 = fieldTag(1, WireType.varint);
const len1 = fieldTag(1, WireType.len);
const varint2 = fieldTag(2, WireType.varint);
const len2 = fieldTag(2, WireType.len);
const varint3 = fieldTag(3, WireType.varint);
const len3 = fieldTag(3, WireType.len);

// ---- AtomicValueInput ----

/** Decodes an AtomicValueInput as protobuf-es does, and throws where it throws. */
export function decodeRequest(bytes: Uint8Array): AtomicValueInput['input'] {
  return readOr(bytes, readRequest, () => fromBinary(AtomicValueInputSchema, bytes).input);
}

/** The request as protobuf-es reads it; DecodeError where the fast path stops. */
export function readRequest(r: ByteReader): AtomicValueInput['input'] {
  return readOneof(r, 6, readRequestMember) ?? { case: undefined };
}

function readRequestMember(field: number, body: ByteReader): AtomicValueInput['input'] {
  switch (field) {
    case 1:
      noFields(body);
      return { case: 'get', value: { $typeName: `${typePrefix}GetInput` } };
    case 2:
      return { case: 'set', value: readSet(body) };
    case 3:
      return { case: 'update', value: readUpdate(body) };
    case 4:
      return {
        case: 'delete',
        value: { $typeName: `${typePrefix}DeleteInput`, prevIndex: readUint64Only(body) },
      };
    case 5:
      noFields(body);
      return { case: 'watch', value: { $typeName: `${typePrefix}WatchInput` } };
    default:
      noFields(body);
      return { case: 'events', value: { $typeName: `${typePrefix}EventsInput` } };
  }
}

function readSet(r: ByteReader): SetInput {
  let seen = 0;
  const m: SetInput = { $typeName: `${typePrefix}SetInput`, value: noBytes, ifAbsent: false };
  while (r.remaining > 0) {
    const tag = r.varint();
    switch (tag) {
      case len1:
        m.value = r.view(r.varint());
        break;
      case len2:
        seen = markOnce(seen, 2);
        m.ttl = readDuration(r.sub(r.varint()));
        break;
      case varint3:
        m.ifAbsent = r.bool();
        break;
      default:
        throw new DecodeError(`SetInput tag ${tag}`);
    }
  }
  return m;
}

function readUpdate(r: ByteReader): UpdateInput {
  let seen = 0;
  const m: UpdateInput = { $typeName: `${typePrefix}UpdateInput`, value: noBytes, prevIndex: 0n };
  while (r.remaining > 0) {
    const tag = r.varint();
    switch (tag) {
      case len1:
        m.value = r.view(r.varint());
        break;
      case varint2:
        m.prevIndex = BigInt(r.varint());
        break;
      case len3:
        seen = markOnce(seen, 3);
        m.ttl = readDuration(r.sub(r.varint()));
        break;
      default:
        throw new DecodeError(`UpdateInput tag ${tag}`);
    }
  }
  return m;
}

/** A Duration of non-negative seconds and nanos (negative ones are ten-byte varints: protobuf-es). */
function readDuration(r: ByteReader): Duration {
  const m: Duration = { $typeName: 'google.protobuf.Duration', seconds: 0n, nanos: 0 };
  while (r.remaining > 0) {
    const tag = r.varint();
    switch (tag) {
      case varint1:
        m.seconds = BigInt(r.varint());
        break;
      case varint2:
        m.nanos = readInt32(r);
        break;
      default:
        throw new DecodeError(`Duration tag ${tag}`);
    }
  }
  return m;
}

// ---- AtomicValueOutput ----

/**
 * The encoded AtomicValueOutput of a response. The primitive builds every response from its state,
 * so none has unknown fields or numbers beyond 2^53 − 1 (asserted): protobuf-es would write the
 * same bytes.
 */
export function writeResponse(output: Response): Uint8Array {
  return encodeByHand(
    output,
    responseMessageBytes,
    writeResponseMessage,
    notFromThePrimitive,
    'kept',
  );
}

/** The encoded Value (`current` of CONFLICT and ALREADY_EXISTS), under the same assertion. */
export function writeValueMessage(v: Value): Uint8Array {
  return encodeByHand(v, valueBytes, writeValueFields, notFromThePrimitive, 'kept');
}

function notFromThePrimitive(): never {
  throw new AssertionError(
    'a response the AtomicValue builds has no unknown fields and no number beyond 2^53 − 1',
  );
}

/** A response: one case of the AtomicValueOutput oneof (never empty). */
export type Response = Exclude<AtomicValueOutput['output'], { case: undefined }>;

/** AtomicValueInput and AtomicValueOutput number the members of their oneof alike. */
const memberField = { get: 1, set: 2, update: 3, delete: 4, watch: 5, events: 6 } as const;

function responseMessageBytes(output: Response): number {
  return lenFieldSize(memberField[output.case], responseBytes(output));
}

function writeResponseMessage(w: ProtoWriter, output: Response): void {
  w.messageHeader(memberField[output.case], responseBytes(output));
  writeResponseBody(w, output);
}

function valueBytes(v: Value): number {
  return bytesFieldSize(1, handMessage(v).value) + varintFieldSize(2, handNumber(v.index));
}

function optionalValueBytes(field: number, v: Value | undefined): number {
  return v === undefined ? 0 : lenFieldSize(field, valueBytes(v));
}

function responseBytes(output: Response): number {
  handMessage(output.value);
  switch (output.case) {
    case 'get':
    case 'delete':
    case 'watch':
      return optionalValueBytes(1, output.value.value);
    case 'set':
      return varintFieldSize(1, handNumber(output.value.index));
    case 'update':
      return (
        varintFieldSize(1, handNumber(output.value.index)) +
        optionalValueBytes(2, output.value.prevValue)
      );
    case 'events': {
      const event = output.value.event;
      return event === undefined ? 0 : lenFieldSize(1, eventBytes(event));
    }
  }
}

function eventBytes(e: Event): number {
  handMessage(e);
  switch (e.event.case) {
    case undefined:
      return 0;
    case 'created':
      return lenFieldSize(1, optionalValueBytes(1, handMessage(e.event.value).value));
    case 'updated': {
      const { value, prevValue } = handMessage(e.event.value);
      return lenFieldSize(2, optionalValueBytes(1, value) + optionalValueBytes(2, prevValue));
    }
    case 'deleted': {
      const { value, expired } = handMessage(e.event.value);
      return lenFieldSize(3, optionalValueBytes(1, value) + varintFieldSize(2, expired ? 1 : 0));
    }
  }
}

// The writers below follow the sizes above, which checked every message and number.

function writeValue(w: ProtoWriter, field: number, v: Value | undefined): void {
  if (v === undefined) return;
  w.messageHeader(field, valueBytes(v));
  writeValueFields(w, v);
}

function writeValueFields(w: ProtoWriter, v: Value): void {
  w.bytesField(1, v.value);
  w.varintField(2, Number(v.index));
}

function writeResponseBody(w: ProtoWriter, output: Response): void {
  switch (output.case) {
    case 'get':
    case 'delete':
    case 'watch':
      writeValue(w, 1, output.value.value);
      return;
    case 'set':
      w.varintField(1, Number(output.value.index));
      return;
    case 'update':
      w.varintField(1, Number(output.value.index));
      writeValue(w, 2, output.value.prevValue);
      return;
    case 'events': {
      const event = output.value.event;
      if (event === undefined) return;
      w.messageHeader(1, eventBytes(event));
      writeEvent(w, event);
    }
  }
}

function writeEvent(w: ProtoWriter, e: Event): void {
  switch (e.event.case) {
    case undefined:
      return;
    case 'created':
      w.messageHeader(1, optionalValueBytes(1, e.event.value.value));
      writeValue(w, 1, e.event.value.value);
      return;
    case 'updated': {
      const { value, prevValue } = e.event.value;
      w.messageHeader(2, optionalValueBytes(1, value) + optionalValueBytes(2, prevValue));
      writeValue(w, 1, value);
      writeValue(w, 2, prevValue);
      return;
    }
    case 'deleted': {
      const { value, expired } = e.event.value;
      w.messageHeader(3, optionalValueBytes(1, value) + varintFieldSize(2, expired ? 1 : 0));
      writeValue(w, 1, value);
      w.boolField(2, expired);
    }
  }
}

// ---- client side: AtomicValueInput written, AtomicValueOutput and Value read ----

/** A duration as the SDK and the gateway pass it (a Duration message, or its fields). */
type DurationInit = { readonly seconds?: bigint; readonly nanos?: number; $unknown?: unknown[] };

/** A request as the SDK and the gateway build it (proto3 defaults may be left out). */
export type RequestInit =
  | { readonly case: 'get' | 'watch' | 'events'; readonly value: { $unknown?: unknown[] } }
  | {
      readonly case: 'set';
      readonly value: {
        readonly value?: Uint8Array;
        readonly ttl?: DurationInit | undefined;
        readonly ifAbsent?: boolean;
        $unknown?: unknown[];
      };
    }
  | {
      readonly case: 'update';
      readonly value: {
        readonly value?: Uint8Array;
        readonly prevIndex?: bigint;
        readonly ttl?: DurationInit | undefined;
        $unknown?: unknown[];
      };
    }
  | {
      readonly case: 'delete';
      readonly value: { readonly prevIndex?: bigint; $unknown?: unknown[] };
    };

/** The encoded AtomicValueInput, as protobuf-es writes it. */
export function encodeRequest(input: RequestInit): Uint8Array {
  return encodeByHand(
    input,
    requestMessageBytes,
    writeRequestMessage,
    requestViaProtobufEs,
    'transient',
  );
}

function requestViaProtobufEs(input: RequestInit): Uint8Array {
  const init = { input } as MessageInitShape<typeof AtomicValueInputSchema>;
  return toBinary(AtomicValueInputSchema, create(AtomicValueInputSchema, init));
}

function requestMessageBytes(input: RequestInit): number {
  return lenFieldSize(memberField[input.case], requestBytes(input));
}

function requestBytes(input: RequestInit): number {
  handMessage(input.value);
  switch (input.case) {
    case 'get':
    case 'watch':
    case 'events':
      return 0;
    case 'set': {
      const v = input.value;
      return (
        bytesFieldSize(1, v.value ?? noBytes) +
        durationFieldSize(2, v.ttl) +
        varintFieldSize(3, v.ifAbsent ? 1 : 0)
      );
    }
    case 'update': {
      const v = input.value;
      return (
        bytesFieldSize(1, v.value ?? noBytes) +
        varintFieldSize(2, handNumber(v.prevIndex ?? 0n)) +
        durationFieldSize(3, v.ttl)
      );
    }
    case 'delete':
      return varintFieldSize(1, handNumber(input.value.prevIndex ?? 0n));
  }
}

function writeRequestMessage(w: ProtoWriter, input: RequestInit): void {
  w.messageHeader(memberField[input.case], requestBytes(input));
  switch (input.case) {
    case 'set': {
      const v = input.value;
      w.bytesField(1, v.value ?? noBytes);
      writeDuration(w, 2, v.ttl);
      w.boolField(3, v.ifAbsent === true);
      break;
    }
    case 'update': {
      const v = input.value;
      w.bytesField(1, v.value ?? noBytes);
      w.varintField(2, Number(v.prevIndex ?? 0n));
      writeDuration(w, 3, v.ttl);
      break;
    }
    case 'delete':
      w.varintField(1, Number(input.value.prevIndex ?? 0n));
      break;
  }
}

function durationBytes(d: DurationInit): number {
  const nanos = handInt(d.nanos ?? 0);
  return varintFieldSize(1, handNumber(handMessage(d).seconds ?? 0n)) + varintFieldSize(2, nanos);
}

/** The size of a Duration field (0 when absent). */
function durationFieldSize(field: number, d: DurationInit | undefined): number {
  return d === undefined ? 0 : lenFieldSize(field, durationBytes(d));
}

function writeDuration(w: ProtoWriter, field: number, d: DurationInit | undefined): void {
  if (d === undefined) return;
  w.messageHeader(field, durationBytes(d));
  w.varintField(1, Number(d.seconds ?? 0n));
  w.varintField(2, d.nanos ?? 0);
}

/** Decodes an AtomicValueOutput as protobuf-es does, and throws where it throws. */
export function decodeResponse(bytes: Uint8Array): AtomicValueOutput['output'] {
  return readOr(bytes, readResponse, () => fromBinary(AtomicValueOutputSchema, bytes).output);
}

/** Decodes a Value as protobuf-es does, and throws where it throws. */
export function decodeValue(bytes: Uint8Array): Value {
  return readOr(bytes, readValue, () => fromBinary(ValueSchema, bytes));
}

/** The fast path alone; DecodeError where it leaves the response to protobuf-es. */
export function readResponse(r: ByteReader): AtomicValueOutput['output'] {
  return readOneof(r, 6, readResponseMember) ?? { case: undefined };
}

function readResponseMember(field: number, body: ByteReader): AtomicValueOutput['output'] {
  switch (field) {
    case 1:
      return { case: 'get', value: { $typeName: `${typePrefix}GetOutput`, ...valueOnly(body) } };
    case 2:
      return {
        case: 'set',
        value: { $typeName: `${typePrefix}SetOutput`, index: readUint64Only(body) },
      };
    case 3:
      return { case: 'update', value: readUpdateOutput(body) };
    case 4:
      return {
        case: 'delete',
        value: { $typeName: `${typePrefix}DeleteOutput`, ...valueOnly(body) },
      };
    case 5:
      return {
        case: 'watch',
        value: { $typeName: `${typePrefix}WatchOutput`, ...valueOnly(body) },
      };
    default: {
      let seen = 0;
      let event: Event | undefined;
      while (body.remaining > 0) {
        if (body.varint() !== len1) throw new DecodeError('EventsOutput field');
        seen = markOnce(seen, 1);
        event = readEvent(body.sub(body.varint()));
      }
      const value = event === undefined ? {} : { event };
      return { case: 'events', value: { $typeName: `${typePrefix}EventsOutput`, ...value } };
    }
  }
}

/** The fields of a message whose only field is `Value value = 1`. */
function valueOnly(r: ByteReader): { value?: Value } {
  let seen = 0;
  let value: Value | undefined;
  while (r.remaining > 0) {
    if (r.varint() !== len1) throw new DecodeError('not a value field');
    seen = markOnce(seen, 1);
    value = readValue(r.sub(r.varint()));
  }
  return value === undefined ? {} : { value };
}

function readUpdateOutput(r: ByteReader) {
  let seen = 0;
  const m: Extract<AtomicValueOutput['output'], { case: 'update' }>['value'] = {
    $typeName: `${typePrefix}UpdateOutput`,
    index: 0n,
  };
  while (r.remaining > 0) {
    const tag = r.varint();
    switch (tag) {
      case varint1:
        m.index = BigInt(r.varint());
        break;
      case len2:
        seen = markOnce(seen, 2);
        m.prevValue = readValue(r.sub(r.varint()));
        break;
      default:
        throw new DecodeError(`UpdateOutput tag ${tag}`);
    }
  }
  return m;
}

function readEvent(r: ByteReader): Event {
  const event = readOneof(r, 3, readEventMember) ?? { case: undefined };
  return { $typeName: `${typePrefix}Event`, event };
}

function readEventMember(field: number, body: ByteReader): Event['event'] {
  let seen = 0;
  let value: Value | undefined;
  let prevValue: Value | undefined;
  let expired = false;
  while (body.remaining > 0) {
    const tag = body.varint();
    if (tag === len1) {
      seen = markOnce(seen, 1);
      value = readValue(body.sub(body.varint()));
    } else if (field === 2 && tag === len2) {
      seen = markOnce(seen, 2);
      prevValue = readValue(body.sub(body.varint()));
    } else if (field === 3 && tag === varint2) {
      expired = body.bool();
    } else {
      throw new DecodeError(`Event member tag ${tag}`);
    }
  }
  const withValue = value === undefined ? {} : { value };
  switch (field) {
    case 1:
      return { case: 'created', value: { $typeName: `${typePrefix}Event.Created`, ...withValue } };
    case 2: {
      const withPrev = prevValue === undefined ? {} : { prevValue };
      return {
        case: 'updated',
        value: { $typeName: `${typePrefix}Event.Updated`, ...withValue, ...withPrev },
      };
    }
    default:
      return {
        case: 'deleted',
        value: { $typeName: `${typePrefix}Event.Deleted`, ...withValue, expired },
      };
  }
}

function readValue(r: ByteReader): Value {
  const v: Value = { $typeName: `${typePrefix}Value`, value: noBytes, index: 0n };
  while (r.remaining > 0) {
    const tag = r.varint();
    switch (tag) {
      case len1:
        v.value = r.lengthPrefixed();
        break;
      case varint2:
        v.index = BigInt(r.varint());
        break;
      default:
        throw new DecodeError(`Value tag ${tag}`);
    }
  }
  return v;
}
