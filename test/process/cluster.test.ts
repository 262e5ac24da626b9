// Real processes on loopback (issue 6): a 3-node cluster serves AtomicValue operations through
// every node; kill -9 of a partition's leader elects a new one without losing an acknowledged
// write; the killed node catches up when restarted; a full stop and start keeps everything.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PartitionClient } from '../../src/client/partition-client.js';
import { type NodeId, partitionId } from '../../src/common/index.js';
import { ProcessCluster } from './process-cluster.js';
import { ValueSession } from './value-session.js';

const p1 = partitionId(1);
let cluster: ProcessCluster;
const clients: PartitionClient[] = [];

/**
 * A client that knows only `entry`: with `forward`, that node forwards calls to the leader;
 * without, NOT_LEADER replies teach the client the leader's address.
 */
function clientThrough(entry: NodeId, forward: boolean): PartitionClient {
  const address = cluster.apiAddresses().get(entry)!;
  const client = new PartitionClient({
    nodes: new Map([[entry, address]]),
    attemptTimeoutMs: 1_000,
    callTimeoutMs: 20_000,
    forward,
  });
  clients.push(client);
  return client;
}

function allNodesClient(): PartitionClient {
  const client = new PartitionClient({
    nodes: cluster.apiAddresses(),
    attemptTimeoutMs: 1_000,
    callTimeoutMs: 20_000,
  });
  clients.push(client);
  return client;
}

/** The node a client last heard lead `partition`: ask it with a read. */
async function leaderOf(client: PartitionClient, name: string, session: ValueSession) {
  await session.get(name);
  return client.leaderOf(p1);
}

beforeAll(async () => {
  cluster = await ProcessCluster.start({
    nodes: 3,
    partitions: 3,
    replication: 3,
    flags: ['--snapshot-entries=50', '--snapshot-retain-entries=10'],
  });
  await cluster.waitAllReady();
}, 60_000);

afterAll(async () => {
  for (const client of clients) await client.close();
  await cluster?.destroy();
});

describe('a 3-node cluster of real processes', () => {
  test('serves AtomicValue operations through every node', async () => {
    for (const entry of cluster.ids) {
      for (const forward of [true, false]) {
        const client = clientThrough(entry, forward);
        const session = await ValueSession.open(client, p1);
        const name = `through-${entry}-${forward}`;
        const service = await session.create(name);
        const version = await session.set(service, `hello from ${entry}`);
        expect(version).toBeGreaterThan(0);
        expect(await session.get(name)).toBe(`hello from ${entry}`);
        // Forwarded, the client never needed another node's address.
        if (forward) expect(client.nodes).toEqual([entry]);
        await session.close();
      }
    }
  });

  test('kill -9 of the leader: a new leader, no acknowledged write lost; the node catches up through a snapshot', async () => {
    const client = allNodesClient();
    const session = await ValueSession.open(client, p1);
    const service = await session.create('survivor');
    let last = '';
    for (let i = 0; i < 20; i++) {
      last = `v${i}`;
      await session.set(service, last);
    }
    const leader = await leaderOf(client, 'survivor', session);
    expect(await cluster.stop(leader, 'SIGKILL')).toBe(null);
    // Writes continue under a new leader; the in-flight retries keep their sequence numbers.
    for (let i = 20; i < 140; i++) {
      last = `v${i}`;
      await session.set(service, last);
    }
    expect(await session.get('survivor')).toBe(last);
    expect(await leaderOf(client, 'survivor', session)).not.toBe(leader);
    // The killed node fell behind the compacted log (snapshots every 50 entries, 10 retained):
    // restarted, it catches up through a snapshot.
    cluster.spawn(leader);
    await cluster.waitReady(leader);
    await expect
      .poll(() => cluster.output(leader).includes('installed snapshot'), { timeout: 20_000 })
      .toBe(true);
    // It now holds the log: with another node killed, it forms the quorum that keeps writing.
    const other = cluster.ids.find((id) => id !== leader && cluster.running(id))!;
    await cluster.stop(other, 'SIGKILL');
    last = 'after catch-up';
    await session.set(service, last);
    expect(await session.get('survivor')).toBe(last);
    cluster.spawn(other);
    await cluster.waitReady(other);
    await session.close();
  }, 90_000);

  test('stop every node and start them again: all data is there', async () => {
    const client = allNodesClient();
    const session = await ValueSession.open(client, p1);
    const service = await session.create('durable');
    await session.set(service, 'before restart');
    await session.close();
    for (const id of cluster.ids) expect(await cluster.stop(id, 'SIGTERM')).toBe(0);
    for (const id of cluster.ids) cluster.spawn(id);
    await cluster.waitAllReady();
    const after = await ValueSession.open(allNodesClient(), p1);
    expect(await after.get('durable')).toBe('before restart');
    expect(await after.get('survivor')).toBe('after catch-up');
    await after.close();
  }, 90_000);
});
