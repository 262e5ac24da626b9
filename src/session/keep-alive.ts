// Turns a session's keep-alive contents into the KeepAliveInput the state machine applies: L, the
// pending filter F (the fsm's documented format: exact list or Bloom filter, never a false
// negative) and the stream positions A.

import { create } from '@bufbuild/protobuf';
import { encodePendingFilter } from '../fsm/index.js';
import { type KeepAliveInput, KeepAliveInputSchema } from '../gen/atomix/multiraft/v1/fsm_pb.js';
import type { KeepAliveContents } from './client-session.js';

export function keepAliveInput(contents: KeepAliveContents): KeepAliveInput {
  const positions: Record<string, bigint> = {};
  for (const [seq, outputSeq] of contents.streamPositions)
    positions[String(seq)] = BigInt(outputSeq);
  return create(KeepAliveInputSchema, {
    sessionId: BigInt(contents.sessionId),
    lastCommandSequenceNum: BigInt(contents.lastCommandSequenceNum),
    pendingCommandsFilter: encodePendingFilter(contents.pending),
    outputStreamSequenceNums: positions,
  });
}
