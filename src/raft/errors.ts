import type { NodeId } from '../common/index.js';

/**
 * An operating error of the Raft core: the request was refused and certainly did not happen, so
 * retrying (elsewhere, or later) is safe. Assertion failures are bugs and never take this form.
 */
export abstract class RaftError extends Error {
  abstract readonly code: string;
  /** The operation certainly did not happen. True for every error the Raft core throws. */
  readonly safeToRetry = true;
}

/**
 * A proposal or read reached a node that is not the leader. `leaderHint` is the leader this node
 * knows of, 0 when it knows none (an election is running or the node is cut off).
 */
export class NotLeaderError extends RaftError {
  override readonly name = 'NotLeaderError';
  readonly code = 'NOT_LEADER';
  constructor(readonly leaderHint: NodeId | 0) {
    super(leaderHint === 0 ? 'no leader is known' : `not the leader; the leader is ${leaderHint}`);
  }
}

/** A proposal whose data is larger than `maxEntryBytes`. */
export class EntryTooLargeError extends RaftError {
  override readonly name = 'EntryTooLargeError';
  readonly code = 'ENTRY_TOO_LARGE';
  constructor(
    readonly sizeBytes: number,
    readonly maxEntryBytes: number,
  ) {
    super(`entry of ${sizeBytes} bytes is larger than the limit of ${maxEntryBytes}`);
  }
}

/** The leader already holds `maxUncommittedEntriesBytes` of uncommitted entries: back-pressure. */
export class UncommittedLimitError extends RaftError {
  override readonly name = 'UncommittedLimitError';
  readonly code = 'UNCOMMITTED_LIMIT';
  constructor(readonly maxUncommittedEntriesBytes: number) {
    super(`more than ${maxUncommittedEntriesBytes} bytes of entries are uncommitted`);
  }
}

/** Too many ReadIndex requests are waiting on this leader (`maxPendingReads`): back-pressure. */
export class ReadLimitError extends RaftError {
  override readonly name = 'ReadLimitError';
  readonly code = 'READ_LIMIT';
  constructor(readonly maxPendingReads: number) {
    super(`more than ${maxPendingReads} reads are waiting`);
  }
}
