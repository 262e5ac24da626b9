// multiraft under the benchmark: 3 real nodes from the build on loopback (12 partitions × 3
// replicas, fsync on as always), driven through the SDK: one client object, AtomicValue per key.

import { setMaxListeners } from 'node:events';
// The SDK as users run it: the built package (`npm run bench` builds first). Run from source
// through tsx, the client spent a quarter more CPU per write (esbuild's name-keeping helpers).
import { type AtomicValueClient, ConflictError, connect, type MultiraftClient } from 'multiraft';
import { ProcessCluster } from '../test/process/process-cluster.js';
import type { BenchSystem, Subscription } from './bench-system.js';

const partitions = 12;
const tailLines = 40;

const tail = (log: string) => log.trimEnd().split('\n').slice(-tailLines).join('\n');

export class MultiraftSystem implements BenchSystem {
  readonly name = 'multiraft';
  readonly processes: Map<string, number>;
  readonly #cluster: ProcessCluster;
  readonly #client: MultiraftClient;
  readonly #values = new Map<string, AtomicValueClient<Uint8Array>>();

  private constructor(cluster: ProcessCluster, client: MultiraftClient) {
    this.#cluster = cluster;
    this.#client = client;
    this.processes = new Map(cluster.ids.map((id) => [`node ${id}`, cluster.pid(id)!]));
  }

  static async start(
    options: {
      nodes?: number;
      entry?: 'build' | 'source';
      /** Node.js flags of every node (`--cpu-prof`, say). */
      execArgv?: readonly string[];
    } = {},
  ): Promise<MultiraftSystem> {
    const nodes = options.nodes ?? 3;
    const cluster = await ProcessCluster.start({
      nodes,
      partitions,
      replication: Math.min(3, nodes),
      entry: options.entry ?? 'build',
      ...(options.execArgv === undefined ? {} : { execArgv: options.execArgv }),
    });
    try {
      await cluster.waitAllReady();
      const client = await connect({
        endpoints: [...cluster.apiAddresses().values()],
        timeoutMs: 30_000,
      });
      return new MultiraftSystem(cluster, client);
    } catch (e) {
      await cluster.destroy();
      throw e;
    }
  }

  async write(key: string, value: Uint8Array): Promise<void> {
    await this.#value(key).set(value);
  }

  async read(key: string): Promise<void> {
    await this.#value(key).get();
  }

  casWorker(): (key: string, value: Uint8Array) => Promise<number> {
    const seen = new Map<string, number>();
    return async (key, value) => {
      const v = this.#value(key);
      let version = seen.get(key) ?? (await v.get()).version;
      for (let conflicts = 0; ; conflicts++) {
        try {
          seen.set(key, (await v.update(value, { ifVersion: version })).version);
          return conflicts;
        } catch (e) {
          if (!(e instanceof ConflictError)) throw e;
          version = (e as ConflictError<Uint8Array>).current.version;
        }
      }
    };
  }

  async subscribe(
    key: string,
    count: number,
    onChange: (subscriber: number, value: Uint8Array) => void,
  ): Promise<Subscription> {
    const abort = new AbortController();
    // One signal ends every subscriber; Node warns beyond 10 listeners unless told.
    setMaxListeners(count + 1, abort.signal);
    const streams = Array.from({ length: count }, () =>
      this.#value(key).events({ signal: abort.signal }),
    );
    streams.forEach(async (events, i) => {
      try {
        for await (const e of events) if (e.type !== 'deleted') onChange(i, e.value);
      } catch {
        // Ended by cancel() or close(): the measurement is over.
      }
    });
    await Promise.all(streams.map((s) => s.subscribed));
    return { cancel: () => abort.abort() };
  }

  /** Every node's `/metrics` text, by process name. */
  async metrics(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const id of this.#cluster.ids) out.set(`node ${id}`, await this.#cluster.scrape(id));
    return out;
  }

  failures(): string[] {
    return this.#cluster.ids
      .filter((id) => !this.#cluster.running(id))
      .map((id) => `node ${id} exited; its last output:\n${tail(this.#cluster.output(id))}`);
  }

  /** `graceful`: the nodes get SIGTERM and exit on their own (a `--cpu-prof` profile is written). */
  async close(options: { graceful?: boolean } = {}): Promise<void> {
    await this.#client.close();
    if (options.graceful === true)
      await Promise.all(this.#cluster.ids.map((id) => this.#cluster.stop(id)));
    await this.#cluster.destroy();
  }

  #value(key: string): AtomicValueClient<Uint8Array> {
    let v = this.#values.get(key);
    if (v === undefined) {
      v = this.#client.atomicValue(key);
      this.#values.set(key, v);
    }
    return v;
  }
}
