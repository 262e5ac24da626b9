// State-machine time: each timestamped entry moves time to max(time, timestamp), after the
// new-term grace and after firing, in (deadline, seq) order, every timer the new time passes.

import { assert } from '../common/index.js';
import { Status } from '../gen/multiraft/v1/output_pb.js';
import { TimerKind } from '../gen/multiraft/v1/snapshot_pb.js';
import type { PartitionState } from './partition-state.js';
import { endSession, refreshSessions } from './sessions.js';
import type { Timer } from './timer-queue.js';

export function advanceTime(state: PartitionState, timestampMs: number): void {
  const target = Math.max(state.timeMs, timestampMs);
  if (state.term > state.timestampedTerm) {
    // Invariant: the grace uses the entry's own time, so refreshed deadlines are ≥ target.
    state.timeMs = target;
    refreshSessions(state);
    state.timestampedTerm = state.term;
  }
  for (let fired = 0; fired < state.config.timersPerEntryMax; fired++) {
    const timer = state.timers.popDue(target);
    if (timer === undefined) break;
    // Time passes through each deadline; it never goes back.
    state.timeMs = Math.max(state.timeMs, timer.deadlineMs);
    fire(state, timer);
  }
  // Invariant: no timer due after this entry's time fired; time never goes back.
  assert(state.timeMs <= target, 'timers fire only up to the entry time');
  state.timeMs = target;
}

function fire(state: PartitionState, timer: Timer): void {
  if (timer.kind === TimerKind.SESSION_EXPIRY) {
    const session = state.sessions.get(timer.owner);
    assert(session !== undefined, 'an expiry timer belongs to an open session');
    assert(session.expiresAtMs === timer.deadlineMs, 'expiry timer matches last-seen + timeout');
    endSession(state, session, Status.SESSION_EXPIRED, 'session expired');
    return;
  }
  const service = state.services.get(timer.owner);
  assert(service !== undefined, 'a service timer belongs to a live service');
  service.instance.timer(timer.tag);
}
