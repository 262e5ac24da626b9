// Which local partitions the node-wide tick visits. Quiesced partitions are not ticked, but they
// must wake when a quiet leader's state-machine timer comes due (a TTL, a session expiry) or when
// a quiet follower's leader becomes unreachable (to elect). Asking every quiet partition that on
// every tick cost about 2 µs each on a slow hour of the benchmark VM (cold objects and a timer
// queue peek per partition): 2 % of a core at idle with 1,000 partitions, growing with their number.
// Here a quiet partition costs nothing per tick. A quiet leader waits in a heap, ordered by its
// earliest timer. A quiet follower waits in the set of its leader's node. A tick looks at the
// heap's top and at the reachability of each node that quiet followers wait on.
// Invariant: a partition is either awake or resting in exactly one of the two waits; a heap entry
// is live exactly while #rests maps its partition to it (stale ones are skipped, and dropped by a
// rebuild once they outnumber the live ones, so resting and waking again never grows the heap).

import { MinHeap, type NodeId, type PartitionId } from '../common/index.js';

/** A quiet leader's wait: woken once the clock reaches `deadline`. */
interface Alarm<P> {
  readonly partition: P;
  readonly deadline: number;
}

/**
 * How a quiet partition waits: a leader on its alarm, or for traffic alone when its state machine
 * has no timer; a follower on its leader's node.
 */
type Rest<P> = Alarm<P> | 'traffic' | NodeId;

export class RestingPartitions<P extends { readonly id: PartitionId }> {
  readonly #awake = new Set<P>();
  readonly #rests = new Map<P, Rest<P>>();
  readonly #followersOf = new Map<NodeId, Set<P>>();
  #alarms = new MinHeap<Alarm<P>>(earlier);
  #liveAlarms = 0;

  /** The partitions to tick, in the order they last woke; a tick may rest them while iterating. */
  get awake(): ReadonlySet<P> {
    return this.#awake;
  }

  /** A new partition starts awake. */
  add(partition: P): void {
    if (!this.#rests.has(partition)) this.#awake.add(partition);
  }

  /** A leader went quiet; `deadline` is its state machine's earliest timer, if it has one. */
  restAsLeader(partition: P, deadline: number | undefined): void {
    if (deadline === undefined) {
      this.#rest(partition, 'traffic');
      return;
    }
    const alarm: Alarm<P> = { partition, deadline };
    this.#rest(partition, alarm);
    this.#alarms.push(alarm);
    this.#liveAlarms++;
    this.#compact();
  }

  /** A follower went quiet on the quiesce heartbeat of `leader`. */
  restAsFollower(partition: P, leader: NodeId): void {
    this.#rest(partition, leader);
    let followers = this.#followersOf.get(leader);
    if (followers === undefined) {
      followers = new Set();
      this.#followersOf.set(leader, followers);
    }
    followers.add(partition);
  }

  /** Ticked again from now on; false when it was awake already. */
  wake(partition: P): boolean {
    if (!this.#unrest(partition)) return false;
    this.#awake.add(partition);
    return true;
  }

  /** The earliest deadline of a quiet leader's alarm; undefined when none waits on one. */
  nextAlarm(): number | undefined {
    return this.#liveTop()?.deadline;
  }

  /**
   * Wakes the quiet leaders whose alarm is due at `now`, earliest first, and the quiet followers
   * whose leader's node is not reachable; false when none woke.
   */
  wakeDue(now: number, reachable: (node: NodeId) => boolean): boolean {
    let woke = false;
    for (let top = this.#liveTop(); top !== undefined && top.deadline <= now; ) {
      this.#alarms.pop();
      woke = this.wake(top.partition) || woke;
      top = this.#liveTop();
    }
    for (const [leader, followers] of this.#followersOf) {
      if (reachable(leader)) continue;
      // wake() deletes from `followers` while this iterates it, which a Set allows.
      for (const partition of followers) woke = this.wake(partition) || woke;
    }
    return woke;
  }

  /** The heap's top after dropping stale alarms. */
  #liveTop(): Alarm<P> | undefined {
    for (let top = this.#alarms.peek(); top !== undefined; top = this.#alarms.peek()) {
      if (this.#rests.get(top.partition) === top) return top;
      this.#alarms.pop();
    }
    return undefined;
  }

  /** Out of the tick, resting as `rest` (an earlier rest of it ends). */
  #rest(partition: P, rest: Rest<P>): void {
    this.#unrest(partition);
    this.#awake.delete(partition);
    this.#rests.set(partition, rest);
  }

  /** Ends the partition's rest; false when it was not resting. */
  #unrest(partition: P): boolean {
    const rest = this.#rests.get(partition);
    if (rest === undefined) return false;
    this.#rests.delete(partition);
    if (typeof rest === 'number') {
      const followers = this.#followersOf.get(rest)!;
      followers.delete(partition);
      if (followers.size === 0) this.#followersOf.delete(rest);
    } else if (rest !== 'traffic') {
      this.#liveAlarms--;
    }
    return true;
  }

  #compact(): void {
    if (this.#alarms.size <= 2 * this.#liveAlarms + 64) return;
    const alarms = new MinHeap<Alarm<P>>(earlier);
    for (const rest of this.#rests.values()) {
      if (typeof rest === 'object') alarms.push(rest);
    }
    this.#alarms = alarms;
  }
}

/** (deadline, partition id): a total order, so partitions due together wake in id order. */
const earlier = <P extends { readonly id: PartitionId }>(a: Alarm<P>, b: Alarm<P>): boolean =>
  a.deadline < b.deadline || (a.deadline === b.deadline && a.partition.id < b.partition.id);
