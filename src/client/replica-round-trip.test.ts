// The partition protocol in front of real replicas: a three-replica test cluster (in-memory, driven
// on each event-loop turn) behind three loopback servers, and a PartitionClient with a
// ClientSession driving AtomicValue commands and a linearizable read, starting at a follower.
import { setImmediate } from 'node:timers';
import { afterEach, expect, test, vi } from 'vitest';
import { type NodeId, nodeId, type PartitionId, partitionId, sessionId } from '../common/index.js';
import type { PartitionInput } from '../gen/atomix/multiraft/v1/fsm_pb.js';
import { type QueryInput, Status } from '../gen/multiraft/v1/output_pb.js';
import { decode, wire } from '../primitives/testing/atomic-value-wire.js';
import type { CommandCaller, QueryCaller } from '../replica/index.js';
import { TestCluster } from '../replica/testing/cluster.js';
import {
  callValue,
  createValue,
  getByName,
  openSession,
  valueResult,
} from '../replica/testing/inputs.js';
import { unknownPartition } from '../server/call-error.js';
import { listenGrpc } from '../server/grpc-server.js';
import { type PartitionBackend, PartitionService } from '../server/partition-service.js';
import { ClientSession } from '../session/index.js';
import { PartitionClient } from './partition-client.js';

/** One node's view of the test cluster; every call moves the cluster on the next turn. */
class ReplicaBackend implements PartitionBackend {
  static #scheduled = false;
  constructor(
    readonly cluster: TestCluster,
    readonly id: number,
    readonly addresses: Map<NodeId, string>,
  ) {}
  propose(partition: PartitionId, input: PartitionInput, caller: CommandCaller): void {
    if (partition !== 1) return caller.fail(unknownPartition(partition));
    this.cluster.replica(this.id).propose(input, caller);
    this.#stabilize();
  }
  query(partition: PartitionId, input: QueryInput, caller: QueryCaller): void {
    if (partition !== 1) return caller.fail(unknownPartition(partition));
    this.cluster.replica(this.id).query(input, caller);
    this.#stabilize();
  }
  apiAddressOf(node: NodeId): string | undefined {
    return this.addresses.get(node);
  }
  #stabilize(): void {
    if (ReplicaBackend.#scheduled) return;
    ReplicaBackend.#scheduled = true;
    setImmediate(() => {
      ReplicaBackend.#scheduled = false;
      this.cluster.stabilize();
    });
  }
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

test('a session on real replicas: NOT_LEADER to the leader, commands, a read', async () => {
  const cluster = new TestCluster(3);
  cluster.elect(2);
  const addresses = new Map<NodeId, string>();
  for (const id of [1, 2, 3]) {
    const service = new PartitionService(new ReplicaBackend(cluster, id, addresses));
    const server = await listenGrpc({ port: 0, routes: (r) => service.register(r) });
    addresses.set(nodeId(id), server.address);
    closers.push(async () => {
      service.close();
      await server.close();
    });
  }
  const client = new PartitionClient({ nodes: new Map(addresses) });
  closers.push(() => client.close());
  const p1 = partitionId(1);

  const opened = await client.propose(p1, openSession(30_000));
  expect(client.leaderOf(p1)).toBe(2);
  expect(opened.output?.output.case).toBe('openSession');
  const id = opened.index;
  const session = new ClientSession(sessionId(Number(id)), client.timers.now, {
    timeoutMs: 30_000,
  });

  const createSeq = session.allocate();
  const created = await client.propose(p1, createValue(Number(id), createSeq, 'v'));
  session.finish(createSeq);
  const service = created.output?.output;
  expect(service?.case).toBe('sessionOutput');
  const serviceId = Number(created.index);

  const setSeq = session.allocate();
  const set = await client.propose(p1, callValue(Number(id), setSeq, serviceId, wire.set('x')));
  session.finish(setSeq);
  expect(valueResult(set)).toMatchObject({ status: 'OK', output: { set: Number(set.index) } });

  const read = await client.query(p1, getByName('v'));
  expect(read.result.status).toBe(Status.OK);
  expect(decode(read.result)).toEqual({
    status: 'OK',
    output: { get: { value: 'x', index: Number(set.index) } },
  });
  expect(read.index).toBeGreaterThanOrEqual(Number(set.index));

  // The same sequence number again replays the cached output: exactly once over the protocol.
  const replay = await client.propose(p1, callValue(Number(id), setSeq, serviceId, wire.set('y')));
  expect(replay.index).toBe(set.index);
  await vi.waitFor(() => expect(client.openCallCount).toBe(0), { timeout: 10_000 });
});
