// The benchmark suite (not a test): multiraft and etcd side by side on this machine, DESIGN §9.
// Usage: npm run bench [-- --quick]   (quick: shorter intervals, one repetition, under 3 minutes)
// In order: the floor (fdatasync with 3 writers + loopback round trip), the WAL's group commit
// (64 partitions), the idle cost of 1,000 partitions × 3 on 3 nodes, each alone on the machine;
// then both 3-member clusters run together and every workload is measured on each, alternating
// which system goes first, with warm-up, fixed duration and the median of the repetitions.
// Prints a line per measurement, the table, each target met or missed and `targets met: K/8`;
// writes bench/results/<date>.json and .svg (and latest.svg, linked from the README, on full runs).
// BENCH_MACHINE_NOTE="…" says on the chart and in the JSON what else the machine was doing.

import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchSystem, SystemName } from './bench-system.js';
import { chart } from './chart.js';
import { ensureEtcd } from './etcd-cluster.js';
import { EtcdSystem } from './etcd-system.js';
import { floor } from './floor.js';
import { groupCommit } from './group-commit.js';
import { describeIdle, idleCost, settledAfterMs } from './idle-cost.js';
import { MultiraftSystem } from './multiraft-system.js';
import { type SuiteResults, table, targetLines, type WorkloadResult } from './report.js';
import { fmt, median } from './stats.js';
import { prepare, type RunFigures, run, type Timing, workloads } from './workloads.js';

const quick = process.argv.includes('--quick');
const repetitions = quick ? 1 : 3;
const timing: Timing = quick
  ? { warmupMs: 500, durationMs: 2_000 }
  : { warmupMs: 2_000, durationMs: 10_000 };
const floorMs = quick ? 2_000 : 5_000;
const idleMs = quick ? 5_000 : 30_000;
const idleSettleMs = quick ? 2_000 : settledAfterMs;
const idlePartitions = 1_000;
const resultsDir = new URL('./results/', import.meta.url).pathname;
const machineNote = process.env.BENCH_MACHINE_NOTE ?? 'machine may be shared with other work';

if (quick)
  console.log(
    'quick run: 1 repetition, 0.5 s warm-up, 2 s per measurement, 5 s idle after 2 s settling (full: 3, 2 s, 10 s, 30 s after 120 s)',
  );
const loadAvg = loadavg();
console.log(`${cpus().length} cores, load average ${loadAvg.map((l) => fmt(l, 2)).join(' ')}`);

const etcd = ensureEtcd();
console.log(etcd.ok ? `etcd: ${etcd.version}` : `etcd: not run, multiraft alone (${etcd.reason})`);

const f = await floor(floorMs);
console.log(
  `floor: fdatasync with ${f.fsyncWriters} writers p50 ${fmt(f.fsyncP50Ms, 2)} ms (${fmt(f.fsyncRate)}/s) + ` +
    `loopback round trip p50 ${fmt(f.rttP50Ms, 3)} ms = ${fmt(f.floorMs, 2)} ms`,
);

const walRoot = await mkdtemp(join(tmpdir(), 'multiraft-bench-wal-'));
const g = await groupCommit({
  root: walRoot,
  partitions: 64,
  entryBytes: 64,
  warmupMs: quick ? 300 : 1_000,
  runMs: quick ? 3_000 : 10_000,
  fsyncNearMs: quick ? 1_000 : 3_000,
}).finally(() => rm(walRoot, { recursive: true, force: true }));
console.log(
  `group commit, 64 partitions, 64 B: ${fmt(g.appendsPerSec)} appends/s, p50 ${fmt(g.p50Ms, 2)} ms, ` +
    `p99 ${fmt(g.p99Ms, 2)} ms, ${fmt(g.appendsPerSec / g.fsyncRate, 1)}× fdatasync (${fmt(g.fsyncRate)}/s), ` +
    `${fmt(g.cpuUsPerAppend, 1)} CPU µs/append`,
);

const idle = await idleCost({
  nodes: 3,
  partitions: idlePartitions,
  replication: 3,
  idleMs,
  settleMs: idleSettleMs,
});
console.log(
  `idle, ${fmt(idlePartitions)} partitions × 3 on 3 nodes: ${describeIdle(idle, idleSettleMs)}`,
);

