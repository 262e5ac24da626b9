#!/usr/bin/env node
// The pure core (DESIGN §1) does no I/O and reads no clock or random source it was not handed: the
// simulator runs exactly these modules. This check keeps it that way: no `node:*` (or bare Node
// built-in) import, no Date, Math.random, performance, timers or process in non-test files.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const pureDirs = [
  'src/raft',
  'src/fsm',
  'src/primitives',
  'src/replica',
  'src/session',
  'src/protocol',
];
// The encoders of the I/O layers are pure too (STYLE): tested on raw bytes, no sockets or files.
const pureFiles = [
  'src/common/bytes.ts',
  'src/common/proto-wire.ts',
  'src/storage/batch-encoder.ts',
  'src/storage/record-codec.ts',
  'src/storage/segment-format.ts',
  'src/storage/snapshot-format.ts',
  'src/transport/frame-codec.ts',
  'src/transport/message-codec.ts',
  'src/transport/send-queue.ts',
];
const builtins = new Set(builtinModules);

const forbidden = [
  [/\bfrom\s+['"]node:[^'"]+['"]/, 'imports a node: module'],
  [/\bimport\s*\(\s*['"]node:/, 'imports a node: module'],
  [/\brequire\s*\(/, 'calls require()'],
  [/\bnew\s+Date\b|\bDate\.now\b|\bDate\s*\(/, 'reads the clock (Date)'],
  [/\bMath\.random\b/, 'draws from Math.random'],
  [/\bperformance\./, 'reads the clock (performance)'],
  [
    /\b(setTimeout|setInterval|setImmediate|queueMicrotask|clearTimeout|clearInterval)\s*\(/,
    'uses timers',
  ],
  [/\bprocess\./, 'touches the process'],
  [/\bcrypto\./, 'uses crypto (a random source)'],
];

function* files(dir) {
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) yield path;
  }
}

const problems = [];
const checked = [
  ...pureDirs.flatMap((dir) => [...files(join(root, dir))]),
  ...pureFiles.map((f) => join(root, f)),
];
for (const path of checked) {
  const lines = readFileSync(path, 'utf8').split('\n');
  lines.forEach((line, i) => {
    // Comments may name what the code must not do; only code counts.
    if (/^\s*(\*|\/\*)/.test(line)) return;
    const code = line.replace(/\/\/.*$/, '');
    for (const [pattern, what] of forbidden) {
      if (pattern.test(code)) problems.push(`${relative(root, path)}:${i + 1}: ${what}`);
    }
    const bare = code.match(/\bfrom\s+['"]([^'"./][^'"]*)['"]/);
    if (bare && builtins.has(bare[1].split('/')[0])) {
      problems.push(`${relative(root, path)}:${i + 1}: imports Node built-in '${bare[1]}'`);
    }
  });
}

if (problems.length > 0) {
  console.error(`purity check: ${problems.length} problem(s) in the pure core:`);
  for (const p of problems) console.error(`  ${p}`);
  process.exit(1);
}
console.log(
  `purity check: ${pureDirs.join(', ')} and ${pureFiles.length} codec files are free of I/O, clocks and randomness`,
);
