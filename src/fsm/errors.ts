// The fsm's typed errors. `apply` and `query` never throw: their failures are outputs carrying a
// Status (NOT_FOUND, ALREADY_EXISTS, CONFLICT, INVALID, FORBIDDEN, STALE, SESSION_EXPIRED,
// RESOURCE_EXHAUSTED, UNAVAILABLE, INTERNAL, and CANCELED for a stream ended by the fsm).
// Restoring a snapshot is the one operation that throws, and only this class.

import { Status } from '../gen/multiraft/v1/output_pb.js';

export { Status };

/** The statuses an fsm error output can carry. */
export type ErrorStatus = Exclude<Status, Status.OK>;

/** The name of a status as DESIGN §3 writes it (`SESSION_EXPIRED`). */
export function statusName(status: Status): string {
  return Status[status] ?? `STATUS_${status}`;
}

/** A snapshot that fails its checks (magic, version, checksum, contents); nothing was changed. */
export class InvalidSnapshotError extends Error {
  override readonly name = 'InvalidSnapshotError';
  readonly code = 'INVALID_SNAPSHOT' as const;
  /** Restoring changed nothing: the caller may fetch another snapshot. */
  readonly safeToRetry = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
