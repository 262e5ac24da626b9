// Deterministic snapshot bytes (docs/fsm.md):
//   bytes 0..3   magic "MRPS" (multiraft partition snapshot)
//   bytes 4..7   format version, uint32 big-endian (1)
//   bytes 8..n-4 PartitionSnapshot protobuf, every repeated field sorted as snapshot.proto says
//   last 4       CRC32C of everything before it, uint32 big-endian
// Only replicated state enters it; query sinks and the outputs being routed never do.

import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { crc32c } from '../common/index.js';
import {
  CommandRecordSchema,
  type PartitionSnapshot,
  PartitionSnapshotSchema,
  ServiceRecordSchema,
  SessionRecordSchema,
  SessionState,
  TimerRecordSchema,
} from '../gen/multiraft/v1/snapshot_pb.js';
import { InvalidSnapshotError } from './errors.js';
import type { PartitionState } from './partition-state.js';

export const snapshotMagic = Uint8Array.of(0x4d, 0x52, 0x50, 0x53);
export const snapshotFormatVersion = 1;
const headerBytes = 8;
const trailerBytes = 4;

export function encodeSnapshot(state: PartitionState): Uint8Array {
  const body = toBinary(PartitionSnapshotSchema, snapshotMessage(state));
  const bytes = new Uint8Array(headerBytes + body.length + trailerBytes);
  const view = new DataView(bytes.buffer);
  bytes.set(snapshotMagic, 0);
  view.setUint32(4, snapshotFormatVersion);
  bytes.set(body, headerBytes);
  view.setUint32(bytes.length - trailerBytes, crc32c(bytes.subarray(0, bytes.length - 4)));
  return bytes;
}

function snapshotMessage(state: PartitionState): PartitionSnapshot {
  const sessions = [...state.sessions.values()].sort((a, b) => a.id - b.id);
  return create(PartitionSnapshotSchema, {
    index: BigInt(state.index),
    term: BigInt(state.term),
    timeMs: BigInt(state.timeMs),
    timestampedTerm: BigInt(state.timestampedTerm),
    nextTimerSeq: BigInt(state.timers.nextSeq),
    sessions: sessions.map((s) =>
      create(SessionRecordSchema, {
        sessionId: BigInt(s.id),
        timeoutMs: BigInt(s.timeoutMs),
        lastSeenMs: BigInt(s.lastSeenMs),
        state: SessionState.OPEN,
        retiredWatermark: BigInt(s.retired.watermark),
        retired: s.retired.toList().map(BigInt),
        commands: s.sortedRecords().map((r) =>
          create(CommandRecordSchema, {
            sequenceNum: BigInt(r.seq),
            phase: r.phase,
            input: r.input,
            outputs: r.outputs,
            lastOutputSeq: BigInt(r.lastOutputSeq),
          }),
        ),
      }),
    ),
    services: state.services.sorted().map((e) =>
      create(ServiceRecordSchema, {
        serviceId: BigInt(e.id),
        service: e.type.service,
        namespace: e.namespace,
        name: e.name,
        sessions: [...e.sessions].sort((a, b) => a - b).map(BigInt),
        state: e.instance.snapshot(),
      }),
    ),
    timers: state.timers.list().map((t) =>
      create(TimerRecordSchema, {
        deadlineMs: BigInt(t.deadlineMs),
        seq: BigInt(t.seq),
        kind: t.kind,
        ownerId: BigInt(t.owner),
        tag: BigInt(t.tag),
      }),
    ),
  });
}

/** Checks the frame and decodes the body; throws InvalidSnapshotError. */
export function decodeSnapshotFrame(bytes: Uint8Array): PartitionSnapshot {
  if (bytes.length < headerBytes + trailerBytes)
    throw new InvalidSnapshotError('snapshot too short');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < snapshotMagic.length; i++) {
    if (bytes[i] !== snapshotMagic[i]) throw new InvalidSnapshotError('not a partition snapshot');
  }
  const version = view.getUint32(4);
  if (version !== snapshotFormatVersion) {
    throw new InvalidSnapshotError(`unsupported snapshot format version ${version}`);
  }
  const end = bytes.length - trailerBytes;
  if (view.getUint32(end) !== crc32c(bytes.subarray(0, end))) {
    throw new InvalidSnapshotError('snapshot checksum mismatch');
  }
  try {
    return fromBinary(PartitionSnapshotSchema, bytes.subarray(headerBytes, end));
  } catch (cause) {
    throw new InvalidSnapshotError('malformed PartitionSnapshot', { cause });
  }
}
