// The one place that turns an error handed to a caller's `fail()` into what the partition
// protocol sends back (a CallError): its code, the leader hint of NOT_LEADER, and whether the call
// certainly did not happen. Also the errors the protocol adapter raises itself. Pure: the
// simulator can use it too.

import type { NodeId } from '../common/index.js';
import { NotLeaderError } from '../raft/index.js';
import { ReplicaError } from '../replica/index.js';

export interface CallErrorFields {
  readonly code: string;
  readonly message: string;
  /** The leader a NOT_LEADER answer points to; 0 for none. */
  readonly leaderHint: NodeId | 0;
  /** The call certainly did not happen. */
  readonly safeToRetry: boolean;
}

/** Normalises what a caller was failed with. Unknown errors: INTERNAL, may have happened. */
export function callErrorOf(error: Error): CallErrorFields {
  const code = (error as { code?: unknown }).code;
  return {
    code: typeof code === 'string' && code !== '' ? code : 'INTERNAL',
    message: error.message,
    leaderHint: error instanceof NotLeaderError ? error.leaderHint : 0,
    safeToRetry:
      error instanceof NotLeaderError ||
      (error instanceof ReplicaError && error.safeToRetry) ||
      (error as { safeToRetry?: unknown }).safeToRetry === true,
  };
}

/** An error of the partition protocol itself: the call never reached a replica. */
export class PartitionCallError extends Error {
  override readonly name = 'PartitionCallError';
  constructor(
    readonly code: 'INVALID' | 'UNKNOWN_PARTITION' | 'RESOURCE_EXHAUSTED',
    message: string,
    /** Rejected before reaching a replica, so the call certainly did not happen. */
    readonly safeToRetry = true,
  ) {
    super(message);
  }
}

/** For backends: this node hosts no replica of `partition` (and knows of none). */
export const unknownPartition = (partition: number): PartitionCallError =>
  new PartitionCallError('UNKNOWN_PARTITION', `no replica of partition ${partition} on this node`);
