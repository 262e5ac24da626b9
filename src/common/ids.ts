// Branded numbers: an index cannot be passed where a term is expected. Inside the project ids,
// terms, indexes and versions are plain `number`s (no bigint on hot paths); the wire carries
// uint64 as bigint, converted here with a range check (DESIGN §2).

declare const brand: unique symbol;
export type Brand<T, B extends string> = T & { readonly [brand]: B };

/** A Raft term. */
export type Term = Brand<number, 'Term'>;
/** A Raft log index; also the id of sessions, services and value versions. */
export type LogIndex = Brand<number, 'LogIndex'>;
/** A node of the cluster (never reused: a node that lost its data rejoins under a new id). */
export type NodeId = Brand<number, 'NodeId'>;
/** A partition (Raft group), numbered 1..P. */
export type PartitionId = Brand<number, 'PartitionId'>;
/** A session: the log index of its open-session entry. */
export type SessionId = Brand<number, 'SessionId'>;
/** A service (primitive instance): the log index of the entry that created it. */
export type ServiceId = Brand<number, 'ServiceId'>;
/** A client's command sequence number within a session: 1, 2, 3 … */
export type SequenceNum = Brand<number, 'SequenceNum'>;
/** State-machine or wall-clock time in milliseconds since the Unix epoch. */
export type TimestampMs = Brand<number, 'TimestampMs'>;

export const term = (n: number): Term => n as Term;
export const logIndex = (n: number): LogIndex => n as LogIndex;
export const nodeId = (n: number): NodeId => n as NodeId;
export const partitionId = (n: number): PartitionId => n as PartitionId;
export const sessionId = (n: number): SessionId => n as SessionId;
export const serviceId = (n: number): ServiceId => n as ServiceId;
export const sequenceNum = (n: number): SequenceNum => n as SequenceNum;
export const timestampMs = (n: number): TimestampMs => n as TimestampMs;

const maxSafe = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Converts a wire uint64 to a number, or returns undefined when it is above 2^53 − 1: the caller
 * turns that into an error output (never an exception inside apply).
 */
export function safeNumber(value: bigint): number | undefined {
  if (value < 0n || value > maxSafe) return undefined;
  return Number(value);
}
