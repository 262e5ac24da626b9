// The CI schedule of the chaos harness (issue 10): 3 real nodes, about a minute of kill -9 and
// restarts, then about a minute of network partitions, each run's history checked for
// linearizability, its events for exactly-once delivery, its replicas for convergence.
// `npm run chaos` runs longer schedules with every nemesis.

import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { NemesisKind } from './nemesis.js';
import { runChaos } from './run.js';

const outDir = join(tmpdir(), 'multiraft-chaos-ci');

describe.each([
  ['kill', 1],
  ['partition', 2],
] as [NemesisKind, number][])('chaos: %s, 3 nodes', (nemesis, seed) => {
  test(`a minute of ${nemesis} faults: no violation (seed ${seed})`, async () => {
    const result = await runChaos({
      seed,
      nodes: 3,
      partitions: 3,
      durationMs: 60_000,
      nemesis: [nemesis],
      clients: 4,
      outDir,
    });
    const replay = `reproduce: npm run chaos -- --nemesis ${nemesis} --seed ${seed} --duration 60s`;
    expect(result.violations, replay).toEqual([]);
    expect(result.unknown, replay).toBe(false);
    expect(result.faults).toBeGreaterThan(0);
    expect(result.ops).toBeGreaterThan(0);
  }, 300_000);
});
