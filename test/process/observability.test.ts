// Real processes on loopback (issue 7): the Cluster service reports the whole cluster through any
// node, with equal state hashes at equal applied indexes after writes; the standard health
// service answers a standard client (`@grpc/grpc-js` with `@grpc/proto-loader` reading the shipped
// .proto, not our generated code); `/metrics` serves per-partition gauges labelled by partition.

import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PartitionClient } from '../../src/client/partition-client.js';
import { type NodeId, nodeId, partitionId } from '../../src/common/index.js';
import {
  Cluster,
  type GetClusterResponse,
  ReplicaRole,
} from '../../src/gen/multiraft/v1/cluster_pb.js';
import { partitionSamples } from '../../src/server/testing/exposition.js';
import { ProcessCluster } from './process-cluster.js';
import { ValueSession } from './value-session.js';

const protoDir = new URL('../../proto/', import.meta.url).pathname;
let cluster: ProcessCluster;
let client: PartitionClient;

beforeAll(async () => {
  cluster = await ProcessCluster.start({ nodes: 3, partitions: 3, replication: 3 });
  await cluster.waitAllReady();
  client = new PartitionClient({
    nodes: cluster.apiAddresses(),
    attemptTimeoutMs: 1_000,
    callTimeoutMs: 20_000,
  });
}, 60_000);

afterAll(async () => {
  await client?.close();
  await cluster?.destroy();
});

function clusterClient(id: NodeId) {
  const baseUrl = `http://${cluster.apiAddresses().get(id)}`;
  return createClient(Cluster, createGrpcTransport({ baseUrl }));
}

/** The methods proto-loader generates for grpc.health.v1.Health (enums as strings). */
type HealthClient = grpc.Client & {
  Check(
    request: { service: string },
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, reply: { status: string }) => void,
  ): void;
  Watch(request: { service: string }): grpc.ClientReadableStream<{ status: string }>;
};

