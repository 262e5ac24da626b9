// One PartitionReply of a response frame: the node writes it, the SDK reads it. Outputs, results
// and ends go by hand; a reply protobuf-es must handle (an error, a non-ASCII message, unknown
// fields, numbers beyond 2^53 − 1, anything malformed) goes through it (common/proto-wire.ts).

import { fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  asciiFieldSize,
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
  NotByHand,
  noBytes,
  noFields,
  type ProtoWriter,
  readAscii,
  readInt32,
  readOneof,
  readOr,
  readUint64Only,
  varintFieldSize,
  WireType,
} from '../common/index.js';
import type { PartitionOutput, SessionOutput } from '../gen/atomix/multiraft/v1/fsm_pb.js';
import type { CommandOutput, QueryOutput } from '../gen/multiraft/v1/output_pb.js';
import { type PartitionReply, PartitionReplySchema } from '../gen/multiraft/v1/partition_pb.js';

const varint1 = fieldTag(1, WireType.varint);
const len1 = fieldTag(1, WireType.len);
const varint2 = fieldTag(2, WireType.varint);
const len2 = fieldTag(2, WireType.len);
const varint3 = fieldTag(3, WireType.varint);
const len3 = fieldTag(3, WireType.len);
const len4 = fieldTag(4, WireType.len);
const len5 = fieldTag(5, WireType.len);
const len6 = fieldTag(6, WireType.len);
const varint7 = fieldTag(7, WireType.varint);

/** The encoded reply, as `toBinary(PartitionReplySchema, reply)` writes it. */
export function encodeReply(reply: PartitionReply): Uint8Array {
  return encodeByHand(reply, replyBytes, writeReply, replyViaProtobufEs, 'transient');
}

const replyViaProtobufEs = (reply: PartitionReply) => toBinary(PartitionReplySchema, reply);

// Sizes: each checks what it sizes and throws NotByHand where protobuf-es must write it.

function replyBytes(reply: PartitionReply): number {
  const kind = handMessage(reply).kind;
  let kindBytes = 0;
  switch (kind.case) {
    case 'output':
      kindBytes = lenFieldSize(2, outputBytes(kind.value));
      break;
    case 'result':
      kindBytes = lenFieldSize(3, resultBytes(kind.value));
      break;
    case 'end':
      handMessage(kind.value);
      kindBytes = lenFieldSize(4, 0);
      break;
    default:
      // Errors carry free text; they are rare and left to protobuf-es, as an empty reply is.
      throw new NotByHand();
  }
  return varintFieldSize(1, handNumber(reply.callId)) + kindBytes;
}

/**
 * The fields CommandOutput and QueryOutput share (index, sequence number, status, message;
 * current, done) around `bodyBytes`, their field 5.
 */
function outcomeBytes(o: CommandOutput | QueryOutput, bodyBytes: number): number {
  handMessage(o);
  return (
    varintFieldSize(1, handNumber(o.index)) +
    varintFieldSize(2, handNumber(o.sequenceNum)) +
    varintFieldSize(3, handInt(o.status)) +
    asciiFieldSize(4, o.message) +
    bodyBytes +
    bytesFieldSize(6, o.current) +
    varintFieldSize(7, o.done ? 1 : 0)
  );
}

function outputBytes(o: CommandOutput): number {
  const body = o.output === undefined ? 0 : lenFieldSize(5, partitionOutputBytes(o.output));
  return outcomeBytes(o, body);
}

function resultBytes(q: QueryOutput): number {
  return outcomeBytes(q, bytesFieldSize(5, q.payload));
}

function partitionOutputBytes(p: PartitionOutput): number {
  const out = handMessage(p).output;
  switch (out.case) {
    case undefined:
      return 0;
    case 'openSession':
      return lenFieldSize(1, varintFieldSize(1, handNumber(handMessage(out.value).sessionId)));
    case 'keepAlive':
      handMessage(out.value);
      return lenFieldSize(2, 0);
    case 'closeSession':
      handMessage(out.value);
      return lenFieldSize(3, 0);
    case 'sessionOutput':
      return lenFieldSize(4, sessionOutputBytes(out.value));
  }
}

