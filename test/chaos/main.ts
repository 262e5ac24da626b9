// `npm run chaos`: fault injection on real processes (docs/chaos.md).
//   npm run chaos -- --nemesis kill,pause,partition,clock,disk --nodes 5 --duration 60s --seed N
//                    [--runs R] [--clients C] [--partitions P] [--out .chaos]
// Prints one line per run and the summary `runs: N, ops: O, faults: F, unknown: U, violations: V`;
// a failing run keeps its history, schedule and node logs in --out/seed-N. Exit 1 on any failure.

import { parseArgs } from 'node:util';
import { ttlMs } from '../../src/client/index.js';
import { type NemesisKind, nemesisKinds } from './nemesis.js';
import { runChaos } from './run.js';

const { values } = parseArgs({
  options: {
    nemesis: { type: 'string', default: nemesisKinds.join(',') },
    nodes: { type: 'string', default: '3' },
    partitions: { type: 'string', default: '3' },
    duration: { type: 'string', default: '60s' },
    seed: { type: 'string', default: '1' },
    runs: { type: 'string', default: '1' },
    clients: { type: 'string', default: '4' },
    out: { type: 'string', default: '.chaos' },
  },
});

const kinds = values.nemesis.split(',').map((k) => k.trim());
for (const kind of kinds) {
  if (!(nemesisKinds as readonly string[]).includes(kind)) {
    console.error(`unknown nemesis ${kind}; choose from ${nemesisKinds.join(', ')}`);
    process.exit(2);
  }
}
const integer = (name: string, text: string, min: number) => {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) {
    console.error(`--${name} must be an integer ≥ ${min}, not ${text}`);
    process.exit(2);
  }
  return n;
};
const nodes = integer('nodes', values.nodes, 3);
const runs = integer('runs', values.runs, 1);
const first = integer('seed', values.seed, 0);

let ops = 0;
let faults = 0;
let unknown = 0;
let violations = 0;
for (let seed = first; seed < first + runs; seed++) {
  const result = await runChaos({
    seed,
    nodes,
    partitions: integer('partitions', values.partitions, 1),
    durationMs: ttlMs(values.duration),
    nemesis: kinds as NemesisKind[],
    clients: integer('clients', values.clients, 1),
    outDir: values.out,
  });
  ops += result.ops;
  faults += result.faults;
  if (result.unknown) unknown++;
  violations += result.violations.length;
  console.log(
    `seed ${seed}: ${result.ops} ops, ${result.faults} faults, ${result.unknownOutcomes} unknown outcomes, ${result.events} events checked, full service ${Math.round(result.recoveryMs)} ms after the last heal, ${result.violations.length} violations${result.unknown ? ', checker UNKNOWN' : ''}`,
  );
  for (const v of result.violations) console.log(`  ${v.split('\n').join('\n  ')}`);
  if (result.violations.length > 0 || result.unknown) {
    console.log(
      `  kept in ${values.out}/seed-${seed}; schedule:\n    ${result.schedule.join('\n    ')}`,
    );
  }
}
console.log(
  `runs: ${runs}, ops: ${ops}, faults: ${faults}, unknown: ${unknown}, violations: ${violations}`,
);
process.exit(unknown + violations > 0 ? 1 : 0);
