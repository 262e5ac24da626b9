// One running node (DESIGN §1, §7): the write-ahead log in the data directory, the peer transport,
// the host with a replica of every local partition, and the partition protocol on the API port.
// Started and stopped as a whole; the CLI adds the HTTP endpoints and the signal handling.

import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { PartitionClient } from '../client/partition-client.js';
import { Prng } from '../common/index.js';
import { defaultServiceLimits } from '../fsm/index.js';
import { Health } from '../gen/grpc/health/v1/health_pb.js';
import { AtomicValue } from '../gen/multiraft/v1/atomic_value_pb.js';
import { Cluster } from '../gen/multiraft/v1/cluster_pb.js';
import { Partition } from '../gen/multiraft/v1/partition_pb.js';
import { Host, type HostClock, placePartitions, systemClock } from '../host/index.js';
import { primitiveTypes } from '../primitives/index.js';
import { NodeFileSystem, Wal } from '../storage/index.js';
import { TcpTransport } from '../transport/index.js';
import { AtomicValueService } from './atomic-value-service.js';
import { type ClusterMember, ClusterPeers, ClusterService } from './cluster-service.js';
import type { NodeConfig } from './config.js';
import { formatHostPort } from './config.js';
import { Forwarder } from './forwarder.js';
import { listenGrpc } from './grpc-server.js';
import { HealthService } from './health-service.js';
import type { HttpRoute } from './http.js';
import { NodeMetrics } from './node-metrics.js';
import { PartitionService } from './partition-service.js';
import { apiDialTls, readTlsMaterial } from './tls-material.js';

export interface RunningNode {
  /** Addresses actually bound, host:port (a port asked as 0 is resolved). */
  readonly addresses: { readonly api: string; readonly peer: string };
  /** The node works (its write-ahead log has not failed). */
  live(): boolean;
  /** Every local partition has a known leader. */
  ready(): boolean;
  /** HTTP routes of the node beside the health checks (`/metrics`). */
  readonly httpRoutes?: ReadonlyMap<string, HttpRoute>;
  /** Stops accepting, fails waiting callers, flushes and closes storage and sockets. */
  close(): Promise<void>;
}

