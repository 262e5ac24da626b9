// Rebuilds a PartitionState from a decoded snapshot, checking every number and cross-reference.
// Throws InvalidSnapshotError; the caller swaps the new state in only when this returns.

import { safeNumber } from '../common/index.js';
import {
  CommandPhase,
  type CommandRecord as CommandRecordMessage,
  type PartitionSnapshot,
  type ServiceRecord,
  type SessionRecord,
  SessionState,
  TimerKind,
  type TimerRecord,
} from '../gen/multiraft/v1/snapshot_pb.js';
import type { PartitionConfig } from './config.js';
import { InvalidSnapshotError } from './errors.js';
import { PartitionState } from './partition-state.js';
import { RetiredSet } from './retired-set.js';
import type { ServiceEntry } from './service-table.js';
import { type CommandRecord, Session } from './session.js';

function num(value: bigint, what: string): number {
  const n = safeNumber(value);
  if (n === undefined) throw new InvalidSnapshotError(`${what} out of range`);
  return n;
}

function check(condition: boolean, what: string): asserts condition {
  if (!condition) throw new InvalidSnapshotError(what);
}

export function restoreState(config: PartitionConfig, snap: PartitionSnapshot): PartitionState {
  const nextTimerSeq = num(snap.nextTimerSeq, 'next_timer_seq');
  check(nextTimerSeq >= 1, 'next_timer_seq is at least 1');
  const state = new PartitionState(config, nextTimerSeq);
  state.index = num(snap.index, 'index');
  state.term = num(snap.term, 'term');
  state.timeMs = num(snap.timeMs, 'time_ms');
  state.timestampedTerm = num(snap.timestampedTerm, 'timestamped_term');
  let previous = 0;
  for (const record of snap.sessions) {
    const session = restoreSession(record);
    check(session.id > previous, 'sessions sorted by id');
    previous = session.id;
    state.sessions.set(session.id, session);
  }
  previous = 0;
  for (const record of snap.services) {
    const entry = restoreService(state, record);
    check(entry.id > previous, 'services sorted by id');
    previous = entry.id;
  }
  for (const session of state.sessions.values()) {
    for (const record of session.records.values()) {
      const live = record.phase !== CommandPhase.RUNNING || state.services.get(record.serviceId);
      check(Boolean(live), `running command ${session.id}/${record.seq} has no service`);
    }
  }
  restoreTimers(state, snap.timers);
  return state;
}

function restoreSession(record: SessionRecord): Session {
  const id = num(record.sessionId, 'session_id');
  check(record.state === SessionState.OPEN, `session ${id} is not open`);
  const retired = RetiredSet.fromList(
    num(record.retiredWatermark, 'retired_watermark'),
    record.retired.map((n) => num(n, 'retired')),
  );
  check(retired !== undefined, `session ${id} retired list not sorted above the watermark`);
  const timeout = num(record.timeoutMs, 'timeout_ms');
  const session = new Session(id, timeout, num(record.lastSeenMs, 'last_seen_ms'), retired);
  check(id > 0 && timeout > 0, 'session id and timeout are positive');
  let previous = 0;
  for (const message of record.commands) {
    const command = restoreCommand(message);
    check(command.seq > previous && !retired.has(command.seq), `session ${id} commands sorted`);
    previous = command.seq;
    session.records.set(command.seq, command);
  }
  return session;
}

function restoreCommand(message: CommandRecordMessage): CommandRecord {
  const seq = num(message.sequenceNum, 'sequence_num');
  const phase = message.phase;
  check(phase === CommandPhase.RUNNING || phase === CommandPhase.COMPLETE, 'command phase');
  check(message.input !== undefined, `command ${seq} has no input`);
  const body = message.input.input;
  const serviceId = body.case === 'serviceInput' ? num(body.value.serviceId, 'service_id') : 0;
  const lastOutputSeq = num(message.lastOutputSeq, 'last_output_seq');
  for (const output of message.outputs) {
    check(num(output.sequenceNum, 'output seq') <= lastOutputSeq, 'output seq ≤ last output seq');
  }
  return { seq, phase, input: message.input, serviceId, outputs: message.outputs, lastOutputSeq };
}

function restoreService(state: PartitionState, record: ServiceRecord): ServiceEntry {
  const id = num(record.serviceId, 'service_id');
  const type = state.config.types.find((t) => t.service === record.service);
  check(type !== undefined, `service type '${record.service}' is not registered`);
  check(state.services.get(id) === undefined, `service ${id} appears once`);
  check(state.services.find(record.namespace, record.name) === undefined, 'service names unique');
  let instance: ServiceEntry['instance'];
  try {
    instance = type.restore(state.hostFor(id, record.namespace, record.name), record.state);
  } catch (cause) {
    throw new InvalidSnapshotError(`service ${id} state does not restore`, { cause });
  }
  const entry: ServiceEntry = {
    id,
    type,
    namespace: record.namespace,
    name: record.name,
    sessions: new Set(),
    instance,
  };
  for (const sid of record.sessions) {
    const session = state.sessions.get(num(sid, 'attached session'));
    check(session !== undefined, `service ${id} is attached to an unknown session`);
    entry.sessions.add(session.id);
    session.services.add(id);
  }
  state.services.add(entry);
  return entry;
}

function restoreTimers(state: PartitionState, timers: readonly TimerRecord[]): void {
  const expiring = new Set<number>();
  for (const record of timers) {
    const owner = num(record.ownerId, 'timer owner');
    const deadlineMs = num(record.deadlineMs, 'timer deadline');
    const seq = num(record.seq, 'timer seq');
    const tag = num(record.tag, 'timer tag');
    if (record.kind === TimerKind.SESSION_EXPIRY) {
      const session = state.sessions.get(owner);
      check(session?.expiresAtMs === deadlineMs && tag === 0, `expiry timer of ${owner} matches`);
      check(!expiring.has(owner), `one expiry timer per session (${owner})`);
      expiring.add(owner);
    } else {
      check(record.kind === TimerKind.SERVICE, 'timer kind');
      check(state.services.get(owner) !== undefined, `timer owner service ${owner} exists`);
    }
    const kind = record.kind;
    check(state.timers.restore({ deadlineMs, seq, kind, owner, tag }), 'timers are distinct');
  }
  check(expiring.size === state.sessions.size, 'every session has an expiry timer');
}
