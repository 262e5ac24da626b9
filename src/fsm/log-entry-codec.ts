// The encoding of a log entry (multiraft.v1.LogEntry): the leader writes one per proposal and every
// replica reads one per applied entry. The common shapes (a session's service command, a tick) go
// by hand; every other input goes through protobuf-es (common/proto-wire.ts says why and how the
// two are kept to the same bytes).

import { fromBinary, toBinary } from '@bufbuild/protobuf';
import {
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
} from '../common/index.js';
import {
  type PartitionInput,
  PartitionInputSchema,
  type ServiceInput,
  type SessionInput,
} from '../gen/atomix/multiraft/v1/fsm_pb.js';
import { type LogEntry, LogEntrySchema } from '../gen/multiraft/v1/log_pb.js';

// Tags of the fields the fast path reads (field number and wire type together).
const varint1 = fieldTag(1, WireType.varint);
const len2 = fieldTag(2, WireType.len);
const tickTag = fieldTag(3, WireType.len);
const len4 = fieldTag(4, WireType.len);
const varint5 = fieldTag(5, WireType.varint);

/** A tick entry: only the leader's timestamp, so that timers fire without client traffic. */
export function encodeTickEntry(timestampMs: number): Uint8Array {
  const w = new ProtoWriter(varintFieldSize(1, timestampMs) + lenFieldSize(3, 0));
  w.varintField(1, timestampMs);
  w.messageHeader(3, 0);
  return w.finish();
}

/** An entry carrying a partition input, stamped with the leader's time. */
export function encodeInputEntry(timestampMs: number, input: PartitionInput): Uint8Array {
  const command = serviceCommandOf(input);
  if (command === undefined) {
    const inner = toBinary(PartitionInputSchema, input);
    const w = new ProtoWriter(varintFieldSize(1, timestampMs) + lenFieldSize(2, inner.length));
    w.varintField(1, timestampMs);
    w.bytesAlways(2, inner);
    return w.finish();
  }
  const { sessionId, serviceId, sequenceNum, payload } = command;
  const serviceBytes = varintFieldSize(1, serviceId) + bytesFieldSize(2, payload);
  const sessionBytes =
    varintFieldSize(1, sessionId) + lenFieldSize(4, serviceBytes) + varintFieldSize(5, sequenceNum);
  const inputBytes = lenFieldSize(4, sessionBytes);
  const w = new ProtoWriter(varintFieldSize(1, timestampMs) + lenFieldSize(2, inputBytes));
  w.varintField(1, timestampMs);
  w.messageHeader(2, inputBytes);
  w.messageHeader(4, sessionBytes);
  w.varintField(1, sessionId);
  w.messageHeader(4, serviceBytes);
  w.varintField(1, serviceId);
  w.bytesField(2, payload);
  w.varintField(5, sequenceNum);
  return w.finish();
}

interface ServiceCommand {
  readonly sessionId: number;
  readonly serviceId: number;
  readonly sequenceNum: number;
  readonly payload: Uint8Array;
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
  return { sessionId, serviceId, sequenceNum, payload: service.payload };
}

/** Decodes an entry as `fromBinary(LogEntrySchema, data)` does, and throws where it throws. */
export function decodeLogEntry(data: Uint8Array): LogEntry {
  try {
    return readLogEntry(data);
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    return fromBinary(LogEntrySchema, data);
  }
}

/** The fast path alone: a service command or a tick; DecodeError where it leaves the entry. */
export function readLogEntry(data: Uint8Array): LogEntry {
  const r = new ByteReader(data);
  let seen = 0;
  let timestampMs = 0n;
  let entry: LogEntry['entry'] = { case: undefined };
  while (r.remaining > 0) {
    const tag = r.varint();
    switch (tag) {
      case varint1:
        timestampMs = BigInt(r.varint());
        break;
      case len2:
        seen = markOnce(seen, 2);
        entry = { case: 'input', value: readPartitionInput(r.sub(r.varint())) };
        break;
      case tickTag:
        if (r.varint() !== 0) throw new DecodeError('a tick with fields');
        entry = { case: 'tick', value: { $typeName: 'multiraft.v1.Tick' } };
        break;
      default:
        throw new DecodeError(`LogEntry tag ${tag}`);
    }
  }
  return { $typeName: 'multiraft.v1.LogEntry', timestampMs, entry };
}

function readPartitionInput(r: ByteReader): PartitionInput {
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
        payload = r.lengthPrefixed();
        break;
      default:
        throw new DecodeError(`ServiceInput tag ${tag}`);
    }
  }
  return { $typeName: 'atomix.multiraft.v1.ServiceInput', serviceId, payload };
}