/** A standard health client, generated at run time from the shipped health.proto. */
function healthClient(id: NodeId): HealthClient {
  const definition = protoLoader.loadSync('grpc/health/v1/health.proto', {
    includeDirs: [protoDir],
    enums: String,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    grpc: {
      health: {
        v1: { Health: new (address: string, credentials: grpc.ChannelCredentials) => HealthClient };
      };
    };
  };
  const address = cluster.apiAddresses().get(id)!;
  return new loaded.grpc.health.v1.Health(address, grpc.credentials.createInsecure());
}

function check(health: HealthClient, service: string) {
  return new Promise<{ status?: string; code?: grpc.status }>((resolve) => {
    const deadline = Date.now() + 5_000;
    health.Check({ service }, { deadline }, (error, reply) =>
      resolve(error === null ? { status: reply.status } : { code: error.code }),
    );
  });
}

/** Polls GetCluster through `via` until `done` holds of the answer (followers learn commits late). */
async function clusterUntil(via: NodeId, done: (answer: GetClusterResponse) => boolean) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const answer = await clusterClient(via).getCluster({ stateHash: true });
    if (done(answer)) return answer;
    if (Date.now() > deadline) throw new Error(`not converged: ${JSON.stringify(answer, big)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const big = (_: string, v: unknown) => (typeof v === 'bigint' ? String(v) : v);

describe('observability of a 3-node cluster of real processes', () => {
  test('Cluster through one node: every node, a known leader per partition, equal state hashes', async () => {
    const session = await ValueSession.open(client, partitionId(1));
    const service = await session.create('observed');
    for (let i = 0; i < 10; i++) await session.set(service, `v${i}`);
    await session.close();
    const converged = (answer: GetClusterResponse) =>
      answer.partitions.every((p) => {
        const applied = new Set(p.replicas.map((r) => r.appliedIndex));
        return p.replicas.length === 3 && applied.size === 1 && p.leaderId !== 0;
      });
    const answer = await clusterUntil(nodeId(2), converged);
    expect(answer.nodeId).toBe(2);
    expect(answer.nodes.map((n) => [n.node?.id, n.reachable, n.node?.apiAddress])).toEqual(
      cluster.ids.map((id) => [id, true, cluster.apiAddresses().get(id)]),
    );
    for (const p of answer.partitions) {
      const leaders = p.replicas.filter((r) => r.role === ReplicaRole.LEADER);
      expect(leaders.map((r) => r.nodeId)).toEqual([p.leaderId]);
      const hashes = new Set(p.replicas.map((r) => Buffer.from(r.stateHash).toString('hex')));
      expect(hashes.size, `partition ${p.partitionId}`).toBe(1);
    }
    // The writes went to partition 1: its applied index is past the others'.
    const applied = answer.partitions.map((p) => p.replicas[0]!.appliedIndex);
    expect(applied[0]! > applied[1]! + 10n).toBe(true);
  });

  test('the standard health service: SERVING for the node and each service, NOT_FOUND else', async () => {
    const health = healthClient(nodeId(1));
    try {
      for (const service of ['', 'multiraft.v1.Partition', 'multiraft.v1.Cluster']) {
        expect(await check(health, service), service).toEqual({ status: 'SERVING' });
      }
      expect(await check(health, 'multiraft.v1.Nope')).toEqual({ code: grpc.status.NOT_FOUND });
    } finally {
      health.close();
    }
  });

  test('/metrics: per-partition gauges of every node, labelled by partition', async () => {
    const bodies = await Promise.all(
      cluster.ids.map(async (id) => {
        const res = await fetch(`http://${cluster.httpAddress(id)}/metrics`);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
        return res.text();
      }),
    );
    for (const p of [1, 2, 3]) {
      // Exactly one node reports leading each partition, and every node names the same leader.
      const leading = bodies.map((b) =>
        partitionSamples(b, 'multiraft_partition_is_leader').get(p),
      );
      expect(
        leading.filter((v) => v === 1),
        `partition ${p}`,
      ).toHaveLength(1);
      const leader = cluster.ids[leading.indexOf(1)]!;
      const named = bodies.map((b) => partitionSamples(b, 'multiraft_partition_leader').get(p));
      expect(named).toEqual([leader, leader, leader]);
      for (const b of bodies)
        expect(partitionSamples(b, 'multiraft_partition_term').get(p)).toBeGreaterThan(0);
    }
    // Partition 1's leader served the writes of the first test and its session and value.
    const p1Leader = bodies.find(
      (b) => partitionSamples(b, 'multiraft_partition_is_leader').get(1) === 1,
    )!;
    expect(partitionSamples(p1Leader, 'multiraft_partition_services').get(1)).toBe(1);
    expect(p1Leader).toMatch(/^multiraft_proposals_total [1-9]/m);
    expect(p1Leader).toMatch(/^multiraft_wal_fsync_duration_seconds_count [1-9]/m);
    expect(p1Leader).toMatch(/^multiraft_transport_bytes_sent_total [1-9]/m);
  });

  test('Health Watch ends with NOT_SERVING at shutdown; Cluster then marks the node unreachable', async () => {
    const stopped = nodeId(3);
    const health = healthClient(stopped);
    const seen: string[] = [];
    const call = health.Watch({ service: '' });
    const ended = new Promise<void>((resolve) => {
      call.on('data', (reply) => {
        seen.push(reply.status);
        if (reply.status === 'SERVING') void cluster.stop(stopped, 'SIGTERM');
      });
      call.on('error', () => resolve());
      call.on('end', () => resolve());
    });
    await ended;
    health.close();
    expect(seen).toEqual(['SERVING', 'NOT_SERVING']);
    expect(await cluster.stop(stopped)).toBe(0);
    const answer = await clusterClient(nodeId(1)).getCluster({ nodeTimeoutMs: 1_000 });
    expect(answer.nodes.map((n) => n.reachable)).toEqual([true, true, false]);
    expect(answer.nodes[2]!.error).not.toBe('');
  });
});