function sessionOutputBytes(s: SessionOutput): number {
  const out = handMessage(s).output;
  switch (out.case) {
    case undefined:
      return 0;
    case 'createService':
      return lenFieldSize(1, varintFieldSize(1, handNumber(handMessage(out.value).serviceId)));
    case 'closeService':
      handMessage(out.value);
      return lenFieldSize(2, 0);
    case 'serviceOutput':
      return lenFieldSize(3, bytesFieldSize(1, handMessage(out.value).payload));
  }
}

// Writers: they follow the sizes above, which checked every message, number and string.

function writeReply(w: ProtoWriter, reply: PartitionReply): void {
  w.varintField(1, Number(reply.callId));
  const kind = reply.kind;
  switch (kind.case) {
    case 'output': {
      const o = kind.value;
      w.messageHeader(2, outputBytes(o));
      writeOutcomeHead(w, o);
      if (o.output !== undefined) {
        w.messageHeader(5, partitionOutputBytes(o.output));
        writePartitionOutput(w, o.output);
      }
      writeOutcomeTail(w, o);
      break;
    }
    case 'result': {
      const q = kind.value;
      w.messageHeader(3, resultBytes(q));
      writeOutcomeHead(w, q);
      w.bytesField(5, q.payload);
      writeOutcomeTail(w, q);
      break;
    }
    case 'end':
      w.messageHeader(4, 0);
      break;
  }
}

/** Fields 1–4 of CommandOutput and QueryOutput. */
function writeOutcomeHead(w: ProtoWriter, o: CommandOutput | QueryOutput): void {
  w.varintField(1, Number(o.index));
  w.varintField(2, Number(o.sequenceNum));
  w.varintField(3, o.status);
  w.asciiField(4, o.message);
}

/** Fields 6 and 7 of CommandOutput and QueryOutput. */
function writeOutcomeTail(w: ProtoWriter, o: CommandOutput | QueryOutput): void {
  w.bytesField(6, o.current);
  w.boolField(7, o.done);
}

function writePartitionOutput(w: ProtoWriter, p: PartitionOutput): void {
  const out = p.output;
  switch (out.case) {
    case undefined:
      return;
    case 'openSession': {
      const sessionId = Number(out.value.sessionId);
      w.messageHeader(1, varintFieldSize(1, sessionId));
      w.varintField(1, sessionId);
      return;
    }
    case 'keepAlive':
      w.messageHeader(2, 0);
      return;
    case 'closeSession':
      w.messageHeader(3, 0);
      return;
    case 'sessionOutput':
      w.messageHeader(4, sessionOutputBytes(out.value));
      writeSessionOutput(w, out.value);
  }
}

function writeSessionOutput(w: ProtoWriter, s: SessionOutput): void {
  const out = s.output;
  switch (out.case) {
    case undefined:
      return;
    case 'createService': {
      const serviceId = Number(out.value.serviceId);
      w.messageHeader(1, varintFieldSize(1, serviceId));
      w.varintField(1, serviceId);
      return;
    }
    case 'closeService':
      w.messageHeader(2, 0);
      return;
    case 'serviceOutput':
      w.messageHeader(3, bytesFieldSize(1, out.value.payload));
      w.bytesField(1, out.value.payload);
  }
}

/** Decodes a reply as `fromBinary(PartitionReplySchema, bytes)` does, and throws where it throws. */
export function decodeReply(bytes: Uint8Array): PartitionReply {
  return readOr(bytes, readReply, () => fromBinary(PartitionReplySchema, bytes));
}

/** The fast path alone; DecodeError where it leaves the reply to protobuf-es. */
export function readReply(r: ByteReader): PartitionReply {
  let seen = 0;
  const reply: PartitionReply = {
    $typeName: 'multiraft.v1.PartitionReply',
    callId: 0n,
    kind: { case: undefined },
  };
  while (r.remaining > 0) {
    const tag = r.varint();
    switch (tag) {
      case varint1:
        reply.callId = BigInt(r.varint());
        break;
      case len2:
        seen = markOnce(seen, 2);
        reply.kind = { case: 'output', value: readOutput(r.sub(r.varint())) };
        break;
      case len3:
        seen = markOnce(seen, 3);
        reply.kind = { case: 'result', value: readResult(r.sub(r.varint())) };
        break;
      case len4:
        noFields(r.sub(r.varint()));
        reply.kind = { case: 'end', value: { $typeName: 'multiraft.v1.End' } };
        break;
      default:
        throw new DecodeError(`PartitionReply tag ${tag}`);
    }
  }
  return reply;
}

