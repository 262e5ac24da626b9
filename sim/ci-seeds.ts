// The fixed seed list CI runs (issue 4: at least 300 seeds within a few minutes). Split across
// test files so the two test workers share it; `npm run sim -- --seeds N` runs many more.

import { expect } from 'vitest';
import { defaultSimOptions, runSeed } from './run-seed.js';

/** Simulated ms of faults per CI seed: shorter than the command's default, same checks. */
export const ciChaosMs = 6_000;

export async function expectSeedsClean(first: number, count: number): Promise<void> {
  let ops = 0;
  let faults = 0;
  for (let seed = first; seed < first + count; seed++) {
    const r = await runSeed({ ...defaultSimOptions, chaosMs: ciChaosMs, seed });
    const replay = `reproduce: npm run sim -- --seed ${seed} --chaos-ms ${ciChaosMs}`;
    expect(r.violations, replay).toEqual([]);
    expect(r.checkerUnknown, replay).toBe(false);
    ops += r.ops;
    faults += r.faults;
  }
  // A run that did nothing would pass vacuously: make sure the seeds exercised the system.
  expect(ops).toBeGreaterThan(count * 50);
  expect(faults).toBeGreaterThan(count);
}
