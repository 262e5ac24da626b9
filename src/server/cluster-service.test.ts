import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createGrpcTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type NodeId, partitionId } from '../common/index.js';
import { PartitionStateMachine } from '../fsm/index.js';
import { Cluster, ReplicaRole } from '../gen/multiraft/v1/cluster_pb.js';
import { Status } from '../gen/multiraft/v1/output_pb.js';
import { HostCluster, proposeOn, waitFor } from '../host/testing/host-cluster.js';
import { primitiveTypes } from '../primitives/index.js';
import { wire } from '../primitives/testing/atomic-value-wire.js';
import { callValue, createValue, openSession } from '../replica/testing/inputs.js';
import {
  type ClusterMember,
  ClusterPeers,
  ClusterService,
  nodeTimeoutMsMax,
  stateHash,
} from './cluster-service.js';
import { type GrpcServer, listenGrpc } from './grpc-server.js';

const p1 = partitionId(1);
let hosts: HostCluster;
const servers = new Map<NodeId, GrpcServer>();
const peers: ClusterPeers[] = [];

/** Three hosts over loopback, each serving Cluster on a real gRPC port, asking the others. */
beforeAll(async () => {
  hosts = new HostCluster({ nodes: 3, partitions: 3, replication: 3 });
  await hosts.startAll();
  await waitFor(() => hosts.ids.every((id) => hosts.host(id).ready()), 'every leader');
  // Filled once the servers are bound: the services read it per request.
  const members: ClusterMember[] = [];
  for (const id of hosts.ids) {
    const askers = new ClusterPeers();
    peers.push(askers);
    const backend = {
      nodeId: id,
      members,
      placement: hosts.placement,
      replicas: () => hosts.host(id).replicas(),
    };
    const service = new ClusterService(backend, askers.ask);
    const server = await listenGrpc({ port: 0, routes: (r) => service.register(r) });
    servers.set(id, server);
    members.push({ id, apiAddress: server.address, peerAddress: `127.0.0.1:${id}` });
  }
});

afterAll(async () => {
  for (const sessions of clientSessions) sessions.abort();
  for (const p of peers) p.close();
  for (const server of servers.values()) await server.close();
  await hosts?.stopAll();
});

const clientSessions: Http2SessionManager[] = [];

function clientOf(id: number) {
  const baseUrl = `http://${servers.get(id as NodeId)!.address}`;
  const sessionManager = new Http2SessionManager(baseUrl);
  clientSessions.push(sessionManager);
  return createClient(Cluster, createGrpcTransport({ baseUrl, sessionManager }));
}

async function codeOf(call: Promise<unknown>): Promise<Code | 'ok'> {
  try {
    await call;
    return 'ok';
  } catch (error) {
    return ConnectError.from(error).code;
  }
}