function readOutput(r: ByteReader): CommandOutput {
  const o: CommandOutput = {
    $typeName: 'multiraft.v1.CommandOutput',
    index: 0n,
    sequenceNum: 0n,
    status: 0,
    message: '',
    current: noBytes,
    done: false,
  };
  return readOutcome(r, o, (body) => {
    // Given twice, protobuf merges the two: left to protobuf-es.
    if (o.output !== undefined) throw new DecodeError('output twice');
    o.output = readPartitionOutput(body.sub(body.varint()));
  });
}

function readResult(r: ByteReader): QueryOutput {
  const q: QueryOutput = {
    $typeName: 'multiraft.v1.QueryOutput',
    index: 0n,
    sequenceNum: 0n,
    status: 0,
    message: '',
    payload: noBytes,
    current: noBytes,
    done: false,
  };
  return readOutcome(r, q, (body) => {
    q.payload = body.view(body.varint());
  });
}

/**
 * The fields CommandOutput and QueryOutput share into `o`; their field 5 (the output, the
 * payload) by `readBody`, which reads it from `r`.
 */
function readOutcome<T extends CommandOutput | QueryOutput>(
  r: ByteReader,
  o: T,
  readBody: (r: ByteReader) => void,
): T {
  while (r.remaining > 0) {
    const tag = r.varint();
    switch (tag) {
      case varint1:
        o.index = BigInt(r.varint());
        break;
      case varint2:
        o.sequenceNum = BigInt(r.varint());
        break;
      case varint3:
        o.status = readInt32(r);
        break;
      case len4:
        o.message = readAscii(r, r.varint());
        break;
      case len5:
        readBody(r);
        break;
      case len6:
        o.current = r.view(r.varint());
        break;
      case varint7:
        o.done = r.bool();
        break;
      default:
        throw new DecodeError(`${o.$typeName} tag ${tag}`);
    }
  }
  return o;
}

function readPartitionOutput(r: ByteReader): PartitionOutput {
  const output = readOneof(r, 4, readPartitionOutputMember) ?? { case: undefined };
  return { $typeName: 'atomix.multiraft.v1.PartitionOutput', output };
}

function readPartitionOutputMember(field: number, body: ByteReader): PartitionOutput['output'] {
  switch (field) {
    case 1: {
      const sessionId = readUint64Only(body);
      return {
        case: 'openSession',
        value: { $typeName: 'atomix.multiraft.v1.OpenSessionOutput', sessionId },
      };
    }
    case 2:
      noFields(body);
      return { case: 'keepAlive', value: { $typeName: 'atomix.multiraft.v1.KeepAliveOutput' } };
    case 3:
      noFields(body);
      return {
        case: 'closeSession',
        value: { $typeName: 'atomix.multiraft.v1.CloseSessionOutput' },
      };
    default:
      return { case: 'sessionOutput', value: readSessionOutput(body) };
  }
}

function readSessionOutput(r: ByteReader): SessionOutput {
  const output = readOneof(r, 3, readSessionOutputMember) ?? { case: undefined };
  return { $typeName: 'atomix.multiraft.v1.SessionOutput', output };
}

function readSessionOutputMember(field: number, body: ByteReader): SessionOutput['output'] {
  switch (field) {
    case 1: {
      const serviceId = readUint64Only(body);
      return {
        case: 'createService',
        value: { $typeName: 'atomix.multiraft.v1.CreateServiceOutput', serviceId },
      };
    }
    case 2:
      noFields(body);
      return {
        case: 'closeService',
        value: { $typeName: 'atomix.multiraft.v1.CloseServiceOutput' },
      };
    default: {
      let payload: Uint8Array = noBytes;
      while (body.remaining > 0) {
        if (body.varint() !== len1) throw new DecodeError('ServiceOutput field');
        payload = body.view(body.varint());
      }
      return {
        case: 'serviceOutput',
        value: { $typeName: 'atomix.multiraft.v1.ServiceOutput', payload },
      };
    }
  }
}
