// Session lifecycle inputs: open → keep-alive → close or expire, and the new-term grace.
// Open, keep-alive and close-session answer the entry (routed by its index).

import { create } from '@bufbuild/protobuf';
import { assert, safeNumber } from '../common/index.js';
import {
  type CloseSessionInput,
  CloseSessionOutputSchema,
  type KeepAliveInput,
  KeepAliveOutputSchema,
  type OpenSessionInput,
  OpenSessionOutputSchema,
} from '../gen/atomix/multiraft/v1/fsm_pb.js';
import { Status } from '../gen/multiraft/v1/output_pb.js';
import { CommandPhase, TimerKind } from '../gen/multiraft/v1/snapshot_pb.js';
import { errorOutput, okOutput } from './outputs.js';
import type { PartitionState } from './partition-state.js';
import { decodePendingFilter, type PendingFilter } from './pending-filter.js';
import { Session } from './session.js';

const entryError = (state: PartitionState, status: Exclude<Status, Status.OK>, msg: string) =>
  state.answerEntry(errorOutput({ index: state.index, outputSeq: 1, done: true }, status, msg));

const at = (state: PartitionState) => ({ index: state.index, outputSeq: 1, done: true });

export function openSession(state: PartitionState, input: OpenSessionInput): void {
  const requested = safeNumber(input.timeoutMs);
  const { sessionTimeoutMsDefault, sessionTimeoutMsMax, sessionsMax } = state.config;
  if (requested === undefined || requested > sessionTimeoutMsMax) {
    entryError(state, Status.INVALID, `timeout_ms above ${sessionTimeoutMsMax}`);
    return;
  }
  if (state.sessions.size >= sessionsMax) {
    entryError(state, Status.RESOURCE_EXHAUSTED, `${sessionsMax} sessions are open`);
    return;
  }
  const session = new Session(state.index, requested || sessionTimeoutMsDefault, state.timeMs);
  state.sessions.set(session.id, session);
  scheduleExpiry(state, session);
  const value = create(OpenSessionOutputSchema, { sessionId: BigInt(session.id) });
  state.answerEntry(okOutput(at(state), { case: 'openSession', value }));
}

export function scheduleExpiry(state: PartitionState, session: Session): void {
  state.timers.schedule(TimerKind.SESSION_EXPIRY, session.id, 0, session.expiresAtMs);
}

interface KeepAlive {
  readonly session: Session;
  readonly last: number;
  readonly filter: PendingFilter;
  readonly acks: ReadonlyMap<number, number>;
}

/** Validates every field before anything changes: a bad keep-alive retires nothing. */
function checkKeepAlive(state: PartitionState, input: KeepAliveInput): KeepAlive | string {
  const id = safeNumber(input.sessionId);
  const last = safeNumber(input.lastCommandSequenceNum);
  if (id === undefined || last === undefined)
    return 'session_id or last_command_sequence_num out of range';
  const filter = decodePendingFilter(input.pendingCommandsFilter);
  if (filter === undefined) return 'malformed pending_commands_filter';
  const acks = new Map<number, number>();
  for (const [key, value] of Object.entries(input.outputStreamSequenceNums)) {
    const seq = safeNumber(BigInt(key));
    const ack = safeNumber(value);
    if (seq === undefined || ack === undefined) return 'output_stream_sequence_nums out of range';
    acks.set(seq, ack);
  }
  const session = state.sessions.get(id);
  if (session === undefined) return '';
  return { session, last, filter, acks };
}

export function keepAlive(state: PartitionState, input: KeepAliveInput): void {
  const checked = checkKeepAlive(state, input);
  if (checked === '') {
    entryError(state, Status.SESSION_EXPIRED, 'unknown or expired session');
    return;
  }
  if (typeof checked === 'string') {
    entryError(state, Status.INVALID, checked);
    return;
  }
  const { session } = checked;
  session.lastSeenMs = state.timeMs;
  scheduleExpiry(state, session);
  retire(state, checked);
  acknowledge(session, checked.acks);
  const value = create(KeepAliveOutputSchema);
  state.answerEntry(okOutput(at(state), { case: 'keepAlive', value }));
}

/**
 * Retires every number ≤ L the filter does not contain: first the gaps below the highest retired
 * number, then upward to L, at most retireScanMax numbers (the rest wait for a later keep-alive).
 */
function retire(state: PartitionState, { session, last, filter }: KeepAlive): void {
  const retiring: number[] = [];
  let budget = state.config.retireScanMax;
  const consider = (n: number): boolean => {
    if (!filter.mightContain(n)) retiring.push(n);
    budget -= 1;
    return budget > 0;
  };
  const top = session.retired.top;
  let going = true;
  for (const n of session.retired.gaps()) {
    if (n > last) break;
    going = consider(n);
    if (!going) break;
  }
  for (let n = top + 1; going && n <= last; n++) going = consider(n);
  for (const n of retiring) {
    const { retired } = session;
    if (retired.startsRun(n) && retired.runCount >= state.config.retiredRunsMax) continue;
    const record = session.records.get(n);
    if (record?.phase === CommandPhase.RUNNING) {
      state.cancelStream(session, record, Status.CANCELED, 'command retired by keep-alive');
    }
    session.records.delete(n);
    retired.add(n);
    // Invariant: runs never exceed the bound.
    assert(retired.runCount <= state.config.retiredRunsMax, 'retired runs bounded');
  }
}

/** Drops outputs the client acknowledged; a complete record keeps its final output. */
function acknowledge(session: Session, acks: ReadonlyMap<number, number>): void {
  for (const [seq, ack] of acks) {
    const record = session.records.get(seq);
    if (record === undefined) continue;
    record.outputs = record.outputs.filter((o) => o.done || Number(o.sequenceNum) > ack);
  }
}

export function closeSession(state: PartitionState, input: CloseSessionInput): void {
  const id = safeNumber(input.sessionId);
  if (id === undefined) {
    entryError(state, Status.INVALID, 'session_id out of range');
    return;
  }
  const session = state.sessions.get(id);
  // Idempotent: closing an unknown, closed or expired session answers OK.
  if (session !== undefined) endSession(state, session, Status.CANCELED, 'session closed');
  const value = create(CloseSessionOutputSchema);
  state.answerEntry(okOutput(at(state), { case: 'closeSession', value }));
}

/** Closes or expires a session: cancels its streams, detaches it, drops it. */
export function endSession(
  state: PartitionState,
  session: Session,
  status: Status.CANCELED | Status.SESSION_EXPIRED,
  msg: string,
): void {
  for (const record of session.sortedRecords()) {
    if (record.phase === CommandPhase.RUNNING) state.cancelStream(session, record, status, msg);
  }
  for (const id of session.services) state.services.get(id)?.sessions.delete(session.id);
  state.timers.cancel(TimerKind.SESSION_EXPIRY, session.id, 0);
  state.sessions.delete(session.id);
}

/**
 * New-term grace: on the first timestamped entry of a term, every session is treated as seen at
 * that entry's time, before any timer of that entry fires, so an election gap expires no session.
 */
export function refreshSessions(state: PartitionState): void {
  const sessions = [...state.sessions.values()].sort((a, b) => a.id - b.id);
  for (const session of sessions) {
    session.lastSeenMs = state.timeMs;
    scheduleExpiry(state, session);
  }
}
