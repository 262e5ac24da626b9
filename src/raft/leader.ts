import { assert, type LogIndex, logIndex, type NodeId, type Term } from '../common/index.js';
import { EntryTooLargeError, ReadLimitError, UncommittedLimitError } from './errors.js';
import { EntryType } from './log-types.js';
import { type Message, MessageType } from './message.js';
import { ProgressState } from './progress.js';
import { VoteResult, voteResult } from './quorum.js';
import { type Raft, Role } from './raft.js';
import type { ReadRequest } from './read-only.js';
import { flushAppends, handleAppendResp, handleHeartbeatResp } from './replication.js';

const emptyData = new Uint8Array(0);

/** A new leader: progress for everyone, and an empty entry of its term (commit only through it). */
export function becomeLeaderState(r: Raft): void {
  const self = r.tracker.get(r.id);
  assert(self !== undefined, 'a leader must be a member');
  self.becomeReplicate();
  self.maybeUpdate(r.log.durableIndex);
  const index = logIndex(r.log.lastIndex() + 1);
  r.log.append([{ term: r.term, index, type: EntryType.Normal, data: emptyData }]);
  r.appendPending = true;
}

export function proposeEntry(r: Raft, data: Uint8Array): { index: LogIndex; term: Term } {
  if (data.length > r.cfg.maxEntryBytes) {
    throw new EntryTooLargeError(data.length, r.cfg.maxEntryBytes);
  }
  // One entry may always go in (an empty backlog), however large within maxEntryBytes.
  if (
    r.uncommittedBytes > 0 &&
    r.uncommittedBytes + data.length > r.cfg.maxUncommittedEntriesBytes
  ) {
    throw new UncommittedLimitError(r.cfg.maxUncommittedEntriesBytes);
  }
  const index = logIndex(r.log.lastIndex() + 1);
  r.log.append([{ term: r.term, index, type: EntryType.Normal, data }]);
  r.uncommittedBytes += data.length;
  r.appendPending = true;
  return { index, term: r.term };
}

/** The leader's own write became durable: it counts toward the commit index now. */
export function leaderSelfDurable(r: Raft): void {
  const self = r.tracker.get(r.id);
  if (self?.maybeUpdate(r.log.durableIndex)) maybeCommit(r);
}

/** Moves the commit index to what a majority matched, if that entry is of this term. */
export function maybeCommit(r: Raft): boolean {
  const index = r.tracker.committed();
  if (index <= r.log.committed) return false;
  // Figure 8: an entry of an earlier term is committed only through one of this term.
  if (r.log.termOrZero(index) !== r.term) return false;
  const firstInTerm = !committedInTerm(r);
  r.log.commitTo(index);
  if (firstInTerm) {
    const waiting = r.readsAwaitingCommit;
    r.readsAwaitingCommit = [];
    for (const req of waiting) r.readOnly.add(req);
  }
  return true;
}

export function committedInTerm(r: Raft): boolean {
  return r.log.termOrZero(r.log.committed) === r.term;
}

export function tickLeader(r: Raft): void {
  r.heartbeatElapsedTicks++;
  r.electionElapsedTicks++;
  if (r.electionElapsedTicks >= r.cfg.electionTimeoutTicks) {
    r.electionElapsedTicks = 0;
    if (r.cfg.checkQuorum) {
      if (!r.tracker.quorumActive(r.id)) {
        r.logger.warn(`${r.id} steps down at term ${r.term}: no quorum heard from`);
        r.becomeFollower(r.term, 0);
        return;
      }
      r.tracker.resetRecentActive(r.id);
    }
  }
  for (const pr of r.tracker.progress.values()) {
    if (pr.state !== ProgressState.Snapshot) continue;
    // A snapshot not acknowledged within an election timeout is taken as lost.
    if (++pr.snapshotTicks >= r.cfg.electionTimeoutTicks) pr.becomeProbe();
  }
  if (r.heartbeatElapsedTicks >= r.cfg.heartbeatTicks) {
    r.heartbeatElapsedTicks = 0;
    bcastHeartbeat(r);
  }
}

export function bcastHeartbeat(r: Raft): void {
  const context = r.readOnly.roundId;
  for (const [id, pr] of r.tracker.progress) {
    if (id === r.id) continue;
    const commit = logIndex(Math.min(pr.match, r.log.committed));
    r.send({ type: MessageType.Heartbeat, from: r.id, to: id, term: r.term, commit, context });
  }
}

export function stepLeader(r: Raft, m: Message): void {
  switch (m.type) {
    case MessageType.AppendResp:
      handleAppendResp(r, m);
      return;
    case MessageType.HeartbeatResp:
      handleHeartbeatResp(r, m);
      r.readOnly.recvAck(m.from, m.context);
      checkReadRound(r);
      return;
    case MessageType.ReadIndex:
      if (r.tracker.get(m.from) === undefined) return;
      readIndexOnLeader(r, { context: m.context, from: m.from });
      return;
    default:
      return;
  }
}

/** A read on the leader (local or forwarded): waits for this term's first commit, then a round. */
export function readIndexOnLeader(r: Raft, req: ReadRequest): void {
  if (r.readOnly.pendingCount + r.readsAwaitingCommit.length >= r.cfg.maxPendingReads) {
    if (req.from === r.id) throw new ReadLimitError(r.cfg.maxPendingReads);
    return; // A forwarded read is dropped; the follower's caller times out.
  }
  if (!committedInTerm(r)) {
    r.readsAwaitingCommit.push(req);
    return;
  }
  // The round starts when the next Ready is built, so reads that arrive together share it.
  r.readOnly.add(req);
}

/** Leader work deferred to Ready time: a read round for queued reads, batched Appends. */
export function flushLeader(r: Raft): void {
  if (r.role !== Role.Leader) return;
  maybeStartReadRound(r);
  flushAppends(r);
}

function maybeStartReadRound(r: Raft): void {
  const id = r.readOnly.maybeStartRound(r.log.committed);
  if (id === 0) return;
  r.readOnly.recvAck(r.id, id);
  if (!checkReadRound(r)) bcastHeartbeat(r);
}

/** Releases the running round once a quorum acknowledged it; returns whether it did. */
function checkReadRound(r: Raft): boolean {
  if (r.readOnly.roundId === 0) return false;
  const acks = new Map<NodeId, boolean>();
  for (const id of r.readOnly.acks()) acks.set(id, true);
  if (voteResult(r.tracker.voters, acks) !== VoteResult.Won) return false;
  const { index, requests } = r.readOnly.finishRound();
  for (const req of requests) {
    if (req.from === r.id) {
      r.readStates.push({ context: req.context, index });
    } else {
      r.send({
        type: MessageType.ReadIndexResp,
        from: r.id,
        to: req.from,
        term: r.term,
        context: req.context,
        index,
      });
    }
  }
  return true;
}
