// The encoding of a log entry (multiraft.v1.LogEntry): the leader writes one per proposal and every
// replica reads one per applied entry. The common shapes (a session's service command, a tick) go
// by hand; every other input goes through protobuf-es (common/proto-wire.ts says why and how the
// two are kept to the same bytes).

import { fromBinary } from '@bufbuild/protobuf';
import {
  type ByteReader,
  DecodeError,
  fieldTag,
  lenFieldSize,
  markOnce,
  noFields,
  ProtoWriter,
  readOr,
  varintFieldSize,
  WireType,
} from '../common/index.js';
import type { PartitionInput } from '../gen/atomix/multiraft/v1/fsm_pb.js';
import { type LogEntry, LogEntrySchema } from '../gen/multiraft/v1/log_pb.js';
import { inputEmbedding, readPartitionInput } from '../protocol/index.js';

// Tags of the fields the fast path reads (field number and wire type together).
const varint1 = fieldTag(1, WireType.varint);
const len2 = fieldTag(2, WireType.len);
const tickTag = fieldTag(3, WireType.len);

/** A tick entry: only the leader's timestamp, so that timers fire without client traffic. */
export function encodeTickEntry(timestampMs: number): Uint8Array {
  const w = new ProtoWriter(varintFieldSize(1, timestampMs) + lenFieldSize(3, 0));
  w.varintField(1, timestampMs);
  w.messageHeader(3, 0);
  return w.finish();
}

/** An entry carrying a partition input, stamped with the leader's time. */
export function encodeInputEntry(timestampMs: number, input: PartitionInput): Uint8Array {
  const embedded = inputEmbedding(input);
  const w = new ProtoWriter(varintFieldSize(1, timestampMs) + lenFieldSize(2, embedded.size));
  w.varintField(1, timestampMs);
  embedded.writeAs(w, 2);
  return w.finish();
}

/** Decodes an entry as `fromBinary(LogEntrySchema, data)` does, and throws where it throws. */
export function decodeLogEntry(data: Uint8Array): LogEntry {
  return readOr(data, readLogEntry, () => fromBinary(LogEntrySchema, data));
}

/** The fast path alone: a service command or a tick; DecodeError where it leaves the entry. */
export function readLogEntry(r: ByteReader): LogEntry {
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
        noFields(r.sub(r.varint()));
        entry = { case: 'tick', value: { $typeName: 'multiraft.v1.Tick' } };
        break;
      default:
        throw new DecodeError(`LogEntry tag ${tag}`);
    }
  }
  return { $typeName: 'multiraft.v1.LogEntry', timestampMs, entry };
}
