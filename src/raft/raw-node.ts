import { assert, type LogIndex, logIndex, type NodeId, type Term, term } from '../common/index.js';
import type { RaftConfig } from './config.js';
import { flushLeader } from './leader.js';
import type { ConfState, Entry, HardState, Snapshot } from './log-types.js';
import type { Message } from './message.js';
import type { ProgressState } from './progress.js';
import { canRestAsFollower, quiesce } from './quiesce.js';
import { Raft, type ReadState, Role } from './raft.js';
import { entriesBytes } from './raft-log.js';

export { type ReadState, Role } from './raft.js';

/** Who leads and what this node is; in a Ready only when it changed. */
export interface SoftState {
  readonly leader: NodeId | 0;
  readonly role: Role;
}

/**
 * What the caller must do, in this order: write `snapshot`, `entries` (replacing any suffix of
 * the stored log from entries[0].index) and `hardState` to Storage (readable at once, durable
 * later); send `messages`; install `snapshot` in the state machine, apply `committedEntries`;
 * serve `readStates` once applied up to their index; then call advance().
 */
export interface Ready {
  readonly softState: SoftState | undefined;
  /** Changed hard state to persist (term, vote, commit). */
  readonly hardState: HardState | undefined;
  /** Entries to persist. */
  readonly entries: readonly Entry[];
  /** A snapshot received from the leader, to persist and install. */
  readonly snapshot: Snapshot | undefined;
  /** Committed entries to apply, in order (only entries already handed to Storage). */
  readonly committedEntries: readonly Entry[];
  /** Messages to send now (before this Ready's write is durable). */
  readonly messages: readonly Message[];
  /** ReadIndex requests released: serve each once applied up to its index. */
  readonly readStates: readonly ReadState[];
  /**
   * The id of this Ready's write (hardState, entries, snapshot), 0 when there is nothing to
   * persist. Report it to persisted() once durable.
   */
  readonly writeId: number;
}

export interface ProgressStatus {
  readonly match: LogIndex;
  readonly next: LogIndex;
  readonly state: ProgressState;
  readonly inflightMsgs: number;
  readonly isLearner: boolean;
}

export interface Status {
  readonly id: NodeId;
  readonly term: Term;
  readonly vote: NodeId | 0;
  readonly leader: NodeId | 0;
  readonly role: Role;
  readonly commit: LogIndex;
  readonly applied: LogIndex;
  readonly lastIndex: LogIndex;
  readonly durableIndex: LogIndex;
  readonly conf: ConfState;
  /** On the leader: every member's progress. */
  readonly progress: ReadonlyMap<NodeId, ProgressStatus> | undefined;
}

/**
 * One Raft node, pure: time moves through tick(), input through step(), propose() and
 * readIndex(); output through ready()/advance(). No I/O, no clock, randomness from config.random.
 *
 * Durability contract. ready() hands out what to write; the caller writes it to Storage before
 * advance() (so it is readable through Storage at once) and reports durability later, in order,
 * with persisted(writeId) (one fsync may cover the writes of many Readies and many groups). The
 * caller may take further Readies before earlier writes are durable. Raft guarantees:
 * - a leader's Append messages leave in the same Ready as its own entries (before durable);
 * - the leader counts itself toward the commit index only up to its durable log;
 * - a follower's acknowledgement of entries or of a snapshot, and any vote grant (including a
 *   candidate's vote for itself), are held back and appear in a later Ready only after the write
 *   holding what they promise (entries, snapshot, term and vote) is reported durable.
 * ready() and advance() come in pairs, with no other call in between.
 *
 * ReadIndex: the context is a caller-chosen safe integer id (0 allowed), echoed in ReadState.
 */
export class RawNode {
  readonly #raft: Raft;
  #prevSoft: SoftState;
  #prevHard: HardState;
  #pending: Ready | undefined;

  constructor(config: RaftConfig) {
    this.#raft = new Raft(config);
    this.#prevSoft = this.#softState();
    this.#prevHard = this.#raft.hardState();
  }

  get id(): NodeId {
    return this.#raft.id;
  }

  tick(): void {
    this.#notInReady();
    this.#raft.tick();
    this.#raft.checkInvariants();
  }

