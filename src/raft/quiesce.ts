// Quiescence: an idle group stops exchanging heartbeats (DESIGN §7, "idle partitions go quiet").
// With hundreds of groups per node, heartbeats of idle groups would be most of the traffic and the
// CPU. A leader whose log is fully replicated, committed and durable everywhere, with no reads or
// appends in flight, sends one last heartbeat marked `quiesce`; the host then stops ticking the
// group on both sides. Ticks drive only liveness (elections, heartbeats, check-quorum), never
// safety, so a quiet group is as safe as a slow one. The host wakes it on any traffic, on a timer
// of the state machine coming due, and on a follower when its leader's node becomes unreachable.

import { logIndex } from '../common/index.js';
import { MessageType } from './message.js';
import { ProgressState } from './progress.js';
import { type Raft, Role } from './raft.js';

/** Whether this leader's group is idle: nothing in flight, everyone holds the whole log. */
export function canQuiesce(r: Raft): boolean {
  if (r.role !== Role.Leader) return false;
  const last = r.log.lastIndex();
  if (r.log.committed !== last || r.log.durableIndex !== last) return false;
  if (r.log.unstableEntries.length > 0 || r.appendPending) return false;
  if (r.readOnly.pendingCount > 0 || r.readOnly.roundId !== 0) return false;
  if (r.readsAwaitingCommit.length > 0) return false;
  for (const [id, pr] of r.tracker.progress) {
    if (id === r.id) continue;
    if (pr.match !== last || pr.state !== ProgressState.Replicate || pr.inflights.count > 0) {
      return false;
    }
  }
  return true;
}

/** Sends the last heartbeat of an idle group, marked `quiesce`; false when it is not idle. */
export function quiesce(r: Raft): boolean {
  if (!canQuiesce(r)) return false;
  const commit = r.log.committed;
  for (const id of r.tracker.progress.keys()) {
    if (id === r.id) continue;
    r.send({
      type: MessageType.Heartbeat,
      from: r.id,
      to: id,
      term: r.term,
      commit: logIndex(commit),
      context: 0,
      quiesce: true,
    });
  }
  r.heartbeatElapsedTicks = 0;
  r.electionElapsedTicks = 0;
  return true;
}

/** A follower may rest after a quiesce heartbeat of its leader when it holds the committed log. */
export function canRestAsFollower(r: Raft, leader: number): boolean {
  return r.role === Role.Follower && r.lead === leader && r.log.committed === r.log.lastIndex();
}
