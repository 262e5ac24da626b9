// The links of a chaos cluster: a LinkProxy for every pair of nodes, on the path the lower id
// dials, and the faults of the nemesis expressed on them (partitions, one-way cuts, delay, loss).

import type { NodeId, Prng } from '../../src/common/index.js';
import { LinkProxy } from '../process/link-proxy.js';

export class ChaosNetwork {
  readonly #links = new Map<string, LinkProxy>();
  readonly #ids: readonly NodeId[];

  private constructor(ids: readonly NodeId[]) {
    this.#ids = ids;
  }

  /** A proxy for every pair, towards the higher id's peer port. */
  static async start(peerPorts: ReadonlyMap<NodeId, number>, random: Prng): Promise<ChaosNetwork> {
    const ids = [...peerPorts.keys()].sort((a, b) => a - b);
    const network = new ChaosNetwork(ids);
    for (const low of ids) {
      for (const high of ids) {
        if (high <= low) continue;
        network.#links.set(`${low}-${high}`, await LinkProxy.start(peerPorts.get(high)!, random));
      }
    }
    return network;
  }

  /**
   * The `--peers` of node `id`: the others it dials (higher ids) through their link's proxy;
   * itself and the lower ids (which dial it) at their real ports.
   */
  peersFlag(id: NodeId, real: ReadonlyMap<NodeId, { peer: number; api: number }>): string {
    const entries = this.#ids.map((other) => {
      const { peer, api } = real.get(other)!;
      const port = other > id ? this.#link(id, other).port : peer;
      return `${other}=127.0.0.1:${port}/${api}`;
    });
    return `--peers=${entries.join(',')}`;
  }

  /** Nodes in different groups cannot reach each other (both directions lose everything). */
  partition(groups: readonly (readonly NodeId[])[]): void {
    const groupOf = new Map<NodeId, number>();
    groups.forEach((group, i) => {
      for (const id of group) groupOf.set(id, i);
    });
    for (const a of this.#ids) {
      for (const b of this.#ids) {
        if (b <= a || groupOf.get(a) === groupOf.get(b)) continue;
        this.cut(a, b);
        this.cut(b, a);
      }
    }
  }

  /** Messages from `from` to `to` are lost; the other direction still passes. */
  cut(from: NodeId, to: NodeId): void {
    const link = this.#link(from, to);
    link.set(from < to ? 'forward' : 'backward', { kind: 'discard' });
  }

  /** Every message waits `ms` on every link. */
  delay(ms: number): void {
    for (const link of this.#links.values()) {
      link.set('forward', { kind: 'delay', ms });
      link.set('backward', { kind: 'delay', ms });
    }
  }

  /** Every link loses a fraction of its traffic (each loss resets the connection). */
  drop(fraction: number): void {
    for (const link of this.#links.values()) link.setDropFraction(fraction);
  }

  heal(): void {
    for (const link of this.#links.values()) link.heal();
  }

  async close(): Promise<void> {
    for (const link of this.#links.values()) await link.close();
  }

  #link(a: NodeId, b: NodeId): LinkProxy {
    return this.#links.get(a < b ? `${a}-${b}` : `${b}-${a}`)!;
  }
}