const systems: BenchSystem[] = [await MultiraftSystem.start()];
try {
  if (etcd.ok) systems.push(await EtcdSystem.start());
  for (const s of systems) await prepare(s);
  const { results, aborted } = await measure(systems);
  const date = new Date().toISOString().slice(0, 10);
  const suite: SuiteResults = {
    date,
    quick,
    repetitions,
    timing,
    machine: { cpus: cpus().length, loadAvg, note: machineNote },
    etcd: etcd.ok ? { version: etcd.version } : { skipped: etcd.reason },
    floor: f,
    groupCommit: g,
    idle: { ...idle, partitions: idlePartitions, idleMs, settleMs: idleSettleMs },
    workloads: results,
    ...(aborted === undefined ? {} : { aborted }),
  };
  mkdirSync(resultsDir, { recursive: true });
  const base = `${resultsDir}${date}${quick ? '-quick' : ''}`;
  writeFileSync(`${base}.json`, `${JSON.stringify(suite, null, 2)}\n`);
  const svg = chart(suite);
  writeFileSync(`${base}.svg`, svg);
  if (!quick) writeFileSync(`${resultsDir}latest.svg`, svg);
  console.log(`\n${table(suite)}\n\nresults: ${base}.json, chart: ${base}.svg`);
  if (quick) console.log('quick run: 1 repetition of short intervals; figures are indicative only');
  if (aborted !== undefined) console.log(`stopped early: ${aborted.split('\n')[0]}`);
  console.log(targetLines(suite));
} finally {
  for (const s of systems) await s.close();
}

/**
 * Every workload on every system. When a run fails (a server process exited, say), the suite
 * stops measuring, says why with the processes' last output, and reports what it has.
 */
async function measure(
  systems: readonly BenchSystem[],
): Promise<{ results: WorkloadResult[]; aborted?: string }> {
  const results: WorkloadResult[] = [];
  for (const w of workloads) {
    const reps: Partial<Record<SystemName, RunFigures[]>> = {};
    for (let rep = 0; rep < repetitions; rep++) {
      // Alternate which system goes first, so neither always runs on a warmer or cooler machine.
      const order = rep % 2 === 0 ? systems : [...systems].reverse();
      for (const s of order) {
        try {
          const figures = await run(s, w, timing);
          reps[s.name] = [...(reps[s.name] ?? []), figures];
          console.log(`${w.label} · ${s.name} #${rep + 1}: ${describe(figures, w.unit)}`);
        } catch (e) {
          const failures = systems.flatMap((x) => x.failures());
          const aborted = `${w.label} · ${s.name} #${rep + 1} failed: ${(e as Error).message}`;
          console.error(`${aborted}\n${failures.join('\n')}`);
          return { results, aborted: [aborted, ...failures].join('\n') };
        }
      }
    }
    const medians: Partial<Record<SystemName, RunFigures>> = {};
    for (const [name, list] of Object.entries(reps) as [SystemName, RunFigures[]][]) {
      medians[name] = medianOf(list);
    }
    results.push({ workload: w, median: medians, repetitions: reps });
  }
  return { results };
}

function describe(r: RunFigures, unit: string): string {
  const cpu = Object.entries(r.cpuUsPerOp)
    .map(([name, us]) => `${name} ${fmt(us)}`)
    .join(', ');
  return (
    `${fmt(r.opsPerSec)} ${unit}/s, p50 ${fmt(r.p50Ms, 2)} ms, p99 ${fmt(r.p99Ms, 2)} ms` +
    `${r.errors > 0 ? `, ${r.errors} errors` : ''}; CPU µs/op: ${cpu}`
  );
}

/** The median of every figure over the repetitions (each figure on its own). */
function medianOf(list: readonly RunFigures[]): RunFigures {
  const cpuUsPerOp: Record<string, number> = {};
  for (const name of Object.keys(list[0]!.cpuUsPerOp))
    cpuUsPerOp[name] = median(list.map((r) => r.cpuUsPerOp[name]!));
  return {
    opsPerSec: median(list.map((r) => r.opsPerSec)),
    p50Ms: median(list.map((r) => r.p50Ms)),
    p99Ms: median(list.map((r) => r.p99Ms)),
    ops: median(list.map((r) => r.ops)),
    errors: median(list.map((r) => r.errors)),
    cpuUsPerOp,
  };
}
