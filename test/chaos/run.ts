// One chaos run (docs/chaos.md): real nodes whose links pass through the harness's proxies, SDK
// clients on a few AtomicValues, a seeded nemesis for the run's duration; then everything healed
// and every node restarted, final reads, and the checks: linearizability of the whole history
// (unknown outcomes possibly applied; a checker "unknown" is a failure), events exactly once and
// in order, no acknowledged write lost (the final reads are part of the history), replicas
// converged (equal state hashes at equal applied index), and the time back to full service.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { EventsChecker } from '../../sim/events-checker.js';
import { checkHistory, formatHistory, HistoryRecorder } from '../../sim/linearizability/index.js';
import { connect } from '../../src/client/index.js';
import { Prng, partitionOf } from '../../src/common/index.js';
import { Cluster } from '../../src/gen/multiraft/v1/cluster_pb.js';
import { ProcessCluster } from '../process/process-cluster.js';
import { Nemesis, type NemesisKind } from './nemesis.js';
import { ChaosNetwork } from './network.js';
import { Workload } from './workload.js';

export interface ChaosOptions {
  readonly seed: number;
  readonly nodes: number;
  readonly partitions: number;
  readonly durationMs: number;
  readonly nemesis: readonly NemesisKind[];
  readonly clients: number;
  /** Where a failing run keeps its history, schedule and node logs. */
  readonly outDir: string;
}

export interface ChaosResult {
  readonly seed: number;
  readonly ops: number;
  readonly faults: number;
  /** The checker ran out of budget (counted as a failure). */
  readonly unknown: boolean;
  readonly violations: readonly string[];
  /** From the last healed fault to a write answered on every partition. */
  readonly recoveryMs: number;
  readonly schedule: readonly string[];
  readonly unknownOutcomes: number;
  readonly events: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  const random = new Prng(o.seed);
  const violations: string[] = [];
  const cluster = await ProcessCluster.start({
    nodes: o.nodes,
    partitions: o.partitions,
    replication: 3,
    spawn: false,
    nodeFlags: (id) => [network.peersFlag(id, realPorts)],
  });
  const realPorts = new Map(
    cluster.ids.map((id) => [id, { peer: cluster.ports(id).peer, api: cluster.ports(id).api }]),
  );
  const network: ChaosNetwork = await ChaosNetwork.start(
    new Map([...realPorts].map(([id, p]) => [id, p.peer])),
    random.fork(),
  );
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  const recorder = new HistoryRecorder();
  const events = new EventsChecker((what) => violations.push(what));
  let heavy = false;
  const keys = ['default/a', 'default/b', 'default/c', 'default/d', 'default/e', 'default/f'];
  const endpoints = [...cluster.apiAddresses().values()];
  const workload = new Workload({
    endpoints,
    clients: o.clients,
    keys: keys.map((k) => k.split('/')[1]!),
    random: random.fork(),
    recorder,
    events,
    now,
    valueBytes: () => (heavy ? 64 * 1024 : 16),
    opTimeoutMs: 5_000,
  });
  const nemesis = new Nemesis({
    cluster,
    network,
    random: random.fork(),
    kinds: o.nemesis,
    now,
    heavyWrites: (on) => {
      heavy = on;
    },
  });
  let recoveryMs = 0;
  try {
    for (const id of cluster.ids) cluster.spawn(id);
    await cluster.waitAllReady(120_000);
    await workload.start();
    await nemesis.run(o.durationMs);
    await nemesis.healAll();
    recoveryMs = await timeToFullService(endpoints, o.partitions, now, nemesis.lastHealedAt);
    await workload.stop();
    // Every node restarted: nothing acknowledged may be missing afterwards.
    for (const id of cluster.ids) await cluster.stop(id, 'SIGTERM');
    for (const id of cluster.ids) cluster.spawn(id);
    // Every node replays the run's log at once, which takes a while on a loaded machine.
    await cluster.waitAllReady(120_000);
    if (!(await workload.finalReads())) violations.push('a final read got no answer');
    // Closed clients stop their keep-alives, so the applied indexes come to rest.
    await workload.close();
    const converged = await convergence(endpoints);
    if (converged !== undefined) violations.push(converged);
  } catch (error) {
    violations.push(`the run failed: ${(error as Error).stack ?? error}`);
  }
  const history = recorder.history();
  const check = checkHistory(history, { timeBudgetMs: 120_000, now: () => performance.now() });
  if (check.verdict === 'violation') {
    violations.push(`not linearizable (key ${check.key}):\n${check.explanation ?? ''}`);
  }
  const dir = join(o.outDir, `seed-${o.seed}`);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'history.jsonl'), formatHistory(history));
  if (violations.length > 0 || check.verdict !== 'ok') {
    await writeFile(join(dir, 'schedule.txt'), `${nemesis.schedule.join('\n')}\n`);
    await writeFile(join(dir, 'violations.txt'), `${violations.join('\n\n')}\n`);
    for (const id of cluster.ids) await writeFile(join(dir, `node-${id}.log`), cluster.output(id));
  }
  await cluster.destroy();
  await network.close();
  return {
    seed: o.seed,
    ops: workload.ops,
    faults: nemesis.faults,
    unknown: check.verdict === 'unknown',
    violations,
    recoveryMs,
    schedule: nemesis.schedule,
    unknownOutcomes: recorder.unknownCount,
    events: events.events,
  };
}

/** Writes one value per partition until every partition answers; ms since `healedAt`. */
async function timeToFullService(
  endpoints: readonly string[],
  partitions: number,
  now: () => number,
  healedAt: number,
): Promise<number> {
  const client = await connect({ endpoints, timeoutMs: 5_000 });
  try {
    const names: string[] = [];
    for (let i = 0; names.length < partitions; i++) {
      const name = `probe-${i}`;
      if (partitionOf(name, partitions) === names.length + 1) names.push(name);
    }
    for (const name of names) {
      for (let tries = 0; ; tries++) {
        try {
          await client.atomicValue(name).set(new Uint8Array([1]));
          break;
        } catch (error) {
          // Two minutes without service on a partition fails the run.
          if (tries > 24) throw error;
          await sleep(100);
        }
      }
    }
    return Math.max(0, now() - healedAt);
  } finally {
    await client.close();
  }
}

/**
 * Waits for every partition's replicas to reach the same applied index, then compares their state
 * hashes; a description of the divergence, or undefined when they agree.
 */
async function convergence(endpoints: readonly string[]): Promise<string | undefined> {
  const cluster = createClient(Cluster, createGrpcTransport({ baseUrl: `http://${endpoints[0]}` }));
  let last = '';
  for (let tries = 0; tries < 60; tries++) {
    const report = await cluster.getCluster({ stateHash: true });
    const pending: string[] = [];
    for (const p of report.partitions) {
      const applied = new Set(p.replicas.map((r) => r.appliedIndex));
      if (p.replicas.length < p.replicaNodeIds.length || applied.size > 1) {
        pending.push(`partition ${p.partitionId}: applied ${[...applied].join('/')}`);
        continue;
      }
      const hashes = new Set(p.replicas.map((r) => Buffer.from(r.stateHash).toString('hex')));
      if (hashes.size > 1) {
        return `partition ${p.partitionId}: replicas at applied index ${[...applied][0]} differ in state (${[
          ...hashes,
        ].join(' ≠ ')})`;
      }
    }
    if (pending.length === 0) return undefined;
    last = pending.join('; ');
    await sleep(500);
  }
  return `replicas did not converge: ${last}`;
}
