import { assert } from '../common/index.js';
import { type Message, MessageType, type VoteMessage } from './message.js';
import { VoteResult } from './quorum.js';
import { type Raft, Role } from './raft.js';

/** Followers and candidates: campaign when no leader was heard for the randomized timeout. */
export function tickElection(r: Raft): void {
  r.electionElapsedTicks++;
  if (r.isPromotable() && r.electionElapsedTicks >= r.randomizedElectionTimeoutTicks) {
    r.electionElapsedTicks = 0;
    campaign(r);
  }
}

/** Starts a pre-vote round (when configured) or an election. Learners never campaign. */
export function campaign(r: Raft): void {
  if (!r.isPromotable()) {
    r.logger.debug(`${r.id} cannot campaign: not a voter`);
    return;
  }
  if (r.role === Role.Leader) return;
  if (r.cfg.preVote) {
    r.becomePreCandidate();
    requestVotes(r, MessageType.PreVote);
    // A pre-vote for itself needs no durable state.
    poll(r, r.id, true);
  } else {
    startElection(r);
  }
}

function startElection(r: Raft): void {
  r.becomeCandidate();
  requestVotes(r, MessageType.Vote);
  // The vote for itself counts only once term and vote are durable.
  r.sendAfterPersist({
    type: MessageType.VoteResp,
    from: r.id,
    to: r.id,
    term: r.term,
    reject: false,
  });
}

function requestVotes(r: Raft, type: typeof MessageType.Vote | typeof MessageType.PreVote): void {
  const voteTerm = type === MessageType.PreVote ? r.term + 1 : r.term;
  for (const id of r.tracker.voters) {
    if (id === r.id) continue;
    r.send({
      type,
      from: r.id,
      to: id,
      term: voteTerm as Message['term'],
      lastIndex: r.log.lastIndex(),
      lastTerm: r.log.lastTerm(),
    });
  }
}

/** A Vote or PreVote at a term >= ours (lower terms were answered in Raft.step). */
export function handleVoteRequest(r: Raft, m: VoteMessage): void {
  assert(m.term >= r.term, 'vote request from a lower term');
  const isPreVote = m.type === MessageType.PreVote;
  const canVote =
    r.vote === m.from || (r.vote === 0 && r.lead === 0) || (isPreVote && m.term > r.term);
  const respType = isPreVote ? MessageType.PreVoteResp : MessageType.VoteResp;
  if (canVote && r.log.isUpToDate(m.lastIndex, m.lastTerm)) {
    if (!isPreVote) {
      r.electionElapsedTicks = 0;
      r.vote = m.from;
    }
    const grant = { type: respType, from: r.id, to: m.from, term: m.term, reject: false };
    // A vote grant leaves only once the vote is durable; a pre-vote grant promises nothing.
    if (isPreVote) r.send(grant);
    else r.sendAfterPersist(grant);
    return;
  }
  r.send({ type: respType, from: r.id, to: m.from, term: r.term, reject: true });
}

/** PreCandidate and Candidate. */
export function stepCandidate(r: Raft, m: Message): void {
  switch (m.type) {
    case MessageType.Append:
    case MessageType.Heartbeat:
    case MessageType.Snapshot:
      // A leader of this term exists.
      r.becomeFollower(m.term, m.from);
      r.step(m);
      return;
    case MessageType.VoteResp:
      if (r.role === Role.Candidate) poll(r, m.from, !m.reject);
      return;
    case MessageType.PreVoteResp:
      if (r.role === Role.PreCandidate) poll(r, m.from, !m.reject);
      return;
    default:
      return;
  }
}

function poll(r: Raft, from: Message['from'], granted: boolean): void {
  r.tracker.recordVote(from, granted);
  const result = r.tracker.voteResult();
  if (result === VoteResult.Won) {
    if (r.role === Role.PreCandidate) startElection(r);
    else r.becomeLeader();
  } else if (result === VoteResult.Lost) {
    r.becomeFollower(r.term, 0);
  }
}
