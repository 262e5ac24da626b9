// The contract between the partition state machine and the primitives (DESIGN §3–4). The fsm is
// handed a registry of ServiceTypes and imports no primitive; a new primitive (counter, map, lock,
// election) implements these interfaces and touches no partition code.
//
// Determinism: everything a Service does in `command`, `timer`, `streamClosed` and `snapshot` is
// replicated state and must depend only on its inputs, the host's time and index, and its own
// state. Query sinks (watchers) are node-local: a primitive may keep them, but nothing replicated
// may depend on them.

import type { LogIndex, SequenceNum, ServiceId, SessionId, TimestampMs } from '../common/index.js';
import type { Status } from '../gen/multiraft/v1/output_pb.js';

/** A running stream command: the session that started it and the command's sequence number. */
export interface StreamId {
  readonly session: SessionId;
  readonly seq: SequenceNum;
}

/** What one operation answers: OK with the primitive's encoded output, or an error status. */
export type ServiceResult =
  | { readonly status: Status.OK; readonly payload: Uint8Array }
  | {
      readonly status: Exclude<Status, Status.OK>;
      readonly message: string;
      /** For CONFLICT and ALREADY_EXISTS: the primitive's current state, encoded by it. */
      readonly current?: Uint8Array;
    };

/** A command that keeps producing outputs: its first output is `first`. */
export interface StreamStart {
  readonly stream: true;
  readonly first: ServiceResult;
}

/** Limits the fsm hands to every service; each is explicit and configurable. */
export interface ServiceLimits {
  /** Largest value a primitive stores (AtomicValue: INVALID above it). Default 1 MiB. */
  readonly valueBytesMax: number;
  /** Largest TTL in ms (INVALID above it). Default 10 years. */
  readonly ttlMsMax: number;
}

/** What the fsm offers a service. Valid only while the fsm calls into the service. */
export interface ServiceHost {
  readonly id: ServiceId;
  readonly namespace: string;
  readonly name: string;
  readonly limits: ServiceLimits;
  /** State-machine time of the entry (or timer) being applied. */
  time(): TimestampMs;
  /** Index of the entry being applied: the version of anything this entry writes. */
  index(): LogIndex;
  /**
   * Fires `service.timer(tag)` once state-machine time reaches `deadline`, before the entry that
   * passes it. Timers are replicated state kept by the fsm (ordered by deadline, then insertion).
   * Scheduling a tag again replaces its earlier deadline.
   */
  scheduleTimer(deadline: TimestampMs, tag: number): void;
  cancelTimer(tag: number): void;
  /**
   * Adds an output to a running stream command (numbered, cached until the client acknowledges
   * it, replayed after a leader change). The fsm cancels the stream with RESOURCE_EXHAUSTED when
   * its unacknowledged outputs pass the limit, and then calls `service.streamClosed`.
   */
  emit(stream: StreamId, result: ServiceResult): void;
}

/** The node-local receiver of a query's outputs. Never part of replicated state. */
export interface QuerySink {
  /** The applied index the query runs at. */
  readonly index: LogIndex;
  /** Sends one output. A unary query sends exactly one and then `end()`. */
  next(result: ServiceResult): void;
  /** Ends the query (a stream ends with its final output, if any, sent through `next` first). */
  end(): void;
  /** Whether the consumer is gone; a primitive drops closed sinks. */
  readonly closed: boolean;
}

/** One primitive instance: a named service inside a partition. */
export interface Service {
  /**
   * Applies a command from the log for the calling session. Returns the single output of a unary
   * command, or a StreamStart for a stream command (which stays open until the fsm closes it).
   * Never throws: bad input is an INVALID result.
   */
  command(input: Uint8Array, caller: StreamId): ServiceResult | StreamStart;
  /**
   * Runs a read on this node (after the ReadIndex barrier). A unary query calls `sink.next` once
   * and `sink.end()`; a stream query (watch) keeps the sink and feeds it after every change.
   */
  query(input: Uint8Array, sink: QuerySink): void;
  /** A timer scheduled through the host fired. */
  timer(tag: number): void;
  /** The fsm ended a stream (session closed or expired, number retired, limit reached). */
  streamClosed(stream: StreamId): void;
  /** The node is dropping this instance (restore from a snapshot): end every query sink. */
  detachSinks(): void;
  /** The replicated state, as deterministic bytes. */
  snapshot(): Uint8Array;
}

/** A primitive type, registered with the fsm under its service string. */
export interface ServiceType {
  /** The full service string, e.g. `atomix.multiraft.atomic.value.v1.AtomicValue`. */
  readonly service: string;
  create(host: ServiceHost): Service;
  /** Rebuilds an instance from `snapshot()` bytes (timers are restored by the fsm). */
  restore(host: ServiceHost, state: Uint8Array): Service;
}
