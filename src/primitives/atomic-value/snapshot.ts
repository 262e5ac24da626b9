// The AtomicValue's replicated state as deterministic bytes: an encoded AtomicValueState with the
// value and its version, the absolute expiry (a Timestamp in whole ms) and the running Events
// streams sorted by (session, seq). Protobuf-es writes fields in number order and this message
// has no map, so equal states give equal bytes.

import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { assert, logIndex, safeNumber, sequenceNum, sessionId } from '../../common/index.js';
import type { StreamId } from '../../fsm/index.js';
import { AtomicValueStateSchema } from '../../gen/atomix/multiraft/atomic/value/v1/fsm_pb.js';
import { StreamIdSchema } from '../../gen/multiraft/v1/stream_pb.js';
import { type StoredValue, valueMessage } from './codec.js';
import { compareStreams } from './streams.js';
import { msFromTimestamp, timestampFromMs } from './ttl.js';

export interface AtomicValueSnapshot {
  readonly current: StoredValue | undefined;
  /** Sorted by (session, seq). */
  readonly streams: readonly StreamId[];
}

export function encodeSnapshot(state: AtomicValueSnapshot): Uint8Array {
  const { current, streams } = state;
  const message = create(AtomicValueStateSchema, {
    streams: streams.map((s) =>
      create(StreamIdSchema, { sessionId: BigInt(s.session), sequenceNum: BigInt(s.seq) }),
    ),
  });
  if (current !== undefined) {
    message.value = valueMessage(current);
    if (current.expireMs !== undefined) message.expire = timestampFromMs(current.expireMs);
  }
  return toBinary(AtomicValueStateSchema, message);
}

/**
 * Rebuilds the state from `encodeSnapshot` bytes. The fsm checksums its snapshots, so bytes that
 * do not decode here mean a bug: this asserts instead of answering an error.
 */
export function decodeSnapshot(bytes: Uint8Array): AtomicValueSnapshot {
  let message: ReturnType<typeof fromBinary<typeof AtomicValueStateSchema>>;
  try {
    message = fromBinary(AtomicValueStateSchema, bytes);
  } catch (cause) {
    assert(false, `AtomicValue snapshot does not decode: ${String(cause)}`);
  }
  const streams = message.streams.map((s) => {
    const session = safeNumber(s.sessionId);
    const seq = safeNumber(s.sequenceNum);
    assert(session !== undefined && seq !== undefined, 'snapshot stream ids are in range');
    return { session: sessionId(session), seq: sequenceNum(seq) };
  });
  streams.forEach((s, i) => {
    const before = streams[i - 1];
    assert(before === undefined || compareStreams(before, s) < 0, 'snapshot streams are sorted');
  });
  assert(message.value !== undefined || message.expire === undefined, 'expiry without a value');
  if (message.value === undefined) return { current: undefined, streams };
  const index = safeNumber(message.value.index);
  assert(index !== undefined && index >= 1, 'snapshot value version is in range');
  const current: StoredValue = {
    value: message.value.value.slice(),
    index: logIndex(index),
    expireMs: message.expire === undefined ? undefined : msFromTimestamp(message.expire),
  };
  return { current, streams };
}