  /**
   * On an idle leader: sends the group's last heartbeat, marked quiesce, and returns true; the
   * caller then stops ticking this group until traffic arrives. False when not idle.
   */
  quiesce(): boolean {
    this.#notInReady();
    return quiesce(this.#raft);
  }

  /** Whether a follower that got a quiesce heartbeat from `leader` may stop ticking. */
  canRest(leader: NodeId): boolean {
    return canRestAsFollower(this.#raft, leader);
  }

  /** Starts an election now (as if the election timeout had passed). */
  campaign(): void {
    this.#notInReady();
    this.#raft.campaign();
    this.#raft.checkInvariants();
  }

  step(message: Message): void {
    this.#notInReady();
    this.#raft.step(message);
    this.#raft.checkInvariants();
  }

  /**
   * Appends `data` on the leader; returns its index and term (it is committed if an entry with
   * that index and term is applied). Throws NotLeaderError (with the leader hint),
   * EntryTooLargeError or UncommittedLimitError; each means the proposal did not happen.
   */
  propose(data: Uint8Array): { index: LogIndex; term: Term } {
    this.#notInReady();
    return this.#raft.propose(data);
  }

  /**
   * Asks for a linearizable read index for `context`. The answer arrives as a ReadState in a
   * later Ready; a follower forwards to its leader. Throws NotLeaderError when no leader is
   * known, ReadLimitError beyond maxPendingReads. A read lost with a leader change is not
   * answered: the caller times out and retries.
   */
  readIndex(context: number): void {
    this.#notInReady();
    this.#raft.readIndex(context);
  }

  /** Writes up to `writeId` (from Ready.writeId) are durable. */
  persisted(writeId: number): void {
    this.#notInReady();
    this.#raft.persisted(writeId);
    this.#raft.checkInvariants();
  }

  hasReady(): boolean {
    const r = this.#raft;
    flushLeader(r);
    if (r.msgs.length > 0 || r.readStates.length > 0) return true;
    if (r.stateUnwritten() || !hardStateEqual(r.hardState(), this.#prevHard)) return true;
    if (!softStateEqual(this.#softState(), this.#prevSoft)) return true;
    return r.log.hasNextCommittedEntries();
  }

  ready(): Ready {
    this.#notInReady();
    const r = this.#raft;
    flushLeader(r);
    const soft = this.#softState();
    const hard = r.hardState();
    const hardChanged = !hardStateEqual(hard, this.#prevHard);
    const entries = r.log.unstableEntries;
    const snapshot = r.log.unstableSnapshot;
    const needsWrite = hardChanged || entries.length > 0 || snapshot !== undefined;
    const rd: Ready = {
      softState: softStateEqual(soft, this.#prevSoft) ? undefined : soft,
      hardState: hardChanged ? hard : undefined,
      entries: [...entries],
      snapshot,
      committedEntries: r.log.nextCommittedEntries(r.cfg.maxApplyBytes),
      messages: r.msgs,
      readStates: r.readStates,
      writeId: needsWrite ? this.#newWrite(entries, snapshot) : 0,
    };
    r.msgs = [];
    r.readStates = [];
    r.writtenTerm = hard.term;
    r.writtenVote = hard.vote;
    this.#prevSoft = soft;
    this.#prevHard = hard;
    this.#pending = rd;
    return rd;
  }

  /** The caller has written, sent and applied the last Ready. */
  advance(): void {
    const rd = this.#pending;
    assert(rd !== undefined, 'advance() without ready()');
    this.#pending = undefined;
    const r = this.#raft;
    r.log.stableAll();
    if (rd.snapshot) r.log.appliedTo(rd.snapshot.meta.index);
    const lastApplied = rd.committedEntries[rd.committedEntries.length - 1];
    if (lastApplied) {
      r.log.appliedTo(lastApplied.index);
      if (r.role === Role.Leader) {
        r.uncommittedBytes = Math.max(0, r.uncommittedBytes - entriesBytes(rd.committedEntries));
      }
    }
  }

  status(): Status {
    const r = this.#raft;
    let progress: Map<NodeId, ProgressStatus> | undefined;
    if (r.role === Role.Leader) {
      progress = new Map();
      for (const [id, pr] of r.tracker.progress) {
        const { match, next, state, isLearner } = pr;
        progress.set(id, { match, next, state, isLearner, inflightMsgs: pr.inflights.count });
      }
    }
    return {
      id: r.id,
      term: r.term,
      vote: r.vote,
      leader: r.lead,
      role: r.role,
      commit: r.log.committed,
      applied: r.log.applied,
      lastIndex: r.log.lastIndex(),
      durableIndex: r.log.durableIndex,
      conf: r.tracker.conf,
      progress,
    };
  }

  #newWrite(entries: readonly Entry[], snapshot: Snapshot | undefined): number {
    const last = entries[entries.length - 1];
    if (last) return this.#raft.durability.newWrite(last.index, last.term);
    if (snapshot) return this.#raft.durability.newWrite(snapshot.meta.index, snapshot.meta.term);
    return this.#raft.durability.newWrite(logIndex(0), term(0));
  }

  #softState(): SoftState {
    return { leader: this.#raft.lead, role: this.#raft.role };
  }

  #notInReady(): void {
    assert(this.#pending === undefined, 'call advance() before anything else after ready()');
  }
}

function hardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

function softStateEqual(a: SoftState, b: SoftState): boolean {
  return a.leader === b.leader && a.role === b.role;
}
