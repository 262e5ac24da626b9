// The harness end to end on a 1-node multiraft cluster from the sources (CI smoke, issue 9): each
// kind of workload runs for a second and reports operations and CPU per process. No figure is
// judged: the machine's speed is not under test.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MultiraftSystem } from './multiraft-system.js';
import { prepare, run, type Timing, type Workload, workloads } from './workloads.js';

const timing: Timing = { warmupMs: 200, durationMs: 1_000 };
let system: MultiraftSystem;

beforeAll(async () => {
  system = await MultiraftSystem.start({ nodes: 1, entry: 'source' });
  await prepare(system);
}, 60_000);

afterAll(async () => {
  await system?.close();
});

const byKind = (kind: Workload['kind']) => workloads.find((w) => w.kind === kind)!;

describe('bench workloads on a 1-node cluster', () => {
  test.each([
    { ...byKind('write'), clients: 4 },
    { ...byKind('read'), clients: 4 },
    { ...byKind('cas'), clients: 4 },
    { ...byKind('notify'), clients: 3 },
  ])('$kind with $clients clients measures operations and CPU per process', async (w) => {
    const f = await run(system, w, timing);
    expect(f.ops).toBeGreaterThan(0);
    expect(f.errors).toBe(0);
    expect(f.p99Ms).toBeGreaterThanOrEqual(f.p50Ms);
    expect(Object.keys(f.cpuUsPerOp).sort()).toEqual(['client', 'node 1']);
  });
});
