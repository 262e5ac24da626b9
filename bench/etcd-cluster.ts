// A 3-member etcd cluster on loopback for the side-by-side benchmark (DESIGN §9): Debian's
// `etcd-server`, installed with apt-get when missing, etcd's defaults (fsync on), one temporary
// data directory per member, ready once every member's /health says so.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePorts } from '../src/cli/free-ports.js';

const binary = '/usr/bin/etcd';
const readyTimeoutMs = 30_000;

/** Where etcd comes from, or why it cannot run here (the suite then runs multiraft alone). */
export function ensureEtcd(): { ok: true; version: string } | { ok: false; reason: string } {
  const version = () => execFileSync(binary, ['--version'], { encoding: 'utf8' }).split('\n')[0]!;
  try {
    return { ok: true, version: version() };
  } catch {
    // Not installed yet: Debian's package, as DESIGN §9 names it.
  }
  try {
    execFileSync('apt-get', ['install', '-y', 'etcd-server'], {
      stdio: 'ignore',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    return { ok: true, version: version() };
  } catch (e) {
    return { ok: false, reason: `apt-get install -y etcd-server failed: ${(e as Error).message}` };
  }
}

interface Member {
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly child: ChildProcess;
  readonly output: string[];
}

export class EtcdCluster {
  readonly #dir: string;
  readonly #members: Member[];

  private constructor(dir: string, members: Member[]) {
    this.#dir = dir;
    this.#members = members;
  }

  static async start(members = 3): Promise<EtcdCluster> {
    const dir = await mkdtemp(join(tmpdir(), 'multiraft-bench-etcd-'));
    const ports = await freePorts(2 * members);
    const names = Array.from({ length: members }, (_, i) => `m${i + 1}`);
    const peerUrl = (i: number) => `http://127.0.0.1:${ports[2 * i + 1]}`;
    const initialCluster = names.map((n, i) => `${n}=${peerUrl(i)}`).join(',');
    const started = names.map((name, i) => {
      const clientUrl = `http://127.0.0.1:${ports[2 * i]}`;
      const child = spawn(
        binary,
        [
          `--name=${name}`,
          `--data-dir=${join(dir, name)}`,
          `--listen-client-urls=${clientUrl}`,
          `--advertise-client-urls=${clientUrl}`,
          `--listen-peer-urls=${peerUrl(i)}`,
          `--initial-advertise-peer-urls=${peerUrl(i)}`,
          `--initial-cluster=${initialCluster}`,
          '--initial-cluster-state=new',
          '--initial-cluster-token=multiraft-bench',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const output: string[] = [];
      // Keep the tail only: etcd logs every election and snapshot.
      const keep = (chunk: Buffer) => {
        output.push(chunk.toString());
        if (output.length > 200) output.shift();
      };
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
      return { name, clientPort: ports[2 * i]!, peerPort: ports[2 * i + 1]!, child, output };
    });
    const cluster = new EtcdCluster(dir, started);
    try {
      await cluster.#waitHealthy();
    } catch (e) {
      await cluster.destroy();
      throw e;
    }
    return cluster;
  }

  /** `host:port` of every member's client API. */
  endpoints(): string[] {
    return this.#members.map((m) => `127.0.0.1:${m.clientPort}`);
  }

  /** Member name → pid, for CPU per operation. */
  pids(): Map<string, number> {
    return new Map(this.#members.map((m) => [`etcd ${m.name}`, m.child.pid!]));
  }

  /** Members that exited, with the tail of their log. */
  failures(): string[] {
    return this.#members
      .filter((m) => m.child.exitCode !== null || m.child.signalCode !== null)
      .map((m) => `etcd ${m.name} exited; its last output:\n${m.output.join('').slice(-4_000)}`);
  }

  async destroy(): Promise<void> {
    await Promise.all(
      this.#members.map(
        (m) =>
          new Promise<void>((resolve) => {
            if (m.child.exitCode !== null || m.child.signalCode !== null) return resolve();
            m.child.once('exit', () => resolve());
            m.child.kill('SIGKILL');
          }),
      ),
    );
    await rm(this.#dir, { recursive: true, force: true });
  }

  async #waitHealthy(): Promise<void> {
    const deadline = Date.now() + readyTimeoutMs;
    for (const m of this.#members) {
      for (;;) {
        if (m.child.exitCode !== null)
          throw new Error(`etcd ${m.name} exited:\n${m.output.join('')}`);
        try {
          const res = await fetch(`http://127.0.0.1:${m.clientPort}/health`);
          if (res.status === 200 && ((await res.json()) as { health?: string }).health === 'true')
            break;
        } catch {
          // Not listening yet.
        }
        if (Date.now() > deadline)
          throw new Error(`etcd ${m.name} not healthy:\n${m.output.join('')}`);
        await sleep(100);
      }
    }
  }
}
