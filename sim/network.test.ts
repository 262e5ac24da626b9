import { describe, expect, test } from 'vitest';
import { type NodeId, nodeId, Prng } from '../src/common/index.js';
import { SimNetwork } from './network.js';
import { Scheduler } from './scheduler.js';

const [n1, n2, n3] = [nodeId(1), nodeId(2), nodeId(3)];

function setup(seed = 1) {
  const scheduler = new Scheduler();
  const got: [NodeId, NodeId, number, number][] = [];
  const net = new SimNetwork<number>(scheduler, new Prng(seed), (from, to, m) =>
    got.push([from, to, m, scheduler.now]),
  );
  return { scheduler, net, got };
}

describe('SimNetwork', () => {
  test('delivers within the delay bounds, reordered by random delays', async () => {
    const { scheduler, net, got } = setup();
    net.faults = { delayMsMin: 1, delayMsMax: 50, lossRate: 0, duplicateRate: 0 };
    for (let i = 0; i < 100; i++) net.send(n1, n2, i);
    await scheduler.runUntil(1000);
    expect(got).toHaveLength(100);
    const times = got.map(([, , , at]) => at);
    expect(Math.min(...times)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...times)).toBeLessThanOrEqual(50);
    const order = got.map(([, , m]) => m);
    expect(order).not.toEqual([...order].sort((a, b) => a - b));
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  test('an asymmetric cut drops one direction only, including messages in flight', async () => {
    const { scheduler, net, got } = setup();
    net.send(n1, n2, 1);
    net.cut(n1, n2);
    net.send(n2, n1, 2);
    await scheduler.runUntil(100);
    expect(got.map(([f, t, m]) => [f, t, m])).toEqual([[n2, n1, 2]]);
    expect(net.stats.cut).toBe(1);
    net.heal();
    net.send(n1, n2, 3);
    await scheduler.runUntil(200);
    expect(got.at(-1)?.[2]).toBe(3);
  });

  test('a partition isolates groups both ways but not within a group', () => {
    const { net } = setup();
    net.partition([[n1], [n2, n3]]);
    expect(net.isCut(n1, n2) && net.isCut(n2, n1) && net.isCut(n3, n1)).toBe(true);
    expect(net.isCut(n2, n3)).toBe(false);
  });

  test('loss and duplication happen at their rates and the same seed repeats the run', async () => {
    const run = async (seed: number) => {
      const { scheduler, net, got } = setup(seed);
      net.faults = { delayMsMin: 0, delayMsMax: 10, lossRate: 0.2, duplicateRate: 0.1 };
      for (let i = 0; i < 2000; i++) net.send(n1, n2, i);
      await scheduler.runUntil(100);
      return { stats: { ...net.stats }, got: got.map(([, , m, at]) => [m, at]) };
    };
    const a = await run(5);
    expect(a.stats.lost).toBeGreaterThan(300);
    expect(a.stats.lost).toBeLessThan(500);
    expect(a.stats.duplicated).toBeGreaterThan(100);
    expect(a.stats.delivered).toBe(2000 - a.stats.lost + a.stats.duplicated);
    expect(await run(5)).toEqual(a);
    expect(await run(6)).not.toEqual(a);
  });
});
