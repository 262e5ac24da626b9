import { logIndex, term } from '../common/index.js';
import type { Snapshot } from './log-types.js';
import {
  type AppendMessage,
  type HeartbeatMessage,
  type Message,
  MessageType,
  type SnapshotMessage,
} from './message.js';
import type { Raft } from './raft.js';

export function stepFollower(r: Raft, m: Message): void {
  switch (m.type) {
    case MessageType.Append:
      heardFromLeader(r, m.from);
      handleAppend(r, m);
      return;
    case MessageType.Heartbeat:
      heardFromLeader(r, m.from);
      handleHeartbeat(r, m);
      return;
    case MessageType.Snapshot:
      heardFromLeader(r, m.from);
      handleSnapshotChunk(r, m);
      return;
    case MessageType.ReadIndexResp:
      r.readStates.push({ context: m.context, index: m.index });
      return;
    default:
      return;
  }
}

function heardFromLeader(r: Raft, leader: Message['from']): void {
  r.electionElapsedTicks = 0;
  r.lead = leader;
}

function handleAppend(r: Raft, m: AppendMessage): void {
  if (m.prevIndex < r.log.committed) {
    // Everything up to commit matches the leader already.
    ack(r, m.from, r.log.committed);
    return;
  }
  const lastNew = r.log.maybeAppend(m.prevIndex, m.prevTerm, m.commit, m.entries);
  if (lastNew !== undefined) {
    ack(r, m.from, lastNew);
    return;
  }
  // Fast back-off: point the leader at the last index that may match, with its term.
  const guess = logIndex(Math.min(m.prevIndex, r.log.lastIndex()));
  const hint = r.log.findConflictByTerm(guess, m.prevTerm);
  r.logger.debug(
    `${r.id} rejects Append at ${m.prevIndex}@${m.prevTerm}; hint ${hint.index}@${hint.term}`,
  );
  r.send({
    type: MessageType.AppendResp,
    from: r.id,
    to: m.from,
    term: r.term,
    index: m.prevIndex,
    reject: true,
    rejectHint: hint.index,
    hintTerm: hint.term,
  });
}

/** Acknowledges the log up to `index`: sent only once that log is durable. */
function ack(r: Raft, to: Message['from'], index: number): void {
  r.sendAfterPersist({
    type: MessageType.AppendResp,
    from: r.id,
    to,
    term: r.term,
    index: logIndex(index),
    reject: false,
    rejectHint: logIndex(0),
    hintTerm: term(0),
  });
}

function handleHeartbeat(r: Raft, m: HeartbeatMessage): void {
  // The leader sends min(our match, its commit): within our log.
  if (m.commit <= r.log.lastIndex()) r.log.commitTo(m.commit);
  r.send({
    type: MessageType.HeartbeatResp,
    from: r.id,
    to: m.from,
    term: r.term,
    context: m.context,
  });
}

function handleSnapshotChunk(r: Raft, m: SnapshotMessage): void {
  const snapshot = r.assembler.add(m);
  if (snapshot === undefined) return;
  if (restore(r, snapshot)) {
    r.logger.info(`${r.id} restores snapshot at ${snapshot.meta.index}@${snapshot.meta.term}`);
    ack(r, m.from, r.log.lastIndex());
  } else {
    ack(r, m.from, r.log.committed);
  }
}

/** Installs a snapshot unless the log already holds what it covers. */
function restore(r: Raft, snapshot: Snapshot): boolean {
  const { index, term: snapTerm } = snapshot.meta;
  if (index <= r.log.committed) return false;
  if (r.log.matchTerm(index, snapTerm)) {
    // The log holds the snapshot's last entry: fast-forward the commit index instead.
    r.log.commitTo(index);
    return false;
  }
  r.log.restore(snapshot);
  r.tracker.setConf(snapshot.meta.conf);
  return true;
}
