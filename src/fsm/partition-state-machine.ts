// The partition state machine (DESIGN §3): applies committed log entries, answers queries, and
// takes and restores deterministic snapshots. Pure: no I/O, no clock, no randomness.

import {
  assert,
  type LogIndex,
  logIndex,
  safeNumber,
  type Term,
  type TimestampMs,
  timestampMs,
} from '../common/index.js';
import type { PartitionInput } from '../gen/atomix/multiraft/v1/fsm_pb.js';
import type { LogEntry } from '../gen/multiraft/v1/log_pb.js';
import { type QueryInput, Status } from '../gen/multiraft/v1/output_pb.js';
import { CommandPhase } from '../gen/multiraft/v1/snapshot_pb.js';
import { advanceTime } from './clock.js';
import { applySessionInput } from './commands.js';
import { type PartitionConfig, type PartitionConfigInput, resolveConfig } from './config.js';
import { decodeLogEntry } from './log-entry-codec.js';
import { type ApplyOutput, errorOutput } from './outputs.js';
import { PartitionState } from './partition-state.js';
import { runQuery } from './query.js';
import type { QuerySink } from './service.js';
import { closeSession, keepAlive, openSession } from './sessions.js';
import { decodeSnapshotFrame, encodeSnapshot } from './snapshot-codec.js';
import { restoreState } from './snapshot-restore.js';

/**
 * The largest entry timestamp (2^52 ms, the year 144,683): every deadline (time + a session
 * timeout or a TTL, each ≤ 2^52 by config) stays a safe integer. Above it the entry is INVALID.
 */
export const timestampMsMax = 2 ** 52;

/** A committed Raft entry. Empty `data` is Raft's own empty entry: it does not move time. */
export interface CommittedEntry {
  readonly index: LogIndex;
  readonly term: Term;
  /** An encoded multiraft.v1.LogEntry, or empty. */
  readonly data: Uint8Array;
}

export class PartitionStateMachine {
  readonly config: PartitionConfig;
  #state: PartitionState;

  constructor(config: PartitionConfigInput) {
    this.config = resolveConfig(config);
    this.#state = new PartitionState(this.config);
  }

  /** The index of the last applied entry (or of the restored snapshot). */
  get index(): LogIndex {
    return logIndex(this.#state.index);
  }

  /** State-machine time in ms. */
  get timeMs(): TimestampMs {
    return timestampMs(this.#state.timeMs);
  }

  get sessionCount(): number {
    return this.#state.sessions.size;
  }

  get serviceCount(): number {
    return this.#state.services.size;
  }

  /** Session command streams running (a walk over every session's records: for metrics). */
  get streamCount(): number {
    let n = 0;
    for (const session of this.#state.sessions.values()) {
      for (const record of session.records.values()) {
        if (record.phase === CommandPhase.RUNNING) n++;
      }
    }
    return n;
  }

  /**
   * Applies the next committed entry and returns the outputs to route. Never throws for any
   * `data`: malformed bytes answer INVALID (routed by the entry index) and change nothing but the
   * applied index. Entries must come in index order (asserted).
   */
  apply(entry: CommittedEntry): ApplyOutput[] {
    const state = this.#state;
    assert(entry.index === state.index + 1, `apply index ${entry.index} after ${state.index}`);
    assert(entry.term >= state.term, 'terms never go back');
    state.index = entry.index;
    state.term = entry.term;
    state.out = [];
    if (entry.data.length > 0) this.#applyData(entry.data);
    const out = state.out;
    state.out = [];
    return out;
  }

  #applyData(data: Uint8Array): void {
    const state = this.#state;
    let decoded: LogEntry;
    try {
      decoded = decodeLogEntry(data);
    } catch {
      this.#invalid('malformed LogEntry');
      return;
    }
    const time = safeNumber(decoded.timestampMs);
    if (time === undefined || time > timestampMsMax) {
      this.#invalid(`timestamp_ms above ${timestampMsMax}`);
      return;
    }
    const body = decoded.entry;
    if (body.case === undefined) {
      this.#invalid('LogEntry carries neither input nor tick');
      return;
    }
    advanceTime(state, time);
    if (body.case === 'input') this.#applyInput(body.value);
  }

  #applyInput(input: PartitionInput): void {
    const state = this.#state;
    const body = input.input;
    switch (body.case) {
      case 'openSession':
        openSession(state, body.value);
        return;
      case 'keepAlive':
        keepAlive(state, body.value);
        return;
      case 'closeSession':
        closeSession(state, body.value);
        return;
      case 'sessionInput':
        applySessionInput(state, body.value);
        return;
      case undefined:
        this.#invalid('empty PartitionInput');
        return;
    }
  }

  #invalid(message: string): void {
    const at = { index: this.#state.index, outputSeq: 1, done: true };
    this.#state.answerEntry(errorOutput(at, Status.INVALID, message));
  }

  /**
   * Runs a read on the applied state (the replica calls it once it has applied the ReadIndex).
   * Errors go to the sink as one output and `end()`; nothing changes, nothing is created.
   */
  query(input: QueryInput, sink: QuerySink): void {
    runQuery(this.#state, input, sink);
  }

  /** The earliest timer deadline, for the replica's tick proposals; undefined when none. */
  nextDeadline(): TimestampMs | undefined {
    const timer = this.#state.timers.peek();
    return timer === undefined ? undefined : timestampMs(timer.deadlineMs);
  }

  /** Deterministic snapshot bytes of the applied state. */
  snapshot(): Uint8Array {
    return encodeSnapshot(this.#state);
  }

  /**
   * Replaces the state with a snapshot's. Throws InvalidSnapshotError (and changes nothing) when
   * the bytes fail a check. The old instances' query sinks are ended (node-local state).
   */
  restore(bytes: Uint8Array): void {
    const next = restoreState(this.config, decodeSnapshotFrame(bytes));
    const old = this.#state;
    this.#state = next;
    for (const entry of old.services.sorted()) entry.instance.detachSinks();
  }
}
