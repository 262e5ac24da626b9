import { expect, test } from 'vitest';
import { defaultSimOptions, runSeed } from './run-seed.js';

test('the same seed replays the same run; another seed does not', async () => {
  const options = { ...defaultSimOptions, chaosMs: 3_000 };
  const trace = async (seed: number) => {
    const lines: string[] = [];
    const r = await runSeed({ ...options, seed, trace: (line) => lines.push(line) });
    return { lines, history: r.history, stats: r.stats, ops: r.ops, faults: r.faults };
  };
  const first = await trace(7);
  expect(first.ops).toBeGreaterThan(50);
  expect(first.lines.length).toBeGreaterThan(2);
  expect(await trace(7)).toEqual(first);
  expect((await trace(8)).history).not.toEqual(first.history);
});
