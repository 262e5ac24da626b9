// One PartitionCall of a request frame: the SDK writes it, the node reads it. Commands, queries
// and cancels go by hand; a call protobuf-es must handle (unknown fields, numbers beyond
// 2^53 − 1, non-ASCII names, anything malformed) goes through it (common/proto-wire.ts).

import { fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  asciiFieldSize,
  asciiLength,
  type ByteReader,
  bytesFieldSize,
  DecodeError,
  fieldTag,
  lenFieldSize,
  markOnce,
  noBytes,
  ProtoWriter,
  readAscii,
  readOr,
  varintFieldSize,
  varintMemberSize,
  WireType,
  writableNumber,
} from '../common/index.js';
import {
  type PrimitiveRef,
  type QueryInput,
  QueryInputSchema,
} from '../gen/multiraft/v1/output_pb.js';
import { type PartitionCall, PartitionCallSchema } from '../gen/multiraft/v1/partition_pb.js';
import {
  type InputEncoding,
  inputEncoding,
  readPartitionInput,
  writeInput,
} from './partition-input.js';

const uint32Max = 2 ** 32 - 1;

const varint1 = fieldTag(1, WireType.varint);
const len1 = fieldTag(1, WireType.len);
const varint2 = fieldTag(2, WireType.varint);
const len2 = fieldTag(2, WireType.len);
const len3 = fieldTag(3, WireType.len);
const len4 = fieldTag(4, WireType.len);
const len5 = fieldTag(5, WireType.len);
const varint6 = fieldTag(6, WireType.varint);

/** The encoded call, as `toBinary(PartitionCallSchema, call)` writes it. */
export function encodeCall(call: PartitionCall): Uint8Array {
  const callId = writableNumber(call.callId);
  if (call.$unknown?.length || callId === undefined) return toBinary(PartitionCallSchema, call);
  let kind: InputEncoding | QueryEncoding | undefined;
  let kindBytes = 0;
  switch (call.kind.case) {
    case 'command':
      kind = inputEncoding(call.kind.value);
      kindBytes = lenFieldSize(3, kind.size);
      break;
    case 'query':
      kind = queryEncoding(call.kind.value);
      kindBytes = lenFieldSize(4, kind.size);
      break;
    case 'cancel':
      if (call.kind.value.$unknown?.length) return toBinary(PartitionCallSchema, call);
      kindBytes = lenFieldSize(5, 0);
      break;
    case undefined:
      break;
  }
  const w = new ProtoWriter(
    varintFieldSize(1, callId) +
      varintFieldSize(2, call.partitionId) +
      kindBytes +
      varintFieldSize(6, call.forward ? 1 : 0),
    'transient',
  );
  w.varintField(1, callId);
  w.varintField(2, call.partitionId);
  switch (call.kind.case) {
    case 'command':
      w.messageHeader(3, (kind as InputEncoding).size);
      writeInput(w, kind as InputEncoding);
      break;
    case 'query':
      w.messageHeader(4, (kind as QueryEncoding).size);
      writeQuery(w, kind as QueryEncoding);
      break;
    case 'cancel':
      w.messageHeader(5, 0);
      break;
    case undefined:
      break;
  }
  w.boolField(6, call.forward);
  return w.finish();
}

/** A query ready to embed: by hand, or as protobuf-es's bytes. */
interface QueryEncoding {
  readonly size: number;
  readonly query: QueryInput;
  readonly sessionId: number;
  readonly serviceId: number | undefined;
  readonly primitive: PrimitiveBytes | undefined;
  readonly encoded: Uint8Array | undefined;
}

interface PrimitiveBytes {
  readonly ref: PrimitiveRef;
  readonly size: number;
}

function queryEncoding(query: QueryInput): QueryEncoding {
  const sessionId = writableNumber(query.sessionId);
  let serviceId: number | undefined;
  let primitive: PrimitiveBytes | undefined;
  let targetBytes = 0;
  let handWritable = !query.$unknown?.length && sessionId !== undefined;
  if (query.target.case === 'serviceId') {
    serviceId = writableNumber(query.target.value);
    handWritable &&= serviceId !== undefined;
    targetBytes = serviceId === undefined ? 0 : varintMemberSize(2, serviceId);
  } else if (query.target.case === 'primitive') {
    primitive = primitiveBytes(query.target.value);
    handWritable &&= primitive !== undefined;
    targetBytes = primitive === undefined ? 0 : lenFieldSize(3, primitive.size);
  }
  if (!handWritable) {
    const encoded = toBinary(QueryInputSchema, query);
    return { size: encoded.length, query, sessionId: 0, serviceId, primitive, encoded };
  }
  const size =
    varintFieldSize(1, sessionId as number) + targetBytes + bytesFieldSize(4, query.payload);
  return { size, query, sessionId: sessionId as number, serviceId, primitive, encoded: undefined };
}

