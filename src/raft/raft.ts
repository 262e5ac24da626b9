import { assert, type LogIndex, logIndex, type NodeId, type Term, term } from '../common/index.js';
import { type RaftConfig, type ResolvedConfig, resolveConfig } from './config.js';
import { Durability } from './durability.js';
import { campaign, handleVoteRequest, stepCandidate, tickElection } from './election.js';
import { NotLeaderError } from './errors.js';
import { stepFollower } from './follower.js';
import {
  becomeLeaderState,
  leaderSelfDurable,
  proposeEntry,
  readIndexOnLeader,
  stepLeader,
  tickLeader,
} from './leader.js';
import type { HardState } from './log-types.js';
import type { RaftLogger } from './logger.js';
import { type Message, MessageType, messageTypeName } from './message.js';
import { RaftLog } from './raft-log.js';
import { ReadOnly, type ReadRequest } from './read-only.js';
import { SnapshotAssembler } from './snapshot-assembler.js';
import { ProgressTracker } from './tracker.js';

export const Role = { Follower: 0, PreCandidate: 1, Candidate: 2, Leader: 3 } as const;
export type Role = (typeof Role)[keyof typeof Role];
export const roleName = ['Follower', 'PreCandidate', 'Candidate', 'Leader'] as const;

/** A read released: the caller may serve `context` once it has applied `index`. */
export interface ReadState {
  readonly context: number;
  readonly index: LogIndex;
}

/**
 * The Raft state machine of one node. Internal to src/raft: role handling lives in election.ts,
 * follower.ts, leader.ts and replication.ts; RawNode is the public API around it.
 */
export class Raft {
  readonly id: NodeId;
  readonly cfg: ResolvedConfig;
  readonly logger: RaftLogger;
  readonly log: RaftLog;
  readonly tracker: ProgressTracker;
  readonly durability = new Durability();
  readonly readOnly: ReadOnly;
  readonly assembler = new SnapshotAssembler();
  // Invariant: term never decreases; vote is 0 or a voter of `term`.
  term: Term;
  vote: NodeId | 0;
  // Invariant: lead === id exactly when role === Leader.
  lead: NodeId | 0 = 0;
  role: Role = Role.Follower;
  electionElapsedTicks = 0;
  heartbeatElapsedTicks = 0;
  // Invariant: electionTimeoutTicks <= randomizedElectionTimeoutTicks < 2 * electionTimeoutTicks.
  randomizedElectionTimeoutTicks = 0;
  /** Messages to send with the next Ready. */
  msgs: Message[] = [];
  readStates: ReadState[] = [];
  /** Reads a new leader holds until it has committed an entry of its term. */
  readsAwaitingCommit: ReadRequest[] = [];
  /** Leader: entry bytes proposed and not yet applied (maxUncommittedEntriesBytes). */
  uncommittedBytes = 0;
  /** Leader: appends or a commit index may need sending; done when the next Ready is built. */
  appendPending = false;
  /** The term and vote handed out in the last Ready (what the caller has written). */
  writtenTerm: Term;
  writtenVote: NodeId | 0;

  constructor(config: RaftConfig) {
    this.cfg = resolveConfig(config);
    this.id = this.cfg.id;
    this.logger = this.cfg.logger;
    const { hardState, conf } = this.cfg.storage.initialState();
    this.log = new RaftLog(this.cfg.storage, hardState.commit, this.cfg.applied);
    this.tracker = new ProgressTracker(conf, this.cfg.maxInflightMsgs, this.cfg.maxInflightBytes);
    this.readOnly = new ReadOnly(this.cfg.maxPendingReads);
    this.term = hardState.term;
    this.vote = hardState.vote;
    this.writtenTerm = hardState.term;
    this.writtenVote = hardState.vote;
    this.becomeFollower(this.term, 0);
  }

