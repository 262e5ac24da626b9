// The simulated network between nodes: every message is delayed by a random amount, may be lost or
// duplicated, and so arrives reordered; links can be cut in one direction (asymmetric partitions)
// or both. All randomness comes from the simulator's seed.

import type { NodeId, Prng } from '../src/common/index.js';
import type { Scheduler } from './scheduler.js';

export interface NetworkFaults {
  /** Delivery delay in ms, uniform in [min, max]. */
  readonly delayMsMin: number;
  readonly delayMsMax: number;
  /** Probability a message is lost. */
  readonly lossRate: number;
  /** Probability a message is delivered twice. */
  readonly duplicateRate: number;
}

export const calmNetwork: NetworkFaults = {
  delayMsMin: 1,
  delayMsMax: 3,
  lossRate: 0,
  duplicateRate: 0,
};

export interface NetworkStats {
  sent: number;
  delivered: number;
  lost: number;
  duplicated: number;
  cut: number;
}

export class SimNetwork<M> {
  readonly #scheduler: Scheduler;
  readonly #random: Prng;
  readonly #deliver: (from: NodeId, to: NodeId, message: M) => void;
  /** Directed links that drop everything: `${from}>${to}`. */
  readonly #cuts = new Set<string>();
  faults: NetworkFaults = calmNetwork;
  readonly stats: NetworkStats = { sent: 0, delivered: 0, lost: 0, duplicated: 0, cut: 0 };

  constructor(
    scheduler: Scheduler,
    random: Prng,
    deliver: (from: NodeId, to: NodeId, message: M) => void,
  ) {
    this.#scheduler = scheduler;
    this.#random = random;
    this.#deliver = deliver;
  }

  send(from: NodeId, to: NodeId, message: M): void {
    this.stats.sent++;
    if (this.#random.chance(this.faults.lossRate)) {
      this.stats.lost++;
      return;
    }
    const copies = this.#random.chance(this.faults.duplicateRate) ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    for (let i = 0; i < copies; i++) {
      const delay = this.#random.int(this.faults.delayMsMin, this.faults.delayMsMax);
      this.#scheduler.after(delay, () => {
        // A cut applies to messages in flight too: they are lost at arrival.
        if (this.#cuts.has(`${from}>${to}`)) {
          this.stats.cut++;
          return;
        }
        this.stats.delivered++;
        this.#deliver(from, to, message);
      });
    }
  }

  /** Drops every message from `from` to `to` until healed. */
  cut(from: NodeId, to: NodeId): void {
    this.#cuts.add(`${from}>${to}`);
  }

  /** Separates the groups: no message crosses between them, in either direction. */
  partition(groups: readonly (readonly NodeId[])[]): void {
    for (const a of groups) {
      for (const b of groups) {
        if (a === b) continue;
        for (const from of a) for (const to of b) this.cut(from, to);
      }
    }
  }

  isCut(from: NodeId, to: NodeId): boolean {
    return this.#cuts.has(`${from}>${to}`);
  }

  heal(): void {
    this.#cuts.clear();
  }
}
