// The suite's results and how they read: one table row per workload with both systems and their
// ratio, the eight targets of DESIGN §9 each met or missed, and the JSON kept in bench/results/.

import type { SystemName } from './bench-system.js';
import type { FloorFigures } from './floor.js';
import type { GroupCommitFigures } from './group-commit.js';
import type { IdleCostFigures } from './idle-cost.js';
import { fmt } from './stats.js';
import type { RunFigures, Workload } from './workloads.js';

export interface WorkloadResult {
  readonly workload: Workload;
  /** Median over the repetitions, per system; absent for a system that did not run. */
  readonly median: Partial<Record<SystemName, RunFigures>>;
  readonly repetitions: Partial<Record<SystemName, RunFigures[]>>;
}

export interface SuiteResults {
  readonly date: string;
  readonly quick: boolean;
  readonly repetitions: number;
  readonly timing: { readonly warmupMs: number; readonly durationMs: number };
  readonly machine: {
    readonly cpus: number;
    readonly loadAvg: readonly number[];
    readonly note: string;
  };
  /** etcd's version, or why it did not run. */
  readonly etcd: { readonly version: string } | { readonly skipped: string };
  readonly floor: FloorFigures;
  readonly groupCommit: GroupCommitFigures;
  readonly idle: IdleCostFigures & {
    readonly partitions: number;
    readonly idleMs: number;
    readonly settleMs: number;
  };
  readonly workloads: readonly WorkloadResult[];
  /** Why the workloads stopped early (a server process exited, say); absent when all ran. */
  readonly aborted?: string;
}

export interface Target {
  readonly name: string;
  readonly met: boolean;
  readonly detail: string;
}

const mbPerMiB = 1.048576;

/** The eight targets of DESIGN §9, in its order. A target etcd was needed for and missing is missed. */
export function targets(r: SuiteResults): Target[] {
  const figures = (id: string) => r.workloads.find((w) => w.workload.id === id)?.median ?? {};
  const vsEtcd = (
    name: string,
    id: string,
    value: (f: RunFigures) => number,
    met: (mr: number, etcd: number) => boolean,
    describe: (mr: number, etcd: number) => string,
  ): Target => {
    const { multiraft, etcd } = figures(id);
    if (multiraft === undefined || etcd === undefined) {
      return { name, met: false, detail: 'not measured (etcd did not run)' };
    }
    const [m, e] = [value(multiraft), value(etcd)];
    return { name, met: met(m, e), detail: describe(m, e) };
  };
  const ratio = (m: number, e: number) => `${fmt(m / e, 2)}×`;
  const write1 = figures('write-1').multiraft;
  const rssMaxMB = Math.max(...r.idle.rssMiB) * mbPerMiB;
  const cpuMax = Math.max(...r.idle.cpuPercent);
  const groupRatio = r.groupCommit.appendsPerSec / r.groupCommit.fsyncRate;
  return [
    vsEtcd(
      'writes at 256 clients ≥ 3× etcd',
      'write-256',
      (f) => f.opsPerSec,
      (m, e) => m >= 3 * e,
      (m, e) => `${fmt(m)} vs ${fmt(e)} writes/s: ${ratio(m, e)}`,
    ),
    vsEtcd(
      'one-client write p50 ≤ 0.5× etcd',
      'write-1',
      (f) => f.p50Ms,
      (m, e) => m <= 0.5 * e,
      (m, e) => `${fmt(m, 2)} vs ${fmt(e, 2)} ms: ${ratio(m, e)}`,
    ),
    write1 === undefined
      ? { name: 'one-client write p50 ≤ 2× the floor', met: false, detail: 'not measured' }
      : {
          name: 'one-client write p50 ≤ 2× the floor',
          met: write1.p50Ms <= 2 * r.floor.floorMs,
          detail: `${fmt(write1.p50Ms, 2)} ms vs floor ${fmt(r.floor.floorMs, 2)} ms: ${fmt(write1.p50Ms / r.floor.floorMs, 2)}×`,
        },
    vsEtcd(
      'linearizable reads at 64 clients ≥ 5× etcd',
      'read-64',
      (f) => f.opsPerSec,
      (m, e) => m >= 5 * e,
      (m, e) => `${fmt(m)} vs ${fmt(e)} reads/s: ${ratio(m, e)}`,
    ),
    vsEtcd(
      'CAS/s at 64 clients on 16 values ≥ 3× etcd',
      'cas-64',
      (f) => f.opsPerSec,
      (m, e) => m >= 3 * e,
      (m, e) => `${fmt(m)} vs ${fmt(e)} CAS/s: ${ratio(m, e)}`,
    ),
    vsEtcd(
      'put→event p99 with 100 subscribers ≤ etcd',
      'notify-100',
      (f) => f.p99Ms,
      (m, e) => m <= e,
      (m, e) => `${fmt(m, 2)} vs ${fmt(e, 2)} ms: ${ratio(m, e)}`,
    ),
    {
      name: '1,000 partitions × 3 idle: ≤ 100 MB RSS and ≤ 2 % of a core per node',
      met: rssMaxMB <= 100 && cpuMax <= 2,
      detail: `max ${fmt(rssMaxMB)} MB RSS, max ${fmt(cpuMax, 1)} % of a core`,
    },
    {
      name: 'group commit ≥ 20× raw fdatasync (64 partitions)',
      met: groupRatio >= 20,
      detail: `${fmt(r.groupCommit.appendsPerSec)} appends/s vs ${fmt(r.groupCommit.fsyncRate)} fdatasync/s: ${fmt(groupRatio, 1)}×`,
    },
  ];
}

