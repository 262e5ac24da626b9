import { assert, type LogIndex, type NodeId } from '../common/index.js';
import type { ConfState } from './log-types.js';
import { Progress } from './progress.js';
import { committedIndex, VoteResult, voteResult } from './quorum.js';

/** The membership and, on a leader, the progress of every member; votes of a campaign. */
export class ProgressTracker {
  // Invariant: voters and learners are disjoint; progress has exactly their ids.
  #conf: ConfState;
  readonly progress = new Map<NodeId, Progress>();
  readonly votes = new Map<NodeId, boolean>();

  constructor(
    conf: ConfState,
    readonly maxInflightMsgs: number,
    readonly maxInflightBytes: number,
  ) {
    this.#conf = conf;
    this.setConf(conf);
  }

  get conf(): ConfState {
    return this.#conf;
  }

  get voters(): readonly NodeId[] {
    return this.#conf.voters;
  }

  setConf(conf: ConfState): void {
    const voters = new Set(conf.voters);
    assert(voters.size === conf.voters.length, 'duplicate voter');
    for (const id of conf.learners) assert(!voters.has(id), `node ${id} is voter and learner`);
    this.#conf = { voters: [...conf.voters], learners: [...conf.learners] };
    this.resetProgress(1 as LogIndex);
  }

  isVoter(id: NodeId): boolean {
    return this.#conf.voters.includes(id);
  }

  /** Fresh progress for every member: next = `next`, match 0, Probe. */
  resetProgress(next: LogIndex): void {
    this.progress.clear();
    for (const id of this.#conf.voters) this.progress.set(id, this.#newProgress(next, false));
    for (const id of this.#conf.learners) this.progress.set(id, this.#newProgress(next, true));
  }

  get(id: NodeId): Progress | undefined {
    return this.progress.get(id);
  }

  /** The largest index matched by a majority of voters. */
  committed(): LogIndex {
    return committedIndex(
      this.#conf.voters,
      (id) => this.progress.get(id)?.match ?? (0 as LogIndex),
    );
  }

  resetVotes(): void {
    this.votes.clear();
  }

  recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  voteResult(): VoteResult {
    return voteResult(this.#conf.voters, this.votes);
  }

  /** Whether a majority of voters (self counted as active) was heard from recently. */
  quorumActive(self: NodeId): boolean {
    const active = new Map<NodeId, boolean>();
    for (const id of this.#conf.voters) {
      active.set(id, id === self || this.progress.get(id)?.recentActive === true);
    }
    return voteResult(this.#conf.voters, active) === VoteResult.Won;
  }

  resetRecentActive(self: NodeId): void {
    for (const [id, pr] of this.progress) pr.recentActive = id === self;
  }

  #newProgress(next: LogIndex, isLearner: boolean): Progress {
    return new Progress(next, this.maxInflightMsgs, this.maxInflightBytes, isLearner);
  }
}
