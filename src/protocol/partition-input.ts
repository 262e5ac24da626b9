// A PartitionInput inside a log entry or a partition call: a session's service command (every
// write) by hand, any other input (sessions opened, kept alive, closed; services created) by
// protobuf-es. common/proto-wire.ts says how the two are kept to the same bytes.

import { toBinary } from '@bufbuild/protobuf';
import {
  type ByteReader,
  bytesFieldSize,
  DecodeError,
  type Embedded,
  embed,
  fieldTag,
  handMessage,
  handNumber,
  lenFieldSize,
  markOnce,
  NotByHand,
  noBytes,
  type ProtoWriter,
  varintFieldSize,
  WireType,
} from '../common/index.js';
import {
  type PartitionInput,
  PartitionInputSchema,
  type ServiceInput,
  type SessionInput,
} from '../gen/atomix/multiraft/v1/fsm_pb.js';

const varint1 = fieldTag(1, WireType.varint);
const len2 = fieldTag(2, WireType.len);
const len4 = fieldTag(4, WireType.len);
const varint5 = fieldTag(5, WireType.varint);

/** An input ready to embed in a log entry or a call. */
export function inputEmbedding(input: PartitionInput): Embedded {
  return embed(input, commandBytes, writeCommand, viaProtobufEs);
}

const viaProtobufEs = (input: PartitionInput) => toBinary(PartitionInputSchema, input);

/** The session and service inputs of a session's service command; NotByHand for other inputs. */
function serviceCommand(input: PartitionInput): { session: SessionInput; service: ServiceInput } {
  const body = handMessage(input).input;
  if (body.case !== 'sessionInput') throw new NotByHand();
  const session = handMessage(body.value);
  if (session.input.case !== 'serviceInput') throw new NotByHand();
  return { session, service: handMessage(session.input.value) };
}

function serviceBytes(service: ServiceInput): number {
  return varintFieldSize(1, handNumber(service.serviceId)) + bytesFieldSize(2, service.payload);
}

function sessionBytes(session: SessionInput, service: ServiceInput): number {
  return (
    varintFieldSize(1, handNumber(session.sessionId)) +
    lenFieldSize(4, serviceBytes(service)) +
    varintFieldSize(5, handNumber(session.sequenceNum))
  );
}

function commandBytes(input: PartitionInput): number {
  const { session, service } = serviceCommand(input);
  return lenFieldSize(4, sessionBytes(session, service));
}

function writeCommand(w: ProtoWriter, input: PartitionInput): void {
  const { session, service } = serviceCommand(input);
  w.messageHeader(4, sessionBytes(session, service));
  w.varintField(1, Number(session.sessionId));
  w.messageHeader(4, serviceBytes(service));
  w.varintField(1, Number(service.serviceId));
  w.bytesField(2, service.payload);
  w.varintField(5, Number(session.sequenceNum));
}

/** Reads a service command of a session; DecodeError for any other input. */
export function readPartitionInput(r: ByteReader): PartitionInput {
  if (r.varint() !== len4) throw new DecodeError('not a session input');
  const session = readSessionInput(r.sub(r.varint()));
  if (r.remaining > 0) throw new DecodeError('more than a session input');
  return {
    $typeName: 'atomix.multiraft.v1.PartitionInput',
    input: { case: 'sessionInput', value: session },
  };
}

function readSessionInput(r: ByteReader): SessionInput {
  let seen = 0;
  let sessionId = 0n;
  let sequenceNum = 0n;
  let input: SessionInput['input'] = { case: undefined };
  while (r.remaining > 0) {
    const tag = r.varint();
    switch (tag) {
      case varint1:
        sessionId = BigInt(r.varint());
        break;
      case len4:
        seen = markOnce(seen, 4);
        input = { case: 'serviceInput', value: readServiceInput(r.sub(r.varint())) };
        break;
      case varint5:
        sequenceNum = BigInt(r.varint());
        break;
      default:
        throw new DecodeError(`SessionInput tag ${tag}`);
    }
  }
  return { $typeName: 'atomix.multiraft.v1.SessionInput', sessionId, input, sequenceNum };
}

function readServiceInput(r: ByteReader): ServiceInput {
  let serviceId = 0n;
  let payload: Uint8Array = noBytes;
  while (r.remaining > 0) {
    const tag = r.varint();
    switch (tag) {
      case varint1:
        serviceId = BigInt(r.varint());
        break;
      case len2:
        payload = r.view(r.varint());
        break;
      default:
        throw new DecodeError(`ServiceInput tag ${tag}`);
    }
  }
  return { $typeName: 'atomix.multiraft.v1.ServiceInput', serviceId, payload };
}
