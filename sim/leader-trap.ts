// A nemesis fault that watches leaders instead of the clock and plays the schedule of figure 8 of
// the Raft paper on one partition. It isolates (alone, healing whoever it isolated before):
//   1. the leader right after its commit index moves: it goes on appending commands of clients
//      that no one else gets;
//   2. the next leader right after it wins: its first entry, of a later term, stays on it alone;
//   3. the leader after that right after its commit index first moves;
// and heals everything right after the commit index of the next leader first moves.
// The leader of step 3 is often the one of step 1, repairing a follower with its old entries; the
// leader of step 2, whose last term is newer than those, then wins with that follower's vote and
// overwrites them. A Raft that commits an entry of an earlier term by counting replicas committed
// what is overwritten; a correct one commits only through an entry of its own term, which that
// follower never got. Healing at once makes the leader of step 3 learn of it before a snapshot
// could paper over its log.

import type { NodeId, PartitionId } from '../src/common/index.js';
import type { SimNetwork } from './network.js';
import type { Scheduler } from './scheduler.js';
import type { SimNode } from './sim-node.js';
import type { Wire } from './wire.js';

/** The moment of each step; each step's leader is of a later term than the previous one's. */
const moments = ['commit', 'win', 'commit', 'commit'] as const;

/** How long after the heal a replica's log may still differ from the leader's. */
const repairMs = 3_000;

export class LeaderTrap {
  readonly #scheduler: Scheduler;
  readonly #network: SimNetwork<Wire>;
  readonly #nodes: ReadonlyMap<NodeId, SimNode>;
  readonly #trace: (line: string) => void;
  #partition: PartitionId | undefined;
  // Invariant: 0 <= step <= moments.length; at moments.length the trap is idle.
  #step: number = moments.length;
  /** Which arming a scheduled end belongs to: an earlier trap's must not end this one. */
  #armings = 0;
  /** Until when a replica of the partition may have applied what was never truly committed. */
  #suspectUntilMs = 0;
  #termIsolated = 0;
  /** The leader awaiting a 'commit' moment, as first seen. */
  #watched: { node: NodeId; term: number; commit: number } | undefined;

  constructor(
    scheduler: Scheduler,
    network: SimNetwork<Wire>,
    nodes: ReadonlyMap<NodeId, SimNode>,
    trace: (line: string) => void,
  ) {
    this.#scheduler = scheduler;
    this.#network = network;
    this.#nodes = nodes;
    this.#trace = trace;
  }

  /** While armed the schedule needs the cluster to itself: elections that other faults spoil. */
  get armed(): boolean {
    return this.#step < moments.length;
  }

  /** Plays the schedule on `partition`; if it has not finished within `windowMs`, heals. */
  arm(partition: PartitionId, windowMs: number): void {
    this.#partition = partition;
    this.#step = 0;
    this.#suspectUntilMs = 0;
    this.#termIsolated = 0;
    this.#watched = undefined;
    const arming = ++this.#armings;
    this.#scheduler.after(windowMs, () => {
      if (arming !== this.#armings || !this.armed) return;
      this.#end();
      this.#network.heal();
      this.#trace(`t=${this.#scheduler.now} healed: leader trap (window over)`);
    });
  }

  disarm(): void {
    this.#end();
  }

  /**
   * The partition whose replicas may hold an applied entry that was never truly committed: from
   * the isolation of the third leader (which may have committed by counting replicas) until a
   * while after the heal, by when a leader has repaired them.
   */
  get suspect(): PartitionId | undefined {
    return this.#scheduler.now < this.#suspectUntilMs ? this.#partition : undefined;
  }

  #end(): void {
    if (this.armed && this.#step > 2) this.#suspectUntilMs = this.#scheduler.now + repairMs;
    this.#step = moments.length;
  }

  /** Called after every ready loop of a node: where a leader's win or commit shows first. */
  observe(node: SimNode): void {
    if (!this.armed || this.#partition === undefined) return;
    const replica = node.replicas().get(this.#partition);
    if (replica === undefined || !replica.isLeader) return;
    const { term, commit } = replica.status();
    if (term <= this.#termIsolated) return;
    if (moments[this.#step] === 'commit') {
      const w = this.#watched;
      if (w === undefined || w.node !== node.id || w.term !== term) {
        this.#watched = { node: node.id, term, commit };
        return;
      }
      if (commit === w.commit) return;
    }
    this.#network.heal();
    const last = this.#step === moments.length - 1;
    const what = last ? 'heal all' : `isolate leader ${node.id}`;
    if (!last) {
      // Messages in flight are cut at arrival: what the leader just sent reaches no one.
      const others = [...this.#nodes.keys()].filter((id) => id !== node.id);
      this.#network.partition([[node.id], others]);
    }
    this.#trace(
      `t=${this.#scheduler.now} trap on partition ${this.#partition}: ${what} at the ` +
        `${moments[this.#step]} of leader ${node.id} in term ${term}`,
    );
    this.#termIsolated = term;
    this.#watched = undefined;
    this.#step++;
    if (this.#step === 3) this.#suspectUntilMs = Number.POSITIVE_INFINITY;
    if (!this.armed) this.#suspectUntilMs = this.#scheduler.now + repairMs;
  }
}
