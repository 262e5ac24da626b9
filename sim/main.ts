// `npm run sim -- --seeds N [--first-seed S]` runs seeds S … S+N−1 and prints a summary line;
// `--seed N` replays one seed with a readable trace. Exit code 1 on any violation or unknown.

import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatHistory } from './linearizability/index.js';
import { defaultSimOptions, runSeed, type SeedResult, type SimOptions } from './run-seed.js';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string' },
    'first-seed': { type: 'string' },
    seed: { type: 'string' },
    'chaos-ms': { type: 'string' },
    nodes: { type: 'string' },
    partitions: { type: 'string' },
    clients: { type: 'string' },
    history: { type: 'string' },
  },
});

const number = (text: string | undefined, fallback: number) => {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`not a whole number: ${text}`);
  return n;
};

const options = {
  ...defaultSimOptions,
  chaosMs: number(values['chaos-ms'], defaultSimOptions.chaosMs),
  nodes: number(values.nodes, defaultSimOptions.nodes),
  partitions: number(values.partitions, defaultSimOptions.partitions),
  clients: number(values.clients, defaultSimOptions.clients),
};

/** Runs a seed; an exception (an assertion: a bug) is that seed's violation, not the end. */
async function run(opts: SimOptions): Promise<SeedResult> {
  try {
    return await runSeed(opts);
  } catch (error) {
    const what = error instanceof Error ? (error.stack ?? error.message) : String(error);
    return {
      seed: opts.seed,
      ops: 0,
      faults: 0,
      checkerUnknown: false,
      unknownOps: 0,
      violations: [`crashed: ${what}`],
      history: [],
      stats: {},
    };
  }
}

function report(r: SeedResult): void {
  console.log(`seed ${r.seed}: ${r.violations.length} violation(s)`);
  for (const v of r.violations) console.log(`  ${v}`);
  const dir = values.history ?? '.sim';
  mkdirSync(dir, { recursive: true });
  const file = `${dir}/seed-${r.seed}.history.jsonl`;
  writeFileSync(file, formatHistory(r.history));
  console.log(`  history: ${file}; replay: npm run sim -- --seed ${r.seed}`);
}

const started = performance.now();
if (values.seed !== undefined) {
  const seed = number(values.seed, 1);
  const r = await run({ ...options, seed, trace: (line) => console.log(line) });
  console.log(JSON.stringify(r.stats));
  const unknown = r.checkerUnknown ? 1 : 0;
  console.log(
    `seeds: 1, ops: ${r.ops}, faults: ${r.faults}, unknown: ${unknown}, violations: ${r.violations.length}`,
  );
  if (r.violations.length > 0 || r.checkerUnknown) report(r);
  process.exit(r.violations.length > 0 || r.checkerUnknown ? 1 : 0);
}

const count = number(values.seeds, 1);
const first = number(values['first-seed'], 1);
let ops = 0;
let faults = 0;
let unknown = 0;
let unknownOps = 0;
let violations = 0;
for (let seed = first; seed < first + count; seed++) {
  const r = await run({ ...options, seed });
  ops += r.ops;
  faults += r.faults;
  unknown += r.checkerUnknown ? 1 : 0;
  unknownOps += r.unknownOps;
  violations += r.violations.length;
  if (r.violations.length > 0 || r.checkerUnknown) report(r);
  if ((seed - first + 1) % 100 === 0) console.log(`… ${seed - first + 1} seeds`);
}
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`(${seconds} s; operations with an unknown outcome: ${unknownOps})`);
console.log(
  `seeds: ${count}, ops: ${ops}, faults: ${faults}, unknown: ${unknown}, violations: ${violations}`,
);
process.exit(violations > 0 || unknown > 0 ? 1 : 0);
