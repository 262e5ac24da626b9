// The simulator's fault schedule, drawn from the seed: crashes with restarts, symmetric and
// asymmetric network partitions (including isolating a leader), leader churn, leader traps,
// slow disks, whole-cluster power loss, network storms (loss, duplication, long delays) and clock
// jumps.
// Apart from a power loss, at most a minority of nodes is down at once, so the cluster can make
// progress between faults; every fault heals by itself, and all heal at the end.

import type { NodeId, PartitionId, Prng } from '../src/common/index.js';
import { LeaderTrap } from './leader-trap.js';
import type { NetworkFaults, SimNetwork } from './network.js';
import type { Scheduler } from './scheduler.js';
import type { SimNode } from './sim-node.js';
import type { Wire } from './wire.js';

export interface NemesisOptions {
  readonly scheduler: Scheduler;
  readonly random: Prng;
  readonly network: SimNetwork<Wire>;
  readonly nodes: ReadonlyMap<NodeId, SimNode>;
  readonly partitions: readonly PartitionId[];
  readonly trace: (line: string) => void;
}

const storm: NetworkFaults = { delayMsMin: 1, delayMsMax: 60, lossRate: 0.2, duplicateRate: 0.1 };

export class Nemesis {
  readonly #o: NemesisOptions;
  readonly #trap: LeaderTrap;
  count = 0;

  constructor(options: NemesisOptions) {
    this.#o = options;
    const { scheduler, network, nodes, trace } = options;
    this.#trap = new LeaderTrap(scheduler, network, nodes, trace);
  }

  /** A partition whose replicas a leader trap may have left with diverging applied states. */
  get suspect(): PartitionId | undefined {
    return this.#trap.suspect;
  }

  /** Called after every ready loop of a node (the leader trap acts at such moments). */
  observe(node: SimNode): void {
    this.#trap.observe(node);
  }

  /** Schedules faults from `fromMs` until `untilMs`. */
  run(fromMs: number, untilMs: number): void {
    const { scheduler, random } = this.#o;
    let at = fromMs;
    for (;;) {
      at += random.int(300, 2_500);
      if (at >= untilMs) return;
      const fault = random.int(0, 9);
      const lengthMs = random.int(200, 3_000);
      scheduler.after(at - scheduler.now, () => this.#inject(fault, lengthMs));
    }
  }

  healAll(): void {
    this.#trap.disarm();
    this.#o.network.heal();
    for (const node of this.#o.nodes.values()) node.start();
  }

  #inject(fault: number, lengthMs: number): void {
    const { scheduler, random, network, nodes, trace } = this.#o;
    // A leader trap plays out over several elections that any other fault would spoil.
    if (this.#trap.armed) return;
    const ids = [...nodes.keys()];
    const victim = this.#victim();
    const later = (what: string, undo: () => void) => {
      this.count++;
      trace(`t=${scheduler.now} fault: ${what} for ${lengthMs} ms`);
      scheduler.after(lengthMs, () => {
        undo();
        trace(`t=${scheduler.now} healed: ${what}`);
      });
    };
    switch (fault) {
      case 0:
      case 1: {
        const down = [...nodes.values()].filter((n) => !n.up).length;
        if (down >= Math.floor((ids.length - 1) / 2)) return;
        nodes.get(victim)?.crash();
        return later(`crash node ${victim}`, () => nodes.get(victim)?.start());
      }
      case 2: {
        const others = ids.filter((id) => id !== victim);
        network.partition([[victim], others]);
        return later(`isolate node ${victim}`, () => network.heal());
      }
      case 3: {
        const to = random.pick(ids.filter((id) => id !== victim));
        network.cut(victim, to);
        return later(`cut ${victim} -> ${to}`, () => network.heal());
      }
      case 4: {
        const before = network.faults;
        network.faults = storm;
        return later('network storm', () => {
          network.faults = before;
        });
      }
      case 6:
        this.count++;
        trace(`t=${scheduler.now} fault: leader churn for ${lengthMs} ms`);
        return this.#churn(scheduler.now + lengthMs);
      case 7: {
        const node = nodes.get(victim);
        if (node === undefined) return;
        const [min, max] = node.fsyncLatency;
        node.setFsyncLatency(50, 400);
        return later(`slow disk on node ${victim}`, () => node.setFsyncLatency(min, max));
      }
      case 8:
        // Power loss of the whole cluster: every unsynced tail is lost or torn at once.
        for (const node of nodes.values()) node.crash();
        return later('power loss of every node', () => {
          for (const node of nodes.values()) node.start();
        });
      case 9: {
        // The schedule takes three elections (1–2 s each) and a fourth to overwrite entries.
        const windowMs = 4_000 + 2 * lengthMs;
        const partition = random.pick(this.#o.partitions);
        this.count++;
        trace(`t=${scheduler.now} fault: leader trap on partition ${partition} for ${windowMs} ms`);
        return this.#trap.arm(partition, windowMs);
      }
      default: {
        const jump = random.int(-2_000, 2_000);
        const node = nodes.get(victim);
        if (node === undefined) return;
        node.clockOffsetMs += jump;
        this.count++;
        trace(`t=${scheduler.now} fault: clock of node ${victim} jumps ${jump} ms`);
      }
    }
  }

  /**
   * Isolates whoever leads, again and again, often right after it won: terms end with their
   * entries on a minority, the pattern behind the Raft paper's figure 8.
   */
  #churn(untilMs: number): void {
    const { scheduler, random, network, nodes } = this.#o;
    network.heal();
    if (scheduler.now >= untilMs) return;
    const leader = this.#victim(1);
    const others = [...nodes.keys()].filter((id) => id !== leader);
    network.partition([[leader], others]);
    scheduler.after(random.int(20, 300), () => this.#churn(untilMs));
  }

  /** A leader half of the time (the interesting target), else any node. */
  #victim(leaderChance = 0.5): NodeId {
    const { random, nodes } = this.#o;
    if (random.chance(leaderChance)) {
      for (const node of nodes.values()) {
        for (const replica of node.replicas().values()) if (replica.isLeader) return node.id;
      }
    }
    return random.pick([...nodes.keys()]);
  }
}
