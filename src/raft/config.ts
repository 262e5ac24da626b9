import { assert, type LogIndex, logIndex, type NodeId } from '../common/index.js';
import { type RaftLogger, silentLogger } from './logger.js';
import type { Storage } from './storage.js';

/** What a Raft node is started with. Only id, storage and random are required. */
export interface RaftConfig {
  readonly id: NodeId;
  /** The log as persisted so far (hard state, configuration, entries, snapshot). */
  readonly storage: Storage;
  /** Followers campaign after a random timeout in [e, 2e) ticks without a leader. Default 10. */
  readonly electionTimeoutTicks?: number;
  /** The leader sends heartbeats every this many ticks. Default 1; below electionTimeoutTicks. */
  readonly heartbeatTicks?: number;
  /** Campaign with a pre-vote round first, so a cut-off node does not disrupt. Default true. */
  readonly preVote?: boolean;
  /**
   * A leader that hears from no quorum within an election timeout steps down, and a node that
   * heard from a leader within the election timeout ignores (pre-)votes (the leader lease).
   * Default true.
   */
  readonly checkQuorum?: boolean;
  /** Entry data per Append message after the first entry. Default 1 MiB. */
  readonly maxMsgBytes?: number;
  /** Append messages in flight per follower in Replicate state. Default 256. */
  readonly maxInflightMsgs?: number;
  /** Entry bytes in flight per follower; 0 = no limit. Default 32 MiB. */
  readonly maxInflightBytes?: number;
  /** A leader refuses proposals beyond this many uncommitted entry bytes. Default 64 MiB. */
  readonly maxUncommittedEntriesBytes?: number;
  /** The largest proposal accepted. Default 4 MiB. */
  readonly maxEntryBytes?: number;
  /** Snapshot data per Snapshot message. Default 1 MiB. */
  readonly snapshotChunkBytes?: number;
  /** Committed entry bytes per Ready after the first entry. Default 64 MiB. */
  readonly maxApplyBytes?: number;
  /** ReadIndex requests a leader holds at once. Default 65536. */
  readonly maxPendingReads?: number;
  /** The seeded random source, numbers in [0, 1): the only randomness the core uses. */
  readonly random: () => number;
  readonly logger?: RaftLogger;
  /** The index the state machine has applied (from its snapshot); 0 = from the log's start. */
  readonly applied?: LogIndex;
}

export type ResolvedConfig = Required<RaftConfig>;

export function resolveConfig(config: RaftConfig): ResolvedConfig {
  const resolved: ResolvedConfig = {
    electionTimeoutTicks: 10,
    heartbeatTicks: 1,
    preVote: true,
    checkQuorum: true,
    maxMsgBytes: 1 << 20,
    maxInflightMsgs: 256,
    maxInflightBytes: 32 << 20,
    maxUncommittedEntriesBytes: 64 << 20,
    maxEntryBytes: 4 << 20,
    snapshotChunkBytes: 1 << 20,
    maxApplyBytes: 64 << 20,
    maxPendingReads: 1 << 16,
    logger: config.logger ?? defaultLogger(),
    applied: logIndex(0),
    ...withoutUndefined(config),
  };
  validate(resolved);
  return resolved;
}

function defaultLogger() {
  return silentLogger;
}

function withoutUndefined(config: RaftConfig): RaftConfig {
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) if (value !== undefined) copy[key] = value;
  return copy as unknown as RaftConfig;
}

function validate(c: ResolvedConfig): void {
  assert(c.id > 0, 'config: id must be positive');
  assert(c.heartbeatTicks > 0, 'config: heartbeatTicks must be positive');
  assert(c.electionTimeoutTicks > c.heartbeatTicks, 'config: electionTimeoutTicks <= heartbeat');
  assert(c.maxInflightMsgs > 0, 'config: maxInflightMsgs must be positive');
  assert(c.maxInflightBytes >= 0, 'config: maxInflightBytes must not be negative');
  assert(c.maxMsgBytes >= 0, 'config: maxMsgBytes must not be negative');
  assert(c.maxEntryBytes > 0, 'config: maxEntryBytes must be positive');
  assert(c.maxUncommittedEntriesBytes > 0, 'config: maxUncommittedEntriesBytes must be positive');
  assert(c.snapshotChunkBytes > 0, 'config: snapshotChunkBytes must be positive');
  assert(c.maxPendingReads > 0, 'config: maxPendingReads must be positive');
}
