import type { LogIndex, NodeId, Term } from '../common/index.js';
import type { Entry, SnapshotMeta } from './log-types.js';

/**
 * Message kinds. Small numbers so a hand-written binary codec can frame them (transport issue).
 * Every message has `type`, `from`, `to` and `term`; the rest is numbers, booleans, entries and
 * Uint8Array data.
 */
export const MessageType = {
  /** Leader → follower: entries after (prevIndex, prevTerm), and the leader's commit index. */
  Append: 1,
  /** Follower → leader: success with the match index, or a rejection with a back-off hint. */
  AppendResp: 2,
  /** Candidate → voter: vote for me in `term`. */
  Vote: 3,
  VoteResp: 4,
  /** Pre-candidate → voter: would you vote for me in `term` (= its term + 1)? Changes no state. */
  PreVote: 5,
  PreVoteResp: 6,
  /** Leader → follower: I am alive; commit = min(follower match, leader commit); read round id. */
  Heartbeat: 7,
  HeartbeatResp: 8,
  /** Leader → follower: one chunk of a snapshot. */
  Snapshot: 9,
  /** Follower → leader: a ReadIndex request forwarded from the follower. */
  ReadIndex: 10,
  /** Leader → follower: the read index for a forwarded request. */
  ReadIndexResp: 11,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

const typeNames: Record<MessageType, string> = {
  1: 'Append',
  2: 'AppendResp',
  3: 'Vote',
  4: 'VoteResp',
  5: 'PreVote',
  6: 'PreVoteResp',
  7: 'Heartbeat',
  8: 'HeartbeatResp',
  9: 'Snapshot',
  10: 'ReadIndex',
  11: 'ReadIndexResp',
};

export function messageTypeName(type: MessageType): string {
  return typeNames[type];
}

interface Header<T extends MessageType> {
  readonly type: T;
  readonly from: NodeId;
  readonly to: NodeId;
  /** The sender's term; for PreVote the term the sender would campaign in. */
  readonly term: Term;
}

export interface AppendMessage extends Header<typeof MessageType.Append> {
  readonly prevIndex: LogIndex;
  readonly prevTerm: Term;
  /** Consecutive entries starting at prevIndex + 1, at most maxMsgBytes of data after the first. */
  readonly entries: readonly Entry[];
  readonly commit: LogIndex;
}

export interface AppendRespMessage extends Header<typeof MessageType.AppendResp> {
  /** On success the follower's match index; on rejection the rejected prevIndex. */
  readonly index: LogIndex;
  readonly reject: boolean;
  /** On rejection: the follower's guess of the last index where the logs may agree. */
  readonly rejectHint: LogIndex;
  /** On rejection: the term of the follower's entry at rejectHint (0 when unknown). */
  readonly hintTerm: Term;
}

export interface VoteMessage extends Header<typeof MessageType.Vote | typeof MessageType.PreVote> {
  readonly lastIndex: LogIndex;
  readonly lastTerm: Term;
}

export interface VoteRespMessage
  extends Header<typeof MessageType.VoteResp | typeof MessageType.PreVoteResp> {
  readonly reject: boolean;
}

export interface HeartbeatMessage extends Header<typeof MessageType.Heartbeat> {
  readonly commit: LogIndex;
  /** The leader's ReadIndex round id, 0 when no round is running. */
  readonly context: number;
  /** The group is idle: the last heartbeat before it goes quiet (src/raft/quiesce.ts). */
  readonly quiesce?: true;
}

export interface HeartbeatRespMessage extends Header<typeof MessageType.HeartbeatResp> {
  /** The context of the heartbeat answered. */
  readonly context: number;
}

export interface SnapshotMessage extends Header<typeof MessageType.Snapshot> {
  readonly meta: SnapshotMeta;
  /** Byte offset of this chunk in the snapshot's data. */
  readonly offset: number;
  readonly totalBytes: number;
  /** At most snapshotChunkBytes. */
  readonly data: Uint8Array;
}

export interface ReadIndexMessage extends Header<typeof MessageType.ReadIndex> {
  readonly context: number;
}

export interface ReadIndexRespMessage extends Header<typeof MessageType.ReadIndexResp> {
  readonly context: number;
  readonly index: LogIndex;
}

/** Every message between Raft nodes: a plain object, discriminated by `type`. */
export type Message =
  | AppendMessage
  | AppendRespMessage
  | VoteMessage
  | VoteRespMessage
  | HeartbeatMessage
  | HeartbeatRespMessage
  | SnapshotMessage
  | ReadIndexMessage
  | ReadIndexRespMessage;
