// `multiraft cluster` (DESIGN §7): a local cluster for development, each node a `multiraft start`
// child process of the same executable on loopback. Ports and data directories are chosen here,
// every node's configuration is checked by the one config path before anything starts, node logs
// are forwarded line by line with a `[node N]` prefix on stdout, and the cluster's own messages
// (endpoints once every node is ready, shutdown) go to stderr.
//
// Exit codes: 0 when a stop signal stopped every node cleanly; 1 when a node exited on its own
// (the others are then stopped), exited non-zero while stopping, or outlasted the stop deadline;
// 2 for a configuration error.

import { type ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { nodeId } from '../common/index.js';
import {
  apiPortDefault,
  ConfigError,
  formatHostPort,
  formatPeers,
  loadConfig,
  type MemberSpec,
  type RawConfig,
} from '../server/index.js';
import { nodeTlsFlags } from './certs.js';
import { freePorts } from './free-ports.js';
import {
  type ExitCode,
  exitCodes,
  type SignalSource,
  type StopSignal,
  stopSignals,
} from './start.js';
import { startArgs } from './start-args.js';

export const clusterNodesMax = 32;
export const clusterNodesDefault = 3;
/** Node N uses basePort + portStep·(N − 1) for its API port, +1 for peers, +2 for HTTP. */
export const clusterPortStep = 10;
export const clusterDataDirDefault = './data/cluster';
/** After a stop, nodes have this long to exit before SIGKILL (each has its own 4.5 s deadline). */
export const clusterStopTimeoutMs = 10_000;
const readyPollMs = 100;
const host = '127.0.0.1';

/** The command's options, as commander hands them over (strings). */
export interface ClusterFlags {
  readonly nodes?: string;
  readonly basePort?: string;
  readonly dataDir?: string;
  readonly partitions?: string;
  readonly replication?: string;
  readonly logLevel?: string;
  readonly tlsDir?: string;
}

export interface ClusterDeps {
  /** How to run this program again: an executable and the arguments before the command. */
  readonly command: { readonly executable: string; readonly args: readonly string[] };
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly signals: SignalSource;
  /** The cluster's own messages. */
  readonly print: (line: string) => void;
  /** Node log lines, prefixed. */
  readonly log: (line: string) => void;
}

interface PlannedNode {
  readonly id: number;
  readonly member: MemberSpec;
  readonly httpPort: number;
  /** The node's `multiraft start` configuration. */
  readonly values: RawConfig;
}

interface RunningChild {
  readonly node: PlannedNode;
  readonly child: ChildProcess;
  /** Settles once the process exited and its output is forwarded. */
  readonly closed: Promise<string>;
  done: boolean;
}

/** Plans, checks and runs the cluster until a stop signal or a node's exit. */
export async function runCluster(flags: ClusterFlags, deps: ClusterDeps): Promise<ExitCode> {
  let plan: PlannedNode[];
  try {
    plan = await planCluster(flags, deps);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    deps.print(`multiraft cluster: ${error.message}`);
    return exitCodes.badConfig;
  }
  const stop = listenForStop(deps);
  const dataDir = resolve(deps.cwd, flags.dataDir ?? clusterDataDirDefault);
  deps.print(`starting ${plan.length} nodes in ${dataDir}; their logs follow, as [node N] …`);
  const children = plan.map((node) => spawnNode(node, deps));
  const polling = new AbortController();
  void waitAllReady(plan, polling.signal).then((ready) => {
    if (ready) for (const line of describeReady(children, flags.tlsDir, deps.cwd)) deps.print(line);
  });
  const exited = Promise.race(children.map((c) => c.closed.then((how) => ({ c, how }))));
  const first = await Promise.race([stop, exited]);
  polling.abort();
  if (typeof first === 'string') {
    deps.print(`${first}: stopping every node`);
    return stopAll(children, deps);
  }
  deps.print(`node ${first.c.node.id} ${first.how} on its own; stopping the others`);
  await stopAll(children, deps);
  return exitCodes.failed;
}

async function planCluster(flags: ClusterFlags, deps: ClusterDeps): Promise<PlannedNode[]> {
  const count = integer('nodes', flags.nodes, clusterNodesDefault, 1, clusterNodesMax);
  const highest = 65_535 - clusterPortStep * (count - 1) - 2;
  const basePort = integer('basePort', flags.basePort, apiPortDefault, 0, highest);
  const ports =
    basePort === 0
      ? await freePorts(3 * count)
      : Array.from(
          { length: 3 * count },
          (_, i) => basePort + clusterPortStep * Math.floor(i / 3) + (i % 3),
        );
  const ids = Array.from({ length: count }, (_, i) => i + 1);
  const members = ids.map((id) => ({
    id: nodeId(id),
    host,
    apiPort: ports[3 * (id - 1)]!,
    peerPort: ports[3 * (id - 1) + 1]!,
  }));
  const dataDir = resolve(deps.cwd, flags.dataDir ?? clusterDataDirDefault);
  const tlsDir = flags.tlsDir === undefined ? undefined : resolve(deps.cwd, flags.tlsDir);
  const plan = ids.map((id) => {
    const member = members[id - 1]!;
    const httpPort = ports[3 * (id - 1) + 2]!;
    const values: RawConfig = {
      nodeId: String(id),
      peers: formatPeers(members),
      dataDir: join(dataDir, `node-${id}`),
      httpPort: String(httpPort),
      partitions: flags.partitions,
      replication: flags.replication,
      logLevel: flags.logLevel,
      ...(tlsDir === undefined ? {} : nodeTlsFlags(tlsDir, id)),
    };
    return { id, member, httpPort, values };
  });
  // Every node's configuration, as the child will read it: a bad one stops everything up front.
  for (const node of plan) await loadConfig({ flags: node.values, env: deps.env, cwd: deps.cwd });
  return plan;
}

function integer(
  key: string,
  text: string | undefined,
  fallback: number,
  min: number,
  max: number,
) {
  if (text === undefined) return fallback;
  const n = /^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    throw new ConfigError(key, flag, `must be an integer in ${min}..${max}, got "${text}"`);
  }
  return n;
}

