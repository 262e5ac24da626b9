// Idle cost of real nodes: spawn a cluster from the build, wait until every partition has a
// leader, let the node settle, then read RSS and CPU of each process over an idle interval. Idle
// partitions go quiet (docs/host.md); this is what shows it.
//
// Settling takes V8 a minute or two: creating 1,000 partitions grows the young generation to its
// 32 MiB maximum, and V8 gives it back only when its memory reducer, which looks every 8 s, finds
// the allocation rate low over its recent samples, or at the latest 100 s after the last full
// collection (its watchdog). A node with 1,000 idle partitions holds about 120 MB before that and
// about 80 MB after; both are reported (docs/host.md, "Memory of idle partitions").

import { setTimeout as sleep } from 'node:timers/promises';
import { ProcessCluster } from '../test/process/process-cluster.js';
import { usage } from './process-usage.js';
import { fmt } from './stats.js';

const readyTimeoutMs = 120_000;
/** Past V8's memory-reducer watchdog (100 s after the last full collection): a settled node. */
export const settledAfterMs = 120_000;

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
  /** Per node, when every node is ready: what start-up leaves before V8 gives memory back. */
  readonly readyRssMiB: readonly number[];
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
    const readyRssMiB = cluster.ids.map((id) => usage(cluster.pid(id)!).rssMiB);
    await sleep(o.settleMs);
    const before = cluster.ids.map((id) => usage(cluster.pid(id)!));
    await sleep(o.idleMs);
    const after = cluster.ids.map((id) => usage(cluster.pid(id)!));
    return {
      readyMs,
      readyRssMiB,
      rssMiB: after.map((a) => a.rssMiB),
      cpuPercent: after.map((a, i) => (100 * (a.cpuSec - before[i]!.cpuSec)) / (o.idleMs / 1000)),
    };
  } finally {
    await cluster.destroy();
  }
}

/** The figures as one line: readiness and its RSS, then RSS and CPU of the settled interval. */
export function describeIdle(f: IdleCostFigures, settleMs: number): string {
  const mib = (rss: readonly number[]) => rss.map((r) => `${fmt(r)} MiB`).join(' / ');
  const cpu = f.cpuPercent.map((c) => `${fmt(c, 1)} %`).join(' / ');
  return (
    `ready in ${fmt(f.readyMs)} ms (RSS ${mib(f.readyRssMiB)}); after ${fmt(settleMs / 1000)} s ` +
    `settling: RSS ${mib(f.rssMiB)}, CPU ${cpu} of a core`
  );
}
