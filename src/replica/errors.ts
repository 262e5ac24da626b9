// Operating errors of the replica. Each says whether the operation certainly did not happen
// (`safeToRetry`) or may have happened; a retry with the same session and sequence number is
// exactly-once either way. The Raft core's own errors (NotLeaderError, EntryTooLargeError,
// UncommittedLimitError, ReadLimitError) pass through unchanged: each certainly did not happen.

export abstract class ReplicaError extends Error {
  abstract readonly code: string;
  abstract readonly safeToRetry: boolean;
}

/**
 * This replica stopped leading (or its entry was overwritten by a new leader's log) while the
 * call waited. The command may still commit under the new leader: its outcome is unknown, and a
 * retry with the same sequence number answers it exactly once. A read simply did not happen.
 */
export class LeadershipChangedError extends ReplicaError {
  override readonly name = 'LeadershipChangedError';
  readonly code = 'LEADERSHIP_CHANGED';
  readonly safeToRetry: boolean;
  constructor(readonly kind: 'command' | 'query') {
    super(
      kind === 'command'
        ? 'leadership changed while the command waited; its outcome is unknown'
        : 'leadership changed while the read waited; it did not happen',
    );
    this.safeToRetry = kind === 'query';
  }
}

/** `pendingProposalsMax` proposals are already waiting: back-pressure, nothing happened. */
export class OverloadedError extends ReplicaError {
  override readonly name = 'OverloadedError';
  readonly code = 'UNAVAILABLE';
  readonly safeToRetry = true;
  constructor(readonly pendingProposalsMax: number) {
    super(`${pendingProposalsMax} proposals are already waiting on this partition`);
  }
}

/** A newer call with the same session and sequence number took over this one's outputs. */
export class SupersededError extends ReplicaError {
  override readonly name = 'SupersededError';
  readonly code = 'SUPERSEDED';
  readonly safeToRetry = false;
  constructor() {
    super('a retry of this command took over its outputs');
  }
}
