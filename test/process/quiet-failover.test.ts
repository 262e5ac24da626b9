// Real processes on loopback: idle partitions go quiet and their nodes stop ticking. When the node
// leading some of them is killed, the others learn it from the closed peer connection and elect
// new leaders with no client traffic at all (docs/host.md, "Idle partitions go quiet").

import { afterAll, beforeAll, expect, test } from 'vitest';
import type { NodeId } from '../../src/common/index.js';
import { partitionSamples, sample } from '../../src/server/testing/exposition.js';
import { ProcessCluster } from './process-cluster.js';

let cluster: ProcessCluster;

beforeAll(async () => {
  cluster = await ProcessCluster.start({ nodes: 3, partitions: 6, replication: 3 });
  await cluster.waitAllReady();
}, 60_000);

afterAll(async () => {
  await cluster?.destroy();
});

/** The leader of each partition as node `id` knows it, read from its /metrics (no Raft traffic). */
async function leaders(id: NodeId): Promise<number[]> {
  return [...partitionSamples(await cluster.scrape(id), 'multiraft_partition_leader').values()];
}

/** The local partitions node `id` still ticks (its `multiraft_partitions_active` gauge). */
async function active(id: NodeId): Promise<number | undefined> {
  return sample(await cluster.scrape(id), 'multiraft_partitions_active');
}

test('kill -9 of a node while every partition is quiet: the others elect new leaders without traffic', async () => {
  // Partitions quiesce after 20 idle ticks (2 s); then the nodes stop ticking.
  await expect
    .poll(async () => (await Promise.all(cluster.ids.map(active))).every((n) => n === 0), {
      timeout: 20_000,
      interval: 200,
    })
    .toBe(true);
  const [first] = cluster.ids;
  const before = await leaders(first!);
  expect(before).toHaveLength(6);
  // Preferred leaders spread over the nodes: node 1 leads some partitions.
  const victim = first!;
  expect(before).toContain(victim);
  await cluster.stop(victim, 'SIGKILL');
  const others = cluster.ids.filter((id) => id !== victim);
  await expect
    .poll(
      async () => {
        const known = await Promise.all(others.map(leaders));
        return known.every((l) => l.length === 6 && l.every((n) => n !== 0 && n !== victim));
      },
      { timeout: 20_000, interval: 200 },
    )
    .toBe(true);
}, 60_000);