export async function startNode(config: NodeConfig, logger: Logger): Promise<RunningNode> {
  const members = config.members;
  const placement = placePartitions(
    members.map((m) => m.id),
    config.partitions,
    config.replication,
  );
  const tls = await readTlsMaterial(config);
  const metrics = new NodeMetrics();
  const wal = await Wal.open({
    fs: new NodeFileSystem(),
    dir: join(config.dataDir, 'wal'),
    catchUpMarginEntries: config.snapshotRetainEntries,
    observer: metrics,
  });
  const closers: (() => Promise<void>)[] = [() => wal.close()];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close();
  };
  try {
    const transport = await TcpTransport.start({
      nodeId: config.nodeId,
      // Nodes started with a different cluster shape refuse each other instead of mixing logs.
      clusterId: clusterIdOf(config),
      listen: { host: config.listenHost, port: config.peerPort },
      peers: members
        .filter((m) => m.id !== config.nodeId)
        .map((m) => [m.id, { host: m.host, port: m.peerPort }] as const),
      tls: tls.peer,
      logger: logger.child({ component: 'transport' }),
    });
    closers.push(() => transport.close());
    let fatal: Error | undefined;
    const host = new Host({
      nodeId: config.nodeId,
      placement,
      wal,
      transport,
      clock: skewedClock(),
      random: new Prng(randomInt(2 ** 31)),
      fsm: {
        types: primitiveTypes,
        limits: { ...defaultServiceLimits, valueBytesMax: config.valueBytesMax },
      },
      limits: { snapshotEntries: config.snapshotEntries },
      logger: logger.child({ component: 'host' }),
      observer: metrics,
      onFatal: (error) => {
        fatal = error;
        logger.fatal({ err: error }, 'storage failed; the node stops serving');
      },
    });
    host.start();
    closers.push(() => host.close());
    metrics.observe({
      replicas: () => host.replicas(),
      activePartitions: () => host.activeCount(),
      transportStats: () => transport.stats(),
    });
    const apiAddress = new Map(members.map((m) => [m.id, formatHostPort(m.host, m.apiPort)]));
    const dialTls = apiDialTls(tls);
    const forwarder = new Forwarder(config.nodeId, apiAddress, dialTls);
    closers.push(() => forwarder.close());
    const service = new PartitionService({
      propose: (partition, input, caller, forward) =>
        host.propose(
          partition,
          input,
          forward ? forwarder.command(partition, input, caller) : caller,
        ),
      query: (partition, input, caller, forward) =>
        host.query(partition, input, forward ? forwarder.query(partition, input, caller) : caller),
      apiAddressOf: (node) => apiAddress.get(node),
    });
    // The AtomicValue gateway reaches the leaders (this node included) over the partition protocol.
    const gatewayClient = new PartitionClient({
      nodes: apiAddress,
      ...(dialTls === undefined ? {} : { tls: dialTls }),
    });
    closers.push(() => gatewayClient.close());
    const atomicValue = new AtomicValueService({
      client: gatewayClient,
      partitions: config.partitions,
      sessionTimeoutMs: config.sessionTimeoutMs,
      limits: { valueBytesMax: config.valueBytesMax },
    });
    const peers = new ClusterPeers(dialTls);
    closers.push(async () => peers.close());
    const peer = transport.address;
    // Filled once the API port is bound (this node's ports may have been asked as 0).
    const clusterMembers: ClusterMember[] = [];
    const cluster = new ClusterService(
      {
        nodeId: config.nodeId,
        members: clusterMembers,
        placement,
        replicas: () => host.replicas(),
      },
      peers.ask,
    );
    const health = new HealthService({
      services: [Partition.typeName, AtomicValue.typeName, Cluster.typeName, Health.typeName],
      serving: () => fatal === undefined && host.ready(),
    });
    const grpc = await listenGrpc({
      host: config.listenHost,
      port: config.apiPort,
      routes: (router) => {
        service.register(router);
        atomicValue.register(router);
        cluster.register(router);
        health.register(router);
      },
      tls: tls.api,
    });
    for (const m of members) {
      const self = m.id === config.nodeId;
      clusterMembers.push({
        id: m.id,
        apiAddress: self ? formatHostPort(m.host, grpc.port) : apiAddress.get(m.id)!,
        peerAddress: formatHostPort(m.host, self ? peer.port : m.peerPort),
      });
    }
    closers.push(async () => {
      await health.close();
      // The gateway's sessions close while the partition protocol still answers.
      await atomicValue.close();
      service.close();
      await grpc.close();
    });
    let closing: Promise<void> | undefined;
    return {
      addresses: { api: grpc.address, peer: formatHostPort(peer.host, peer.port) },
      live: () => fatal === undefined,
      ready: () => fatal === undefined && host.ready(),
      httpRoutes: new Map<string, HttpRoute>([['/metrics', () => metrics.scrape()]]),
      close: () => {
        closing ??= closeAll();
        return closing;
      },
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

function clusterIdOf(config: NodeConfig): string {
  const members = config.members.map((m) => m.id).join(',');
  // The value limit decides what the state machines accept: nodes must agree on it.
  const shape = `${config.partitions}x${config.replication}:v${config.valueBytesMax}`;
  return `multiraft:${shape}:${members}`;
}

/**
 * The host's clock, shifted by MULTIRAFT_TEST_CLOCK_SKEW_MS when set: a test-only way for the
 * chaos harness (docs/chaos.md) to start a node whose wall clock is wrong.
 */
function skewedClock(): HostClock {
  const skew = Number(process.env.MULTIRAFT_TEST_CLOCK_SKEW_MS ?? 0);
  if (!Number.isSafeInteger(skew) || skew === 0) return systemClock;
  return { ...systemClock, now: () => Date.now() + skew };
}
