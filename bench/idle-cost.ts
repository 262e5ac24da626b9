// Idle cost of real nodes: spawn a cluster from the build, wait until every partition has a
// leader, let elections and the first snapshots settle, then read RSS and CPU of each process over
// an idle interval. Idle partitions go quiet (docs/host.md); this is what shows it.

import { setTimeout as sleep } from 'node:timers/promises';
import { ProcessCluster } from '../test/process/process-cluster.js';
import { usage } from './process-usage.js';

const readyTimeoutMs = 120_000;

export interface IdleCostOptions {
  readonly nodes: number;
  readonly partitions: number;
  readonly replication: number;
  readonly idleMs: number;
  /** Quiet time between readiness and the measurement. */
  readonly settleMs: number;
}

export interface IdleCostFigures {
  /** Spawn to every node's /readyz answering 200. */
  readonly readyMs: number;
  /** Per node, at the end of the interval. */
  readonly rssMiB: readonly number[];
  /** Per node, percent of one core over the interval. */
  readonly cpuPercent: readonly number[];
}

export async function idleCost(o: IdleCostOptions): Promise<IdleCostFigures> {
  const t0 = performance.now();
  const cluster = await ProcessCluster.start({
    nodes: o.nodes,
    partitions: o.partitions,
    replication: o.replication,
    entry: 'build',
  });
  try {
    // 3,000 replicas electing on a busy 2-core machine can take longer than a test's 20 s.
    for (const id of cluster.ids) await cluster.waitReady(id, readyTimeoutMs);
    const readyMs = performance.now() - t0;
    await sleep(o.settleMs);
    const before = cluster.ids.map((id) => usage(cluster.pid(id)!));
    await sleep(o.idleMs);
    const after = cluster.ids.map((id) => usage(cluster.pid(id)!));
    return {
      readyMs,
      rssMiB: after.map((a) => a.rssMiB),
      cpuPercent: after.map((a, i) => (100 * (a.cpuSec - before[i]!.cpuSec)) / (o.idleMs / 1000)),
    };
  } finally {
    await cluster.destroy();
  }
}
