// Errors the host answers callers with. Each says whether the call certainly did not happen
// (`safeToRetry`), like the replica's and Raft's own errors, which pass through unchanged.

import type { PartitionId } from '../common/index.js';

export abstract class HostError extends Error {
  abstract readonly code: string;
  abstract readonly safeToRetry: boolean;
}

/** No partition with this id exists in the cluster: a caller's mistake, retrying cannot help. */
export class UnknownPartitionError extends HostError {
  override readonly name = 'UnknownPartitionError';
  readonly code = 'UNKNOWN_PARTITION';
  readonly safeToRetry = false;
  constructor(readonly partition: number) {
    super(`partition ${partition} does not exist`);
  }
}

/** The node is shutting down or has stopped after a fatal storage error: nothing happened. */
export class HostStoppedError extends HostError {
  override readonly name = 'HostStoppedError';
  readonly code = 'UNAVAILABLE';
  readonly safeToRetry = true;
  constructor(why: string) {
    super(`the node is not serving: ${why}`);
  }
}

/** The write-ahead log has more queued than its limit: back-pressure, nothing happened. */
export class StorageBusyError extends HostError {
  override readonly name = 'StorageBusyError';
  readonly code = 'UNAVAILABLE';
  readonly safeToRetry = true;
  constructor(
    readonly partition: PartitionId,
    queuedBytesMax: number,
  ) {
    super(`the write-ahead log holds more than ${queuedBytesMax} queued bytes`);
  }
}
