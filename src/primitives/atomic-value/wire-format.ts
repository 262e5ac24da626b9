// AtomicValueInput read and AtomicValueOutput written by hand: every replica does both for every
// write (common/proto-wire.ts says why, and how the bytes are kept to protobuf-es's). A request
// the fast path does not take, protobuf-es reads (codec.ts falls back on DecodeError); the
// responses are the primitive's own, always within what the hand encoder writes.

import type { Duration } from '@bufbuild/protobuf/wkt';
import {
  assert,
  ByteReader,
  bytesFieldSize,
  DecodeError,
  fieldTag,
  lenFieldSize,
  markOnce,
  noBytes,
  ProtoWriter,
  varintFieldSize,
  WireType,
  writableNumber,
} from '../../common/index.js';
import type {
  AtomicValueInput,
  AtomicValueOutput,
  DeleteInput,
  Event,
  SetInput,
  UpdateInput,
  Value,
} from '../../gen/atomix/multiraft/atomic/value/v1/fsm_pb.js';

const typePrefix = 'atomix.multiraft.atomic.value.v1.';
const int32Max = 2 ** 31 - 1;

const varint1 = fieldTag(1, WireType.varint);
const len1 = fieldTag(1, WireType.len);
const varint2 = fieldTag(2, WireType.varint);
const len2 = fieldTag(2, WireType.len);
const varint3 = fieldTag(3, WireType.varint);
const len3 = fieldTag(3, WireType.len);

// ---- AtomicValueInput ----

/** The request in `bytes` as protobuf-es reads it; DecodeError where the fast path stops. */
export function readRequest(bytes: Uint8Array): AtomicValueInput['input'] {
  const r = new ByteReader(bytes);
  let seen = 0;
  let input: AtomicValueInput['input'] = { case: undefined };
  while (r.remaining > 0) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    if (tag % 8 !== WireType.len || field < 1 || field > 6) {
      throw new DecodeError(`AtomicValueInput tag ${tag}`);
    }
    // A member repeated merges, left to protobuf-es; another member replaces, as here.
    seen = markOnce(seen, field);
    const body = r.sub(r.varint());
    switch (field) {
      case 1:
        input = { case: 'get', value: { $typeName: `${typePrefix}GetInput` } };
        break;
      case 2:
        input = { case: 'set', value: readSet(body) };
        break;
      case 3:
        input = { case: 'update', value: readUpdate(body) };
        break;
      case 4:
        input = { case: 'delete', value: readDelete(body) };
        break;
      case 5:
        input = { case: 'watch', value: { $typeName: `${typePrefix}WatchInput` } };
        break;
      default:
        input = { case: 'events', value: { $typeName: `${typePrefix}EventsInput` } };
    }
    // The empty requests carry no field: anything in them is unknown to the fast path.
    if ((field === 1 || field >= 5) && body.remaining > 0) {
      throw new DecodeError('fields in an empty request');
    }
  }
  return input;
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

function readDelete(r: ByteReader): DeleteInput {
  const m: DeleteInput = { $typeName: `${typePrefix}DeleteInput`, prevIndex: 0n };
  while (r.remaining > 0) {
    const tag = r.varint();
    if (tag !== varint1) throw new DecodeError(`DeleteInput tag ${tag}`);
    m.prevIndex = BigInt(r.varint());
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
      case varint2: {
        const nanos = r.varint();
        if (nanos > int32Max) throw new DecodeError('nanos beyond int32');
        m.nanos = nanos;
        break;
      }
      default:
        throw new DecodeError(`Duration tag ${tag}`);
    }
  }
  return m;
}

// ---- AtomicValueOutput ----

/**
 * The encoded AtomicValueOutput of a response. The primitive builds every response from its state,
 * so none has unknown fields or numbers beyond 2^53 − 1 (asserted while sizing): protobuf-es would
 * write the same bytes.
 */
export function writeResponse(output: Response): Uint8Array {
  const field = responseField[output.case];
  const body = responseBytes(output);
  const w = new ProtoWriter(lenFieldSize(field, body));
  w.messageHeader(field, body);
  writeResponseBody(w, output);
  return w.finish();
}

/** A response: one case of the AtomicValueOutput oneof (never empty). */
export type Response = Exclude<AtomicValueOutput['output'], { case: undefined }>;

const responseField = { get: 1, set: 2, update: 3, delete: 4, watch: 5, events: 6 } as const;

function known<T extends { $unknown?: unknown[] }>(m: T): T {
  assert(!m.$unknown?.length, 'a response has no unknown fields');
  return m;
}

function num(value: bigint): number {
  const n = writableNumber(value);
  assert(n !== undefined, `a response number is at most 2^53 − 1: ${value}`);
  return n;
}

function valueBytes(v: Value): number {
  known(v);
  return bytesFieldSize(1, v.value) + varintFieldSize(2, num(v.index));
}

function optionalValueBytes(field: number, v: Value | undefined): number {
  return v === undefined ? 0 : lenFieldSize(field, valueBytes(v));
}

function responseBytes(output: Response): number {
  known(output.value);
  switch (output.case) {
    case 'get':
    case 'delete':
    case 'watch':
      return optionalValueBytes(1, output.value.value);
    case 'set':
      return varintFieldSize(1, num(output.value.index));
    case 'update':
      return (
        varintFieldSize(1, num(output.value.index)) + optionalValueBytes(2, output.value.prevValue)
      );
    case 'events': {
      const event = output.value.event;
      return event === undefined ? 0 : lenFieldSize(1, eventBytes(event));
    }
  }
}

function eventBytes(e: Event): number {
  known(e);
  switch (e.event.case) {
    case undefined:
      return 0;
    case 'created':
      return lenFieldSize(1, optionalValueBytes(1, known(e.event.value).value));
    case 'updated': {
      const { value, prevValue } = known(e.event.value);
      return lenFieldSize(2, optionalValueBytes(1, value) + optionalValueBytes(2, prevValue));
    }
    case 'deleted': {
      const { value, expired } = known(e.event.value);
      return lenFieldSize(3, optionalValueBytes(1, value) + varintFieldSize(2, expired ? 1 : 0));
    }
  }
}

/** The encoded Value (`current` of CONFLICT and ALREADY_EXISTS), under the same assertions. */
export function writeValueMessage(v: Value): Uint8Array {
  const w = new ProtoWriter(valueBytes(v));
  writeValueFields(w, v);
  return w.finish();
}

// The writers below follow the sizes above, which asserted every message and number.

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
