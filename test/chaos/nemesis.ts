// The nemesis of a chaos run: from a seed, a schedule of faults on real processes and their links,
// each applied, held and healed in turn. Every action is logged with its time, so a failing run
// says what happened to the cluster.

import { discover } from '../../src/client/index.js';
import type { NodeId, Prng } from '../../src/common/index.js';
import type { ProcessCluster } from '../process/process-cluster.js';
import type { ChaosNetwork } from './network.js';

export const nemesisKinds = ['kill', 'pause', 'partition', 'clock', 'disk'] as const;
export type NemesisKind = (typeof nemesisKinds)[number];

export interface NemesisOptions {
  readonly cluster: ProcessCluster;
  readonly network: ChaosNetwork;
  readonly random: Prng;
  readonly kinds: readonly NemesisKind[];
  /** Milliseconds since the run started. */
  readonly now: () => number;
  /** Large values while true: the disk nemesis kills a node in the middle of heavy writes. */
  readonly heavyWrites: (on: boolean) => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class Nemesis {
  readonly #o: NemesisOptions;
  readonly schedule: string[] = [];
  faults = 0;
  /** When the last fault was healed, or everything (ms since the start). */
  lastHealedAt = 0;
  readonly #paused = new Set<NodeId>();

  constructor(options: NemesisOptions) {
    this.#o = options;
  }

  /** Faults, one after another, until `untilMs`; everything is healed when it returns. */
  async run(untilMs: number): Promise<void> {
    const { random } = this.#o;
    while (this.#o.now() < untilMs) {
      await sleep(random.int(1_000, 3_000));
      if (this.#o.now() >= untilMs) break;
      const kind = random.pick(this.#o.kinds);
      this.faults++;
      await this.#fault(kind, random.int(2_000, 5_000));
      this.lastHealedAt = this.#o.now();
    }
  }

  /** Heals everything: links, paused and stopped nodes (restarted without a skewed clock). */
  async healAll(): Promise<void> {
    const { cluster, network } = this.#o;
    network.heal();
    for (const id of this.#paused) this.#signal(id, 'SIGCONT');
    this.#paused.clear();
    for (const id of cluster.ids) if (!cluster.running(id)) cluster.spawn(id);
    this.lastHealedAt = this.#o.now();
    this.#log('healed everything');
  }

  async #fault(kind: NemesisKind, holdMs: number): Promise<void> {
    const { cluster, network, random } = this.#o;
    const ids = cluster.ids;
    switch (kind) {
      case 'kill': {
        const victim = random.chance(0.5) ? await this.#someLeader() : random.pick(ids);
        this.#log(`kill -9 node ${victim}`);
        await cluster.stop(victim, 'SIGKILL');
        await sleep(holdMs);
        this.#log(`restart node ${victim}`);
        cluster.spawn(victim);
        return;
      }
      case 'pause': {
        const victim = random.pick(ids);
        this.#log(`SIGSTOP node ${victim}`);
        this.#signal(victim, 'SIGSTOP');
        this.#paused.add(victim);
        await sleep(holdMs);
        this.#log(`SIGCONT node ${victim}`);
        this.#signal(victim, 'SIGCONT');
        this.#paused.delete(victim);
        return;
      }
      case 'partition': {
        const shuffled = shuffle(random, ids);
        const mode = random.pick(['halves', 'isolate-leader', 'bridge', 'one-way'] as const);
        switch (mode) {
          case 'halves': {
            const cut = Math.floor(ids.length / 2);
            const groups = [shuffled.slice(0, cut), shuffled.slice(cut)];
            this.#log(`partition ${groups.map((g) => `[${g.join(',')}]`).join(' | ')}`);
            network.partition(groups);
            break;
          }
          case 'isolate-leader': {
            const leader = await this.#someLeader();
            this.#log(`isolate leader ${leader}`);
            network.partition([[leader], ids.filter((id) => id !== leader)]);
            break;
          }
          case 'bridge': {
            // Two sides that cannot see each other, and one node that sees both.
            const [bridge, ...rest] = shuffled as [NodeId, ...NodeId[]];
            const half = Math.ceil(rest.length / 2);
            const [a, b] = [rest.slice(0, half), rest.slice(half)];
            this.#log(`bridge ${bridge} between [${a.join(',')}] and [${b.join(',')}]`);
            for (const x of a) for (const y of b) network.partition([[x], [y]]);
            break;
          }
          case 'one-way': {
            const [from, to] = shuffled as [NodeId, NodeId];
            this.#log(`cut ${from} → ${to} (one way)`);
            network.cut(from, to);
            break;
          }
        }
        await sleep(holdMs);
        this.#log('heal the network');
        network.heal();
        return;
      }
      case 'clock': {
        const victim = random.pick(ids);
        const skew = random.pick([-1, 1]) * random.int(1_000, 20_000);
        this.#log(`restart node ${victim} with its clock ${skew} ms off`);
        await cluster.stop(victim, 'SIGKILL');
        cluster.spawn(victim, { MULTIRAFT_TEST_CLOCK_SKEW_MS: String(skew) });
        await sleep(holdMs * 2);
        this.#log(`restart node ${victim} with a true clock`);
        await cluster.stop(victim, 'SIGKILL');
        cluster.spawn(victim);
        return;
      }
      case 'disk': {
        const victim = random.pick(ids);
        this.#log('heavy writes (64 KiB values)');
        this.#o.heavyWrites(true);
        await sleep(random.int(500, 1_500));
        this.#log(`kill -9 node ${victim} during heavy writes`);
        await cluster.stop(victim, 'SIGKILL');
        this.#o.heavyWrites(false);
        await sleep(holdMs);
        this.#log(`restart node ${victim}`);
        cluster.spawn(victim);
        return;
      }
    }
  }

  /** The leader of some partition, as the Cluster service reports it; a random node if none. */
  async #someLeader(): Promise<NodeId> {
    const { cluster, random } = this.#o;
    const endpoints = cluster.ids
      .filter((id) => cluster.running(id) && !this.#paused.has(id))
      .map((id) => cluster.apiAddresses().get(id)!);
    try {
      const shape = await discover(endpoints, { timeoutMs: 2_000 });
      const leaders = [...shape.leaders.values()];
      if (leaders.length > 0) return random.pick(leaders);
    } catch {
      // No node answered: any node will do.
    }
    return random.pick(cluster.ids);
  }

  #signal(id: NodeId, signal: NodeJS.Signals): void {
    const pid = this.#o.cluster.pid(id);
    if (pid !== undefined) process.kill(pid, signal);
  }

  #log(what: string): void {
    this.schedule.push(`${(this.#o.now() / 1000).toFixed(1)} s: ${what}`);
  }
}

function shuffle<T>(random: Prng, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = random.below(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
