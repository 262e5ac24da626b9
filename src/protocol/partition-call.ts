// One PartitionCall of a request frame: the SDK writes it, the node reads it. Commands, queries
// and cancels go by hand; a call protobuf-es must handle (unknown fields, numbers beyond
// 2^53 − 1, non-ASCII names, anything malformed) goes through it (common/proto-wire.ts).

import { fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  asciiFieldSize,
  type ByteReader,
  bytesFieldSize,
  DecodeError,
  type Embedded,
  embed,
  encodeByHand,
  fieldTag,
  handMessage,
  handNumber,
  lenFieldSize,
  markOnce,
  noBytes,
  noFields,
  type ProtoWriter,
  readAscii,
  readOr,
  varintFieldSize,
  varintMemberSize,
  WireType,
} from '../common/index.js';
import {
  type PrimitiveRef,
  type QueryInput,
  QueryInputSchema,
} from '../gen/multiraft/v1/output_pb.js';
import {
  type Cancel,
  CancelSchema,
  type PartitionCall,
  PartitionCallSchema,
} from '../gen/multiraft/v1/partition_pb.js';
import { inputEmbedding, readPartitionInput } from './partition-input.js';

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
  const kind = kindEmbedding(call.kind);
  return encodeByHand(
    call,
    (c) => {
      handMessage(c);
      const kindBytes = kind === undefined ? 0 : lenFieldSize(kind.field, kind.body.size);
      return (
        varintFieldSize(1, handNumber(c.callId)) +
        varintFieldSize(2, c.partitionId) +
        kindBytes +
        varintFieldSize(6, c.forward ? 1 : 0)
      );
    },
    (w, c) => {
      w.varintField(1, Number(c.callId));
      w.varintField(2, c.partitionId);
      kind?.body.writeAs(w, kind.field);
      w.boolField(6, c.forward);
    },
    callViaProtobufEs,
    'transient',
  );
}

const callViaProtobufEs = (call: PartitionCall) => toBinary(PartitionCallSchema, call);
const queryViaProtobufEs = (query: QueryInput) => toBinary(QueryInputSchema, query);
const cancelViaProtobufEs = (cancel: Cancel) => toBinary(CancelSchema, cancel);

/** The call's command, query or cancel, ready to embed as its field. */
function kindEmbedding(
  kind: PartitionCall['kind'],
): { readonly field: number; readonly body: Embedded } | undefined {
  switch (kind.case) {
    case 'command':
      return { field: 3, body: inputEmbedding(kind.value) };
    case 'query':
      return { field: 4, body: embed(kind.value, queryBytes, writeQuery, queryViaProtobufEs) };
    case 'cancel':
      return { field: 5, body: embed(kind.value, cancelBytes, writeNoFields, cancelViaProtobufEs) };
    case undefined:
      return undefined;
  }
}

/** A Cancel has no fields of its own. */
function cancelBytes(cancel: Cancel): number {
  handMessage(cancel);
  return 0;
}

function writeNoFields(): void {}

function queryBytes(query: QueryInput): number {
  const target = handMessage(query).target;
  let targetBytes = 0;
  if (target.case === 'serviceId') targetBytes = varintMemberSize(2, handNumber(target.value));
  else if (target.case === 'primitive') targetBytes = lenFieldSize(3, primitiveBytes(target.value));
  return (
    varintFieldSize(1, handNumber(query.sessionId)) + targetBytes + bytesFieldSize(4, query.payload)
  );
}

function primitiveBytes(ref: PrimitiveRef): number {
  handMessage(ref);
  return (
    asciiFieldSize(1, ref.service) + asciiFieldSize(2, ref.namespace) + asciiFieldSize(3, ref.name)
  );
}

function writeQuery(w: ProtoWriter, query: QueryInput): void {
  w.varintField(1, Number(query.sessionId));
  const target = query.target;
  if (target.case === 'serviceId') w.varintMember(2, Number(target.value));
  else if (target.case === 'primitive') {
    const ref = target.value;
    w.messageHeader(3, primitiveBytes(ref));
    w.asciiField(1, ref.service);
    w.asciiField(2, ref.namespace);
    w.asciiField(3, ref.name);
  }
  w.bytesField(4, query.payload);
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
        noFields(r.sub(r.varint()));
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
