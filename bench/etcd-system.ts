// etcd under the benchmark: a 3-member cluster on loopback with its defaults, driven through one
// gRPC client (bench/etcd-client.ts). Compare-and-set is etcd's idiom: get, then a txn comparing
// mod_revision whose failure branch reads the current value for the retry.

import type { BenchSystem, Subscription } from './bench-system.js';
import { EtcdClient } from './etcd-client.js';
import { EtcdCluster } from './etcd-cluster.js';

export class EtcdSystem implements BenchSystem {
  readonly name = 'etcd';
  readonly processes: Map<string, number>;
  readonly #cluster: EtcdCluster;
  readonly #client: EtcdClient;

  private constructor(cluster: EtcdCluster) {
    this.#cluster = cluster;
    this.#client = new EtcdClient(cluster.endpoints());
    this.processes = cluster.pids();
  }

  static async start(): Promise<EtcdSystem> {
    return new EtcdSystem(await EtcdCluster.start());
  }

  async write(key: string, value: Uint8Array): Promise<void> {
    await this.#client.put(key, value);
  }

  async read(key: string): Promise<void> {
    await this.#client.get(key);
  }

  casWorker(): (key: string, value: Uint8Array) => Promise<number> {
    const seen = new Map<string, number>();
    return async (key, value) => {
      let revision = seen.get(key) ?? (await this.#client.get(key))?.modRevision ?? 0;
      for (let conflicts = 0; ; conflicts++) {
        const r = await this.#client.compareAndSet(key, revision, value);
        if (r.succeeded) {
          seen.set(key, r.modRevision);
          return conflicts;
        }
        revision = r.current?.modRevision ?? 0;
      }
    };
  }

  subscribe(
    key: string,
    count: number,
    onChange: (subscriber: number, value: Uint8Array) => void,
  ): Promise<Subscription> {
    return this.#client.watch(key, count, onChange);
  }

  failures(): string[] {
    return this.#cluster.failures();
  }

  async close(): Promise<void> {
    this.#client.close();
    await this.#cluster.destroy();
  }
}
