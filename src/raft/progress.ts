import { assert, type LogIndex, logIndex } from '../common/index.js';
import { Inflights } from './inflights.js';

/**
 * How the leader sends to one follower. Probe: one Append at a time until the logs agree.
 * Replicate: optimistic pipelining within the inflight window. Snapshot: a snapshot is on its
 * way; nothing else is sent until the follower acknowledges it (or a timeout sends it back to
 * Probe).
 */
export const ProgressState = { Probe: 0, Replicate: 1, Snapshot: 2 } as const;
export type ProgressState = (typeof ProgressState)[keyof typeof ProgressState];

export const progressStateName = ['Probe', 'Replicate', 'Snapshot'] as const;

/** The leader's view of one follower (or of itself). */
export class Progress {
  // Invariant: match < next.
  match: LogIndex = logIndex(0);
  next: LogIndex;
  state: ProgressState = ProgressState.Probe;
  /** In Snapshot state: the index of the snapshot sent. */
  pendingSnapshot: LogIndex = logIndex(0);
  /** Ticks spent in Snapshot state; past the election timeout the snapshot counts as lost. */
  snapshotTicks = 0;
  /** Heard from since the last check-quorum round. */
  recentActive = false;
  /** In Probe state: a probe is outstanding, wait for its answer or a heartbeat answer. */
  msgAppFlowPaused = false;
  readonly inflights: Inflights;

  constructor(
    next: LogIndex,
    maxInflightMsgs: number,
    maxInflightBytes: number,
    readonly isLearner: boolean,
  ) {
    assert(next >= 1, 'Progress.next starts at 1 or above');
    this.next = next;
    this.inflights = new Inflights(maxInflightMsgs, maxInflightBytes);
  }

  becomeProbe(): void {
    const floor = this.state === ProgressState.Snapshot ? this.pendingSnapshot : 0;
    this.#reset(ProgressState.Probe);
    this.next = logIndex(Math.max(this.match, floor) + 1);
  }

  becomeReplicate(): void {
    this.#reset(ProgressState.Replicate);
    this.next = logIndex(this.match + 1);
  }

  becomeSnapshot(snapshotIndex: LogIndex): void {
    this.#reset(ProgressState.Snapshot);
    this.pendingSnapshot = snapshotIndex;
  }

  /** An acknowledgement of `index`: returns whether the match index moved. */
  maybeUpdate(index: LogIndex): boolean {
    let updated = false;
    if (this.match < index) {
      this.match = index;
      this.msgAppFlowPaused = false;
      updated = true;
    }
    if (this.next < index + 1) this.next = logIndex(index + 1);
    assert(this.match < this.next, 'Progress: match >= next');
    return updated;
  }

  /**
   * A rejection of the Append at `rejected`, with the follower's hint of the last index that may
   * match. Returns false when the rejection is stale (answers an older message).
   */
  maybeDecrTo(rejected: LogIndex, matchHint: LogIndex): boolean {
    if (this.state === ProgressState.Replicate) {
      if (rejected <= this.match) return false;
      this.next = logIndex(this.match + 1);
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = logIndex(Math.max(Math.min(rejected, matchHint + 1), this.match + 1));
    this.msgAppFlowPaused = false;
    assert(this.match < this.next, 'Progress: match >= next after back-off');
    return true;
  }

  /** Records an Append of `count` entries (`bytes` of data) ending at `lastIndex`. */
  sentEntries(count: number, bytes: number, lastIndex: LogIndex): void {
    if (this.state === ProgressState.Replicate) {
      if (count > 0) {
        this.next = logIndex(lastIndex + 1);
        this.inflights.add(lastIndex, bytes);
      }
    } else {
      assert(this.state === ProgressState.Probe, 'Append sent in Snapshot state');
      this.msgAppFlowPaused = true;
    }
  }

  isPaused(): boolean {
    if (this.state === ProgressState.Probe) return this.msgAppFlowPaused;
    if (this.state === ProgressState.Replicate) return this.inflights.full();
    return true;
  }

  #reset(state: ProgressState): void {
    this.state = state;
    this.msgAppFlowPaused = false;
    this.pendingSnapshot = logIndex(0);
    this.snapshotTicks = 0;
    this.inflights.reset();
  }
}