function primitiveBytes(ref: PrimitiveRef): PrimitiveBytes | undefined {
  if (ref.$unknown?.length) return undefined;
  const service = asciiLength(ref.service);
  const namespace = asciiLength(ref.namespace);
  const name = asciiLength(ref.name);
  if (service === undefined || namespace === undefined || name === undefined) return undefined;
  const size = asciiFieldSize(1, service) + asciiFieldSize(2, namespace) + asciiFieldSize(3, name);
  return { ref, size };
}

function writeQuery(w: ProtoWriter, e: QueryEncoding): void {
  if (e.encoded !== undefined) {
    w.raw(e.encoded);
    return;
  }
  w.varintField(1, e.sessionId);
  if (e.serviceId !== undefined) w.varintMember(2, e.serviceId);
  if (e.primitive !== undefined) {
    const { ref, size } = e.primitive;
    w.messageHeader(3, size);
    w.asciiField(1, ref.service);
    w.asciiField(2, ref.namespace);
    w.asciiField(3, ref.name);
  }
  w.bytesField(4, e.query.payload);
}

/** Decodes a call as `fromBinary(PartitionCallSchema, bytes)` does, and throws where it throws. */
export function decodeCall(bytes: Uint8Array): PartitionCall {
  return readOr(bytes, readCall, () => fromBinary(PartitionCallSchema, bytes));
}

/** The fast path alone; DecodeError where it leaves the call to protobuf-es. */
export function readCall(r: ByteReader): PartitionCall {
  let seen = 0;
  const call: PartitionCall = {
    $typeName: 'multiraft.v1.PartitionCall',
    callId: 0n,
    partitionId: 0,
    kind: { case: undefined },
    forward: false,
  };
  while (r.remaining > 0) {
    const tag = r.varint();
    switch (tag) {
      case varint1:
        call.callId = BigInt(r.varint());
        break;
      case varint2: {
        const partition = r.varint();
        if (partition > uint32Max) throw new DecodeError('partition_id beyond uint32');
        call.partitionId = partition;
        break;
      }
      case len3:
        seen = markOnce(seen, 3);
        call.kind = { case: 'command', value: readPartitionInput(r.sub(r.varint())) };
        break;
      case len4:
        seen = markOnce(seen, 4);
        call.kind = { case: 'query', value: readQuery(r.sub(r.varint())) };
        break;
      case len5:
        if (r.varint() !== 0) throw new DecodeError('fields in a cancel');
        call.kind = { case: 'cancel', value: { $typeName: 'multiraft.v1.Cancel' } };
        break;
      case varint6:
        call.forward = r.bool();
        break;
      default:
        throw new DecodeError(`PartitionCall tag ${tag}`);
    }
  }
  return call;
}

function readQuery(r: ByteReader): QueryInput {
  let seen = 0;
  const query: QueryInput = {
    $typeName: 'multiraft.v1.QueryInput',
    sessionId: 0n,
    target: { case: undefined },
    payload: noBytes,
  };
  while (r.remaining > 0) {
    const tag = r.varint();
    switch (tag) {
      case varint1:
        query.sessionId = BigInt(r.varint());
        break;
      case varint2:
        query.target = { case: 'serviceId', value: BigInt(r.varint()) };
        break;
      case len3:
        seen = markOnce(seen, 3);
        query.target = { case: 'primitive', value: readPrimitive(r.sub(r.varint())) };
        break;
      case len4:
        query.payload = r.view(r.varint());
        break;
      default:
        throw new DecodeError(`QueryInput tag ${tag}`);
    }
  }
  return query;
}

function readPrimitive(r: ByteReader): PrimitiveRef {
  const ref: PrimitiveRef = {
    $typeName: 'multiraft.v1.PrimitiveRef',
    service: '',
    namespace: '',
    name: '',
  };
  while (r.remaining > 0) {
    const tag = r.varint();
    switch (tag) {
      case len1:
        ref.service = readAscii(r, r.varint());
        break;
      case len2:
        ref.namespace = readAscii(r, r.varint());
        break;
      case len3:
        ref.name = readAscii(r, r.varint());
        break;
      default:
        throw new DecodeError(`PrimitiveRef tag ${tag}`);
    }
  }
  return ref;
}