describe('ClusterService', () => {
  test('through one node: every node, partition, replica, leader, and equal state hashes', async () => {
    const leader = hosts.leaderOf(p1)!;
    const open = await proposeOn(leader, p1, openSession());
    const session = Number(open.index);
    const created = await proposeOn(leader, p1, createValue(session, 1));
    const service = Number(created.index);
    for (let seq = 2; seq <= 5; seq++) {
      const out = await proposeOn(
        leader,
        p1,
        callValue(session, seq, service, wire.set(`v${seq}`)),
      );
      expect(out.status).toBe(Status.OK);
    }
    const applied = leader.status().find((s) => s.partition === p1)!.applied;
    await waitFor(
      () => hosts.ids.every((id) => hosts.host(id).replicas().get(p1)!.applied === applied),
      'every replica applies the writes',
    );
    const answer = await clientOf(2).getCluster({ stateHash: true });
    expect(answer.nodeId).toBe(2);
    expect(answer.nodes.map((n) => [n.node?.id, n.reachable])).toEqual([
      [1, true],
      [2, true],
      [3, true],
    ]);
    expect(answer.nodes[0]!.node!.apiAddress).toBe(servers.get(1 as NodeId)!.address);
    expect(answer.partitions.map((p) => p.partitionId)).toEqual([1, 2, 3]);
    for (const p of answer.partitions) {
      expect(p.replicaNodeIds).toEqual([...hosts.placement.get(partitionId(p.partitionId))!]);
      expect(p.leaderId).toBe(hosts.leaderOf(partitionId(p.partitionId))!.nodeId);
      expect(p.replicas.map((r) => r.nodeId)).toEqual([1, 2, 3]);
      const leaders = p.replicas.filter((r) => r.role === ReplicaRole.LEADER);
      expect(leaders.map((r) => r.nodeId)).toEqual([p.leaderId]);
    }
    const written = answer.partitions[0]!.replicas;
    expect(written.every((r) => r.appliedIndex === BigInt(applied))).toBe(true);
    expect(written.every((r) => r.commitIndex >= r.appliedIndex && r.term > 0n)).toBe(true);
    const hashes = written.map((r) => Buffer.from(r.stateHash).toString('hex'));
    expect(hashes[0]).toHaveLength(64);
    expect(new Set(hashes).size).toBe(1);
    // Different states hash differently: partition 2 holds no value.
    expect(Buffer.from(answer.partitions[1]!.replicas[0]!.stateHash).toString('hex')).not.toBe(
      hashes[0],
    );
  });

  test('filters by partition and node; hashes only when asked', async () => {
    const answer = await clientOf(1).getCluster({ partitionIds: [3, 2, 3], nodeIds: [3] });
    expect(answer.nodes.map((n) => n.node?.id)).toEqual([3]);
    expect(answer.partitions.map((p) => p.partitionId)).toEqual([2, 3]);
    for (const p of answer.partitions) {
      expect(p.replicas.map((r) => [r.nodeId, r.stateHash.length])).toEqual([[3, 0]]);
    }
    const local = await clientOf(3).getLocalReplicas({ partitionIds: [1] });
    expect(local.replicas.map((r) => [r.nodeId, r.partitionId])).toEqual([[3, 1]]);
  });

  test('unknown partitions or nodes are NOT_FOUND, a huge timeout INVALID_ARGUMENT', async () => {
    const client = clientOf(1);
    expect(await codeOf(client.getCluster({ partitionIds: [4] }))).toBe(Code.NotFound);
    expect(await codeOf(client.getCluster({ partitionIds: [0] }))).toBe(Code.NotFound);
    expect(await codeOf(client.getCluster({ nodeIds: [9] }))).toBe(Code.NotFound);
    expect(await codeOf(client.getLocalReplicas({ partitionIds: [7] }))).toBe(Code.NotFound);
    const tooLong = client.getCluster({ nodeTimeoutMs: nodeTimeoutMsMax + 1 });
    expect(await codeOf(tooLong)).toBe(Code.InvalidArgument);
    const error = await client.getCluster({ partitionIds: [4] }).catch((e) => e);
    expect(String(error.message)).toContain('partition 4 does not exist (partitions are 1..3)');
  });

  test('a node that accepts but does not answer in time is unreachable: deadline exceeded', async () => {
    // A peer that takes every GetLocalReplicas and never answers (until the caller gives up).
    const hung = await listenGrpc({
      port: 0,
      routes: (router) =>
        router.service(Cluster, {
          getLocalReplicas: (_request, context) =>
            new Promise((_resolve, reject) => {
              context.signal.addEventListener('abort', () => reject(context.signal.reason));
            }),
          getCluster: () => {
            throw new ConnectError('not here', Code.Unimplemented);
          },
        }),
    });
    const askers = new ClusterPeers();
    try {
      const id = hosts.ids[0]!;
      const members = [
        { id, apiAddress: 'unused', peerAddress: 'unused' },
        { id: 2 as NodeId, apiAddress: hung.address, peerAddress: 'unused' },
      ];
      const backend = {
        nodeId: id,
        members,
        placement: hosts.placement,
        replicas: () => hosts.host(id).replicas(),
      };
      const service = new ClusterService(backend, askers.ask);
      const answer = await service.cluster({ nodeTimeoutMs: 200 }, new AbortController().signal);
      expect(answer.nodes.map((n) => [n.node?.id, n.reachable])).toEqual([
        [id, true],
        [2, false],
      ]);
      expect(answer.nodes[1]!.error).toContain('deadline');
      expect(answer.partitions[0]!.replicas.map((r) => r.nodeId)).toEqual([id]);
    } finally {
      askers.close();
      await hung.close();
    }
  });

  test('a node that does not answer is marked unreachable; the others still report', async () => {
    await servers.get(3 as NodeId)!.close();
    const answer = await clientOf(1).getCluster({ nodeTimeoutMs: 1_000 });
    expect(answer.nodes.map((n) => [n.node?.id, n.reachable])).toEqual([
      [1, true],
      [2, true],
      [3, false],
    ]);
    expect(answer.nodes[2]!.error).not.toBe('');
    for (const p of answer.partitions) expect(p.replicas.map((r) => r.nodeId)).toEqual([1, 2]);
  });
});

describe('stateHash', () => {
  test('a state and its snapshot restored elsewhere encode and hash the same', async () => {
    const host = hosts.host(hosts.ids[0]!);
    const bytes = host.stateSnapshot(p1)!;
    const restored = new PartitionStateMachine({ types: primitiveTypes });
    restored.restore(bytes);
    expect(restored.snapshot()).toEqual(bytes);
    expect(stateHash(restored.snapshot())).toEqual(stateHash(bytes));
  });
});
