// Real nodes as child processes on loopback for tests: free ports, one temporary data directory
// per node, `multiraft start` run from the sources (so tests never run a stale build), readiness
// through /readyz, kill -9 and restarts.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from '../../src/cli/free-ports.js';
import { type NodeId, nodeId } from '../../src/common/index.js';

const root = new URL('../../', import.meta.url).pathname;

export interface ProcessClusterOptions {
  readonly nodes: number;
  readonly partitions?: number;
  readonly replication?: number;
  /** Extra flags for every node. */
  readonly flags?: readonly string[];
  /** Extra flags for one node (after `flags`). */
  readonly nodeFlags?: (id: NodeId) => readonly string[];
  /** Start every node at once (default); false leaves them to `spawn`. */
  readonly spawn?: boolean;
  /** Run the sources through tsx (tests, default) or the build in dist/ (benchmarks). */
  readonly entry?: 'source' | 'build';
  /** Node.js options for every node process (a benchmark's --cpu-prof, say). */
  readonly execArgv?: readonly string[];
}

interface NodeProcess {
  readonly id: NodeId;
  readonly apiPort: number;
  readonly peerPort: number;
  readonly httpPort: number;
  readonly dataDir: string;
  child: ChildProcess | undefined;
  exited: Promise<number | null> | undefined;
  output: string[];
}

export { freePorts } from '../../src/cli/free-ports.js';

export class ProcessCluster {
  readonly #o: ProcessClusterOptions;
  readonly #nodes = new Map<NodeId, NodeProcess>();
  #dir = '';

  private constructor(options: ProcessClusterOptions) {
    this.#o = options;
  }

  /** Prepares ports and directories and starts every node. */
  static async start(options: ProcessClusterOptions): Promise<ProcessCluster> {
    const c = new ProcessCluster(options);
    c.#dir = await mkdtemp(join(tmpdir(), 'multiraft-proc-'));
    const ports = await freePorts(options.nodes * 3);
    for (let i = 0; i < options.nodes; i++) {
      const id = nodeId(i + 1);
      c.#nodes.set(id, {
        id,
        apiPort: ports[3 * i]!,
        peerPort: ports[3 * i + 1]!,
        httpPort: ports[3 * i + 2]!,
        dataDir: join(c.#dir, `node-${id}`),
        child: undefined,
        exited: undefined,
        output: [],
      });
    }
    if (options.spawn !== false) for (const id of c.#nodes.keys()) c.spawn(id);
    return c;
  }

  /** The ports of node `id`. */
  ports(id: NodeId): { readonly api: number; readonly peer: number; readonly http: number } {
    const n = this.#node(id);
    return { api: n.apiPort, peer: n.peerPort, http: n.httpPort };
  }

  get ids(): NodeId[] {
    return [...this.#nodes.keys()];
  }

  /** Node id → API address, as clients dial it. */
  apiAddresses(): Map<NodeId, string> {
    return new Map([...this.#nodes.values()].map((n) => [n.id, `127.0.0.1:${n.apiPort}`]));
  }

  httpAddress(id: NodeId): string {
    return `127.0.0.1:${this.#node(id).httpPort}`;
  }

  /** Node `id`'s `/metrics` exposition. */
  async scrape(id: NodeId): Promise<string> {
    return (await fetch(`http://${this.httpAddress(id)}/metrics`)).text();
  }

  output(id: NodeId): string {
    return this.#node(id).output.join('');
  }

  pid(id: NodeId): number | undefined {
    return this.#node(id).child?.pid;
  }

  running(id: NodeId): boolean {
    return this.#node(id).child !== undefined;
  }

  /** Starts node `id`; `env` adds environment variables to this process only. */
  spawn(id: NodeId, env: Readonly<Record<string, string>> = {}): void {
    const n = this.#node(id);
    if (n.child !== undefined) throw new Error(`node ${id} is running`);
    const peers = [...this.#nodes.values()]
      .map((m) => `${m.id}=127.0.0.1:${m.peerPort}/${m.apiPort}`)
      .join(',');
    const entry =
      this.#o.entry === 'build' ? ['dist/cli/main.js'] : ['--import', 'tsx', 'src/cli/main.ts'];
    const args = [
      ...(this.#o.execArgv ?? []),
      ...entry,
      'start',
      `--node-id=${id}`,
      `--peers=${peers}`,
      `--data-dir=${n.dataDir}`,
      `--api-port=${n.apiPort}`,
      `--peer-port=${n.peerPort}`,
      `--http-port=${n.httpPort}`,
      `--partitions=${this.#o.partitions ?? 3}`,
      `--replication=${this.#o.replication ?? Math.min(3, this.#nodes.size)}`,
      '--log-level=info',
      ...(this.#o.flags ?? []),
      ...(this.#o.nodeFlags?.(id) ?? []),
    ];
    const child = spawn(process.execPath, args, {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    n.child = child;
    const keep = (chunk: Buffer) => {
      n.output.push(chunk.toString());
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    n.exited = new Promise((resolve) => {
      child.once('exit', (code) => {
        n.child = undefined;
        resolve(code);
      });
    });
  }

  /** Sends `signal` and waits for the exit; resolves with the exit code (null after a kill). */
  async stop(id: NodeId, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    const n = this.#node(id);
    if (n.child === undefined) return n.exited ?? null;
    n.child.kill(signal);
    return n.exited!;
  }

  /** Polls /readyz until it answers 200 (every local partition has a leader). */
  async waitReady(id: NodeId, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running(id)) throw new Error(`node ${id} exited:\n${this.output(id)}`);
      try {
        const res = await fetch(`http://${this.httpAddress(id)}/readyz`);
        if (res.status === 200) return;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) throw new Error(`node ${id} not ready:\n${this.output(id)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async waitAllReady(timeoutMs?: number): Promise<void> {
    for (const id of this.ids) if (this.running(id)) await this.waitReady(id, timeoutMs);
  }

  /** Kills every node and removes the data directories. */
  async destroy(): Promise<void> {
    await Promise.all(this.ids.map((id) => this.stop(id, 'SIGKILL')));
    if (this.#dir !== '') await rm(this.#dir, { recursive: true, force: true });
  }

  #node(id: NodeId): NodeProcess {
    const n = this.#nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }
}