/** CPU µs per operation per process, e.g. "node 1 41 · node 2 20 · node 3 19 · client 35". */
function cpuLine(f: RunFigures | undefined): string {
  if (f === undefined) return '—';
  return Object.entries(f.cpuUsPerOp)
    .map(([name, us]) => `${name.replace(/^(node|etcd) /, '')} ${fmt(us)}`)
    .join(' · ');
}

const rate = (f: RunFigures | undefined) => (f === undefined ? '—' : fmt(f.opsPerSec));
const lat = (f: RunFigures | undefined) =>
  f === undefined ? '—' : `${fmt(f.p50Ms, 2)} / ${fmt(f.p99Ms, 2)}`;

/** The comparison as a Markdown table (printed, and pasted into the README). */
export function table(r: SuiteResults): string {
  const rows = [
    [
      'workload',
      'multiraft ops/s',
      'etcd ops/s',
      'ratio',
      'multiraft p50 / p99 ms',
      'etcd p50 / p99 ms',
      'CPU µs/op multiraft (n1 · n2 · n3 · client)',
      'CPU µs/op etcd (m1 · m2 · m3 · client)',
    ],
  ];
  for (const w of r.workloads) {
    const { multiraft: m, etcd: e } = w.median;
    rows.push([
      w.workload.label,
      rate(m),
      rate(e),
      m === undefined || e === undefined ? '—' : `${fmt(m.opsPerSec / e.opsPerSec, 2)}×`,
      lat(m),
      lat(e),
      cpuLine(m),
      cpuLine(e),
    ]);
  }
  const mb = (rss: readonly number[]) => rss.map((x) => fmt(x * mbPerMiB)).join(' / ');
  const idle =
    `${mb(r.idle.rssMiB)} MB RSS after ${fmt(r.idle.settleMs / 1000)} s settling ` +
    `(${mb(r.idle.readyRssMiB)} when ready); ${r.idle.cpuPercent.map((x) => fmt(x, 1)).join(' / ')} % CPU`;
  rows.push([
    `idle, ${fmt(r.idle.partitions)} partitions × 3 on 3 nodes`,
    idle,
    '—',
    '—',
    '—',
    '—',
    '—',
    '—',
  ]);
  const g = r.groupCommit;
  rows.push([
    'group commit, 64 partitions, 64 B',
    fmt(g.appendsPerSec),
    '—',
    `${fmt(g.appendsPerSec / g.fsyncRate, 1)}× fdatasync`,
    `${fmt(g.p50Ms, 2)} / ${fmt(g.p99Ms, 2)}`,
    '—',
    `bench ${fmt(g.cpuUsPerAppend, 1)}`,
    '—',
  ]);
  const f = r.floor;
  rows.push([
    `floor: fdatasync (${f.fsyncWriters} writers) + loopback round trip`,
    `${fmt(f.fsyncRate)} fdatasync/s`,
    '—',
    '—',
    `${fmt(f.fsyncP50Ms, 2)} + ${fmt(f.rttP50Ms, 3)} = ${fmt(f.floorMs, 2)}`,
    '—',
    '—',
    '—',
  ]);
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const line = (row: string[]) =>
    `| ${row.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`;
  return [
    line(rows[0]!),
    `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`,
    ...rows.slice(1).map(line),
  ].join('\n');
}

/** The closing lines: each target with met/missed, then `targets met: K/8`. */
export function targetLines(r: SuiteResults): string {
  const list = targets(r);
  const met = list.filter((t) => t.met).length;
  return [
    ...list.map(
      (t, i) => `target ${i + 1} ${t.met ? 'met   ' : 'missed'}: ${t.name} (${t.detail})`,
    ),
    `targets met: ${met}/${list.length} (${list.map((t, i) => `${i + 1} ${t.met ? 'met' : 'missed'}`).join(', ')})`,
  ].join('\n');
}