function spawnNode(node: PlannedNode, deps: ClusterDeps): RunningChild {
  const args = [...deps.command.args, 'start', ...startArgs(node.values)];
  const child = spawn(deps.command.executable, args, {
    cwd: deps.cwd,
    env: deps.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    const lines = createInterface({ input: stream!, crlfDelay: Number.POSITIVE_INFINITY });
    lines.on('line', (line) => deps.log(`[node ${node.id}] ${line}`));
  }
  const running: RunningChild = {
    node,
    child,
    done: false,
    closed: new Promise((settle) => {
      child.once('error', (error) => {
        running.done = true;
        settle(`could not start (${error.message})`);
      });
      // 'close' comes after the output streams ended, so every log line is forwarded first.
      child.once('close', (code, signal) => {
        running.done = true;
        settle(signal === null ? `exited with code ${code}` : `was killed by ${signal}`);
      });
    }),
  };
  return running;
}

/** Polls every node's /readyz until all answer 200; false when aborted first. */
async function waitAllReady(plan: readonly PlannedNode[], signal: AbortSignal): Promise<boolean> {
  const pending = new Set(plan);
  while (pending.size > 0) {
    for (const node of [...pending]) {
      try {
        const url = `http://${formatHostPort(host, node.httpPort)}/readyz`;
        const res = await fetch(url, { signal });
        await res.body?.cancel();
        if (res.status === 200) pending.delete(node);
      } catch {
        // Not listening yet, or aborted (checked below).
      }
      if (signal.aborted) return false;
    }
    if (pending.size > 0) await new Promise((r) => setTimeout(r, readyPollMs));
  }
  return !signal.aborted;
}

function describeReady(children: readonly RunningChild[], tlsDir: string | undefined, cwd: string) {
  const lines = [`cluster ready, ${children.length} nodes:`];
  for (const { node, child } of children) {
    const { member } = node;
    lines.push(
      `  node ${node.id} (pid ${child.pid}): API ${formatHostPort(host, member.apiPort)}, ` +
        `peers ${formatHostPort(host, member.peerPort)}, ` +
        `http://${formatHostPort(host, node.httpPort)}/readyz`,
    );
  }
  const endpoints = children.map((c) => formatHostPort(host, c.node.member.apiPort)).join(',');
  lines.push(`  endpoints: ${endpoints}`);
  if (tlsDir !== undefined)
    lines.push(`  TLS: clients trust ${join(resolve(cwd, tlsDir), 'ca.crt')}`);
  lines.push('Ctrl-C stops every node.');
  return lines;
}

/** SIGTERM to every live node, SIGKILL after the deadline; ok when every node exited with 0. */
async function stopAll(children: readonly RunningChild[], deps: ClusterDeps): Promise<ExitCode> {
  for (const c of children) if (!c.done) c.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'late'>((r) => {
    timer = setTimeout(() => r('late'), clusterStopTimeoutMs);
  });
  const all = Promise.all(children.map((c) => c.closed));
  const result = await Promise.race([all, deadline]);
  clearTimeout(timer);
  if (result === 'late') {
    const late = children.filter((c) => !c.done);
    deps.print(`nodes ${late.map((c) => c.node.id).join(', ')} did not stop in time; killing them`);
    for (const c of late) c.child.kill('SIGKILL');
    await all;
    return exitCodes.failed;
  }
  let failed = false;
  for (const [i, how] of result.entries()) {
    if (how === 'exited with code 0') continue;
    failed = true;
    deps.print(`node ${children[i]!.node.id} ${how}`);
  }
  if (failed) return exitCodes.failed;
  deps.print('every node stopped');
  return exitCodes.ok;
}

/** The first stop signal; later ones are reported and change nothing. */
function listenForStop(deps: ClusterDeps): Promise<StopSignal> {
  let first: StopSignal | undefined;
  return new Promise((resolveStop) => {
    for (const signal of stopSignals) {
      deps.signals.on(signal, () => {
        if (first !== undefined) return deps.print(`${signal} ignored: already stopping`);
        first = signal;
        resolveStop(signal);
      });
    }
  });
}
