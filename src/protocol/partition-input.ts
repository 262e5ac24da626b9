// A PartitionInput inside a log entry or a partition call: a session's service command (every
// write) by hand, any other input (sessions opened, kept alive, closed; services created) by
// protobuf-es. common/proto-wire.ts says how the two are kept to the same bytes.

import { toBinary } from '@bufbuild/protobuf';
import {
  type ByteReader,
  bytesFieldSize,
  DecodeError,
  fieldTag,
  lenFieldSize,
  markOnce,
  noBytes,
  type ProtoWriter,
  varintFieldSize,
  WireType,
  writableNumber,
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

/** A session's service command: the input the hand codec writes. */
interface ServiceCommand {
  readonly sessionId: number;
  readonly serviceId: number;
  readonly sequenceNum: number;
  readonly payload: Uint8Array;
  readonly serviceBytes: number;
  readonly sessionBytes: number;
}

/** An input ready to embed: its encoded size, and the command or protobuf-es's bytes. */
export interface InputEncoding {
  readonly size: number;
  readonly command: ServiceCommand | undefined;
  readonly encoded: Uint8Array | undefined;
}

export function inputEncoding(input: PartitionInput): InputEncoding {
  const command = serviceCommandOf(input);
  if (command !== undefined) {
    return { size: lenFieldSize(4, command.sessionBytes), command, encoded: undefined };
  }
  const encoded = toBinary(PartitionInputSchema, input);
  return { size: encoded.length, command: undefined, encoded };
}

/** Writes the fields of the input (its tag and length are the embedding message's). */
export function writeInput(w: ProtoWriter, e: InputEncoding): void {
  const c = e.command;
  if (c === undefined) {
    w.raw(e.encoded as Uint8Array);
    return;
  }
  w.messageHeader(4, c.sessionBytes);
  w.varintField(1, c.sessionId);
  w.messageHeader(4, c.serviceBytes);
  w.varintField(1, c.serviceId);
  w.bytesField(2, c.payload);
  w.varintField(5, c.sequenceNum);
}

/** The fields of a session's service command, when the hand encoder writes it as protobuf-es would. */
function serviceCommandOf(input: PartitionInput): ServiceCommand | undefined {
  if (input.$unknown?.length || input.input.case !== 'sessionInput') return undefined;
  const session = input.input.value;
  if (session.$unknown?.length || session.input.case !== 'serviceInput') return undefined;
  const service = session.input.value;
  if (service.$unknown?.length) return undefined;
  const sessionId = writableNumber(session.sessionId);
  const serviceId = writableNumber(service.serviceId);
  const sequenceNum = writableNumber(session.sequenceNum);
  if (sessionId === undefined || serviceId === undefined || sequenceNum === undefined) {
    return undefined;
  }
  const payload = service.payload;
  const serviceBytes = varintFieldSize(1, serviceId) + bytesFieldSize(2, payload);
  const sessionBytes =
    varintFieldSize(1, sessionId) + lenFieldSize(4, serviceBytes) + varintFieldSize(5, sequenceNum);
  return { sessionId, serviceId, sequenceNum, payload, serviceBytes, sessionBytes };
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
