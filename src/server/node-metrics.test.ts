import { describe, expect, test } from 'vitest';
import { type NodeId, type PartitionId, partitionId } from '../common/index.js';
import { Role, type Status } from '../raft/index.js';
import { emptyTransportStats, type TransportStats } from '../transport/index.js';
import { type MetricsSource, NodeMetrics, type ReplicaView } from './node-metrics.js';
import { sample } from './testing/exposition.js';

/** A replica as a scrape sees it, every number chosen by the test. */
function replica(p: number, values: { term: number; leader: number; index: number }): ReplicaView {
  const status = {
    term: values.term,
    commit: values.index,
    applied: values.index,
    role: values.leader === 1 ? Role.Leader : Role.Follower,
  } as unknown as Status;
  return {
    status: () => status,
    leader: values.leader as NodeId,
    isLeader: values.leader === 1,
    applied: values.index as Status['applied'],
    sessionCount: p,
    serviceCount: 2 * p,
    streamCount: 3 * p,
    elections: { started: 2, won: 1 },
  };
}

function source(replicas: Map<PartitionId, ReplicaView>, stats = emptyTransportStats()) {
  return {
    replicas: () => replicas,
    // One partition ticked, the rest quiesced.
    activePartitions: () => Math.min(1, replicas.size),
    transportStats: () => stats,
  } satisfies MetricsSource;
}

describe('NodeMetrics', () => {
  test('per-partition gauges are read from the replicas at each scrape, labelled by partition', async () => {
    const replicas = new Map([
      [partitionId(1), replica(1, { term: 3, leader: 1, index: 10 })],
      [partitionId(2), replica(2, { term: 4, leader: 2, index: 20 })],
    ]);
    const metrics = new NodeMetrics();
    metrics.observe(source(replicas));
    const { body, status, contentType } = await metrics.scrape();
    expect(status).toBe(200);
    expect(contentType).toMatch(/^text\/plain/);
    const expected: [string, number][] = [
      ['multiraft_partition_term{partition="1"}', 3],
      ['multiraft_partition_term{partition="2"}', 4],
      ['multiraft_partition_leader{partition="2"}', 2],
      ['multiraft_partition_is_leader{partition="1"}', 1],
      ['multiraft_partition_is_leader{partition="2"}', 0],
      ['multiraft_partition_commit_index{partition="2"}', 20],
      ['multiraft_partition_applied_index{partition="1"}', 10],
      ['multiraft_partition_sessions{partition="2"}', 2],
      ['multiraft_partition_services{partition="2"}', 4],
      ['multiraft_partition_streams{partition="2"}', 6],
      ['multiraft_partitions_active', 1],
      ['multiraft_elections_started_total', 4],
      ['multiraft_elections_won_total', 2],
    ];
    for (const [name, value] of expected) expect(sample(body, name), name).toBe(value);
    // The next scrape reads again: a changed term shows, a partition gone is no longer reported.
    replicas.set(partitionId(1), replica(1, { term: 5, leader: 1, index: 11 }));
    replicas.delete(partitionId(2));
    const next = (await metrics.scrape()).body;
    expect(sample(next, 'multiraft_partition_term{partition="1"}')).toBe(5);
    expect(sample(next, 'multiraft_partition_term{partition="2"}')).toBeUndefined();
  });

  test('the hooks feed node-wide histograms and counters; transport counters come from its stats', async () => {
    const stats: TransportStats = {
      ...emptyTransportStats(),
      bytesSent: 1000,
      bytesReceived: 2000,
      reconnects: 3,
      messagesDropped: 4,
    };
    const metrics = new NodeMetrics();
    metrics.observe(source(new Map(), stats));
    metrics.proposal()();
    metrics.proposal()();
    metrics.read();
    metrics.apply()(3);
    metrics.apply()(0); // a Ready that applied nothing is no apply
    metrics.sync()();
    metrics.batch(5000, 7);
    metrics.snapshotTaken();
    metrics.snapshotSent();
    metrics.snapshotSent();
    const { body } = await metrics.scrape();
    const expected: [string, number][] = [
      ['multiraft_proposals_total', 2],
      ['multiraft_proposal_duration_seconds_count', 2],
      ['multiraft_reads_total', 1],
      ['multiraft_apply_duration_seconds_count', 1],
      ['multiraft_wal_fsync_duration_seconds_count', 1],
      ['multiraft_wal_batch_bytes_sum', 5000],
      ['multiraft_wal_batch_bytes_bucket{le="4096"}', 0],
      ['multiraft_wal_batch_bytes_bucket{le="16384"}', 1],
      ['multiraft_wal_batch_entries_sum', 7],
      ['multiraft_snapshots_total{event="taken"}', 1],
      ['multiraft_snapshots_total{event="installed"}', 0],
      ['multiraft_snapshots_total{event="sent"}', 2],
      ['multiraft_transport_bytes_sent_total', 1000],
      ['multiraft_transport_bytes_received_total', 2000],
      ['multiraft_transport_reconnects_total', 3],
      ['multiraft_transport_messages_dropped_total', 4],
    ];
    for (const [name, value] of expected) expect(sample(body, name), name).toBe(value);
  });

  test('each node has its own registry: two in one process do not share or clash', async () => {
    const a = new NodeMetrics();
    const b = new NodeMetrics();
    a.read();
    expect(sample((await a.scrape()).body, 'multiraft_reads_total')).toBe(1);
    expect(sample((await b.scrape()).body, 'multiraft_reads_total')).toBe(0);
  });

  test('a scrape of 1,000 partitions with the largest numbers stays under 1 MiB', async () => {
    const replicas = new Map<PartitionId, ReplicaView>();
    const big = Number.MAX_SAFE_INTEGER;
    for (let p = 1; p <= 1_000; p++) {
      replicas.set(partitionId(p), replica(p, { term: big, leader: 2 ** 31, index: big }));
    }
    const metrics = new NodeMetrics();
    metrics.observe(source(replicas));
    for (let i = 0; i < 100; i++) metrics.proposal()();
    const { body } = await metrics.scrape();
    expect(body.split('\n').filter((l) => l.startsWith('multiraft_partition_'))).toHaveLength(
      8 * 1_000,
    );
    expect(Buffer.byteLength(body)).toBeLessThan(1024 * 1024);
  });
});