  /** Always-on checks of the state invariants, after every input. */
  checkInvariants(): void {
    assert((this.role === Role.Leader) === (this.lead === this.id), 'lead is self iff leader');
    const { applied, committed, durableIndex } = this.log;
    const last = this.log.lastIndex();
    assert(applied <= committed && committed <= last, `applied ${applied} commit ${committed}`);
    assert(durableIndex <= last, `durable index ${durableIndex} beyond the last ${last}`);
    assert(this.vote !== 0 || this.role !== Role.Candidate, 'a candidate votes for itself');
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  isPromotable(): boolean {
    return this.tracker.isVoter(this.id);
  }

  /** Whether term, vote, entries or a snapshot changed since the last Ready (unwritten). */
  stateUnwritten(): boolean {
    return (
      this.log.unstableEntries.length > 0 ||
      this.log.unstableSnapshot !== undefined ||
      this.term !== this.writtenTerm ||
      this.vote !== this.writtenVote
    );
  }

  send(m: Message): void {
    assert(m.to !== this.id, `node ${this.id} sends ${messageTypeName(m.type)} to itself`);
    this.msgs.push(m);
  }

  /** Sends (or, to self, steps) `m` once the state it depends on is durable. */
  sendAfterPersist(m: Message): void {
    if (this.durability.hold(m, this.stateUnwritten())) return;
    this.route(m);
  }

  route(m: Message): void {
    if (m.to === this.id) this.step(m);
    else this.send(m);
  }

  tick(): void {
    if (this.role === Role.Leader) tickLeader(this);
    else tickElection(this);
  }

  campaign(): void {
    campaign(this);
  }

  propose(data: Uint8Array): { index: LogIndex; term: Term } {
    if (this.role !== Role.Leader) throw new NotLeaderError(this.lead);
    return proposeEntry(this, data);
  }

  readIndex(context: number): void {
    assert(Number.isSafeInteger(context) && context >= 0, 'read context must be a safe integer');
    if (this.role === Role.Leader) {
      readIndexOnLeader(this, { context, from: this.id });
      return;
    }
    if (this.lead === 0) throw new NotLeaderError(0);
    this.send({
      type: MessageType.ReadIndex,
      from: this.id,
      to: this.lead,
      term: this.term,
      context,
    });
  }

  step(m: Message): void {
    assert(m.to === this.id, `node ${this.id} got a message for ${m.to}`);
    if (m.term > this.term) {
      if (!this.#stepHigherTerm(m)) return;
    } else if (m.term < this.term) {
      this.#stepLowerTerm(m);
      return;
    }
    if (m.type === MessageType.Vote || m.type === MessageType.PreVote) {
      handleVoteRequest(this, m);
      return;
    }
    if (this.role === Role.Leader) stepLeader(this, m);
    else if (this.role === Role.Follower) stepFollower(this, m);
    else stepCandidate(this, m);
  }

  /** Returns whether to go on handling `m`. */
  #stepHigherTerm(m: Message): boolean {
    const isVote = m.type === MessageType.Vote || m.type === MessageType.PreVote;
    if (isVote && this.inLease()) {
      this.logger.debug(`${this.id} ignores ${messageTypeName(m.type)} from ${m.from}: in lease`);
      return false;
    }
    if (m.type === MessageType.PreVote) return true;
    if (m.type === MessageType.PreVoteResp && !m.reject) return true;
    const fromLeader =
      m.type === MessageType.Append ||
      m.type === MessageType.Heartbeat ||
      m.type === MessageType.Snapshot;
    this.becomeFollower(m.term, fromLeader ? m.from : 0);
    return true;
  }

  #stepLowerTerm(m: Message): void {
    const fromLeader = m.type === MessageType.Append || m.type === MessageType.Heartbeat;
    if ((this.cfg.checkQuorum || this.cfg.preVote) && fromLeader) {
      // A stale leader (e.g. after a partition) learns the new term and steps down.
      this.send({
        type: MessageType.AppendResp,
        from: this.id,
        to: m.from,
        term: this.term,
        index: logIndex(0),
        reject: false,
        rejectHint: logIndex(0),
        hintTerm: term(0),
      });
    } else if (m.type === MessageType.PreVote) {
      this.send({
        type: MessageType.PreVoteResp,
        from: this.id,
        to: m.from,
        term: this.term,
        reject: true,
      });
    }
  }

  /** A follower that heard from its leader within the election timeout (check-quorum lease). */
  inLease(): boolean {
    return (
      this.cfg.checkQuorum &&
      this.lead !== 0 &&
      this.electionElapsedTicks < this.cfg.electionTimeoutTicks
    );
  }

  reset(newTerm: Term): void {
    assert(newTerm >= this.term, `term moves back from ${this.term} to ${newTerm}`);
    if (newTerm !== this.term) {
      this.term = newTerm;
      this.vote = 0;
    }
    this.lead = 0;
    this.electionElapsedTicks = 0;
    this.heartbeatElapsedTicks = 0;
    const e = this.cfg.electionTimeoutTicks;
    this.randomizedElectionTimeoutTicks = e + Math.min(e - 1, Math.floor(this.cfg.random() * e));
    this.tracker.resetVotes();
    this.tracker.resetProgress(logIndex(this.log.lastIndex() + 1));
    this.readOnly.reset();
    this.readsAwaitingCommit = [];
    this.uncommittedBytes = 0;
    this.appendPending = false;
  }

  becomeFollower(newTerm: Term, lead: NodeId | 0): void {
    this.reset(newTerm);
    this.lead = lead;
    this.role = Role.Follower;
    this.logger.info(`${this.id} became follower at term ${this.term}, leader ${lead}`);
  }

  becomePreCandidate(): void {
    assert(this.role !== Role.Leader, 'a leader becomes pre-candidate');
    // Term and vote stay: a pre-vote changes no persistent state.
    this.tracker.resetVotes();
    this.lead = 0;
    this.role = Role.PreCandidate;
    this.logger.info(`${this.id} became pre-candidate at term ${this.term}`);
  }

  becomeCandidate(): void {
    assert(this.role !== Role.Leader, 'a leader becomes candidate');
    this.reset(term(this.term + 1));
    this.vote = this.id;
    this.role = Role.Candidate;
    this.logger.info(`${this.id} became candidate at term ${this.term}`);
  }

  becomeLeader(): void {
    assert(this.role === Role.Candidate, 'only a candidate becomes leader');
    this.reset(this.term);
    this.lead = this.id;
    this.role = Role.Leader;
    becomeLeaderState(this);
    this.logger.info(`${this.id} became leader at term ${this.term}`);
  }

  /** The caller reports writes up to `writeId` durable. */
  persisted(writeId: number): void {
    const { writes, released } = this.durability.markDurable(writeId);
    for (const w of writes) {
      if (w.lastIndex > 0) this.log.durableTo(w.lastIndex, w.lastTerm);
    }
    if (this.role === Role.Leader) leaderSelfDurable(this);
    for (const m of released) this.route(m);
  }
}
