// CPU profiles of the three nodes (and of the benchmark's client) while one workload of the suite
// runs (not a test). Each process writes a V8 `.cpuprofile` (open it in Chrome DevTools'
// Performance panel or https://www.speedscope.app for a flame graph); this prints, per process,
// where the time went: self time by function and by source file, the top lines of each.
// Usage: npm run bench:profile -- [--workload write-1] [--seconds 10] [--out DIR] [--top 25]
//   (workload ids as in bench/workloads.ts; the nodes run with `--cpu-prof`, the client profiles
//   itself through the inspector)

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MultiraftSystem } from './multiraft-system.js';
import { fmt } from './stats.js';
import { prepare, run, workloads } from './workloads.js';

const { values } = parseArgs({
  options: {
    workload: { type: 'string', default: 'write-1' },
    seconds: { type: 'string', default: '10' },
    out: { type: 'string' },
    top: { type: 'string', default: '25' },
  },
});
const workload = workloads.find((w) => w.id === values.workload);
if (workload === undefined) {
  console.error(
    `unknown workload ${values.workload}; one of ${workloads.map((w) => w.id).join(', ')}`,
  );
  process.exit(2);
}
const out = values.out ?? (await mkdtemp(join(tmpdir(), 'multiraft-profile-')));
await mkdir(out, { recursive: true });
const top = Number(values.top);

/**
 * What a node did per measured operation. The counters are read around the measured run only (the
 * warm-up is a run of its own before); the operations still in flight when it ends (at most one
 * per client) are done but not counted.
 */
const counters = [
  ['multiraft_transport_frames_sent_total', 'frames sent'],
  ['multiraft_transport_messages_sent_total', 'messages sent'],
  ['multiraft_wal_batch_bytes_count', 'WAL batches'],
  ['multiraft_wal_batch_bytes_sum', 'WAL bytes'],
  ['multiraft_proposals_total', 'proposals'],
] as const;

const system = await MultiraftSystem.start({
  execArgv: ['--cpu-prof', `--cpu-prof-dir=${out}`],
});
try {
  await prepare(system);
  const inspector = new Session();
  inspector.connect();
  await inspector.post('Profiler.enable');
  await inspector.post('Profiler.start');
  await run(system, workload, { warmupMs: 0, durationMs: 1_000 });
  const before = await system.metrics();
  const figures = await run(system, workload, {
    warmupMs: 0,
    durationMs: Number(values.seconds) * 1_000,
  });
  console.log(
    `${workload.label}: ${fmt(figures.opsPerSec)} ${workload.unit}/s, p50 ${fmt(figures.p50Ms, 2)} ms, ` +
      `p99 ${fmt(figures.p99Ms, 2)} ms (profiling slows every process)`,
  );
  console.log(perOperation(before, await system.metrics(), figures.ops));
  const { profile } = await inspector.post('Profiler.stop');
  writeFileSync(join(out, 'client.cpuprofile'), JSON.stringify(profile));
  inspector.disconnect();
} finally {
  await system.close({ graceful: true });
}

for (const file of readdirSync(out).filter((f) => f.endsWith('.cpuprofile'))) {
  console.log(
    `\n${join(out, file)}\n${summary(JSON.parse(readFileSync(join(out, file), 'utf8')))}`,
  );
}

function perOperation(
  before: Map<string, string>,
  after: Map<string, string>,
  ops: number,
): string {
  const value = (text: string | undefined, name: string) =>
    Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text ?? '')?.[1] ?? Number.NaN);
  return [...after]
    .map(
      ([node, text]) =>
        `${node} per operation: ` +
        counters
          .map(
            ([name, label]) =>
              `${fmt((value(text, name) - value(before.get(node), name)) / ops, 2)} ${label}`,
          )
          .join(', '),
    )
    .join('\n');
}

interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: {
      readonly functionName: string;
      readonly url: string;
      readonly lineNumber: number;
    };
  }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Self time per function and per file, busiest first; idle and the profiler's own are left out. */
function summary(p: CpuProfile): string {
  const byId = new Map(p.nodes.map((n) => [n.id, n.callFrame]));
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  let idle = 0;
  p.samples.forEach((id, i) => {
    const us = p.timeDeltas[i] ?? 0;
    const f = byId.get(id)!;
    if (f.functionName === '(idle)' || f.functionName === '(program)') {
      idle += us;
      return;
    }
    total += us;
    const file = shortFile(f.url) || f.functionName;
    const fn = `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    byFile.set(file, (byFile.get(file) ?? 0) + us);
  });
  const lines = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(
        ([k, us]) =>
          `  ${fmt((100 * us) / total, 1).padStart(5)} %  ${fmt(us / 1000).padStart(7)} ms  ${k}`,
      )
      .join('\n');
  return (
    `busy ${fmt(total / 1000)} ms, idle or unattributed ${fmt(idle / 1000)} ms\n` +
    `by function (self):\n${lines(byFunction)}\nby file (self):\n${lines(byFile)}`
  );
}

function shortFile(url: string): string {
  const i = url.indexOf('node_modules/');
  if (i >= 0) return url.slice(i + 'node_modules/'.length);
  const j = url.search(/\/(dist|src|bench)\//);
  return j >= 0 ? url.slice(j + 1) : url.replace(/^file:\/\//, '');
}
