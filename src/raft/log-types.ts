import type { LogIndex, NodeId, Term } from '../common/index.js';

/** What an entry carries: a user proposal (or Raft's own empty entry) or a configuration change. */
export const EntryType = { Normal: 0, ConfChange: 1 } as const;
export type EntryType = (typeof EntryType)[keyof typeof EntryType];

/** One log entry. `data` is empty for the leader's empty entry of a new term. */
export interface Entry {
  readonly term: Term;
  readonly index: LogIndex;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/** What Raft must persist before it may vote, acknowledge or count itself: etcd's HardState. */
export interface HardState {
  readonly term: Term;
  /** 0 when the node has not voted in `term`. */
  readonly vote: NodeId | 0;
  readonly commit: LogIndex;
}

/** The membership: voters decide elections and commits; learners only receive the log. */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

export interface SnapshotMeta {
  readonly index: LogIndex;
  readonly term: Term;
  readonly conf: ConfState;
}

/** A state-machine snapshot: everything up to and including `meta.index`. */
export interface Snapshot {
  readonly meta: SnapshotMeta;
  readonly data: Uint8Array;
}
