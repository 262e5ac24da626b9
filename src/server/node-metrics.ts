// The node's Prometheus metrics (DESIGN §7, docs/operations.md), in a registry of its own (never
// prom-client's global one, so several nodes in one process keep theirs apart). Per-partition
// gauges are read from the replicas when scraped, never updated on the hot path; node-wide
// histograms and counters are fed by the host's and the WAL's observer hooks, and the transport's
// counters are read from its stats at scrape time. Only src/server imports prom-client.

import { performance } from 'node:perf_hooks';
import {
  Counter,
  exponentialBuckets,
  Gauge,
  Histogram,
  type LabelValues,
  Registry,
} from 'prom-client';
import type { NodeId, PartitionId } from '../common/index.js';
import type { HostObserver } from '../host/index.js';
import type { Replica } from '../replica/index.js';
import type { WalObserver } from '../storage/index.js';
import { emptyTransportStats, type TransportStats } from '../transport/index.js';
import type { HttpReply } from './http.js';

/** What a scrape reads of one local replica. */
export type ReplicaView = Pick<
  Replica,
  | 'status'
  | 'leader'
  | 'isLeader'
  | 'applied'
  | 'sessionCount'
  | 'serviceCount'
  | 'streamCount'
  | 'elections'
>;

/** Where scrape-time values come from: the host's replicas and the transport's counters. */
export interface MetricsSource {
  replicas(): ReadonlyMap<PartitionId, ReplicaView>;
  /** Local partitions the host ticks; the others are quiesced. */
  activePartitions(): number;
  transportStats(): TransportStats;
}

/** One local partition's gauges, sampled once per scrape. */
interface PartitionSample {
  readonly labels: LabelValues<'partition'>;
  readonly term: number;
  readonly leader: NodeId | 0;
  readonly isLeader: number;
  readonly commit: number;
  readonly applied: number;
  readonly sessions: number;
  readonly services: number;
  readonly streams: number;
}

type SampledField = Exclude<keyof PartitionSample, 'labels'>;

/** Seconds: from 0.1 ms to 10 s, which covers a loopback write and a stalled disk. */
const latencyBuckets = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10,
];
/** Seconds: applying the entries of one Ready is usually microseconds. */
const applyBuckets = [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 1];

export class NodeMetrics implements HostObserver, WalObserver {
  readonly registry = new Registry();
  /** Nothing local until observe(): the WAL opens (and reports) before the host exists. */
  #source: MetricsSource = {
    replicas: () => new Map(),
    activePartitions: () => 0,
    transportStats: emptyTransportStats,
  };
  #sample: PartitionSample[] | undefined;
  readonly #proposals: Counter;
  readonly #reads: Counter;
  readonly #proposalSeconds: Histogram;
  readonly #applySeconds: Histogram;
  readonly #fsyncSeconds: Histogram;
  readonly #batchBytes: Histogram;
  readonly #batchEntries: Histogram;
  readonly #snapshots: Counter<'event'>;

  constructor() {
    const registers = [this.registry];
    this.#proposals = new Counter({
      name: 'multiraft_proposals_total',
      help: 'Proposals that reached this node (each forwarded call counts on both nodes)',
      registers,
    });
    this.#reads = new Counter({
      name: 'multiraft_reads_total',
      help: 'Linearizable reads (queries) that reached this node',
      registers,
    });
    this.#proposalSeconds = new Histogram({
      name: 'multiraft_proposal_duration_seconds',
      help: 'From a proposal reaching the host to its first output or failure',
      buckets: latencyBuckets,
      registers,
    });
    this.#applySeconds = new Histogram({
      name: 'multiraft_apply_duration_seconds',
      help: "One replica's ready() that applied entries (the state machine and its outputs)",
      buckets: applyBuckets,
      registers,
    });
    this.#fsyncSeconds = new Histogram({
      name: 'multiraft_wal_fsync_duration_seconds',
      help: 'One fdatasync of a write-ahead log batch',
      buckets: latencyBuckets,
      registers,
    });
    this.#batchBytes = new Histogram({
      name: 'multiraft_wal_batch_bytes',
      help: 'Bytes written per write-ahead log batch (one write and one fdatasync)',
      buckets: exponentialBuckets(256, 4, 10),
      registers,
    });
    this.#batchEntries = new Histogram({
      name: 'multiraft_wal_batch_entries',
      help: 'Log entries per write-ahead log batch, of every partition',
      buckets: exponentialBuckets(1, 4, 10),
      registers,
    });
    this.#snapshots = new Counter({
      name: 'multiraft_snapshots_total',
      help: 'Snapshots taken (saved by this node), installed (from a leader) and sent',
      labelNames: ['event'],
      registers,
    });
    for (const event of ['taken', 'installed', 'sent']) this.#snapshots.inc({ event }, 0);
    this.#electionCounters();
    this.#transportCounters();
    this.#partitionGauges();
    const self = this;
    new Gauge({
      name: 'multiraft_partitions_active',
      help: 'Local partitions ticked; the others are quiesced until traffic, a timer or a lost leader',
      registers,
      collect() {
        this.set(self.#source.activePartitions());
      },
    });
  }

  /** Where scrape-time values come from from now on. */
  observe(source: MetricsSource): void {
    this.#source = source;
  }

  /** The text exposition and its content type, as `/metrics` answers. */
  async scrape(): Promise<HttpReply> {
    const body = await this.registry.metrics();
    return { status: 200, body, contentType: this.registry.contentType };
  }

  proposal(): () => void {
    this.#proposals.inc();
    return this.#timer(this.#proposalSeconds);
  }

  read(): void {
    this.#reads.inc();
  }

  apply(): (entries: number) => void {
    const start = performance.now();
    return (entries) => {
      if (entries > 0) this.#applySeconds.observe((performance.now() - start) / 1000);
    };
  }

  snapshotTaken(): void {
    this.#snapshots.inc({ event: 'taken' });
  }

  snapshotInstalled(): void {
    this.#snapshots.inc({ event: 'installed' });
  }

  snapshotSent(): void {
    this.#snapshots.inc({ event: 'sent' });
  }

  batch(bytes: number, entries: number): void {
    this.#batchBytes.observe(bytes);
    this.#batchEntries.observe(entries);
  }

  sync(): () => void {
    return this.#timer(this.#fsyncSeconds);
  }

  #timer(histogram: Histogram): () => void {
    const start = performance.now();
    return () => histogram.observe((performance.now() - start) / 1000);
  }

  /** Sums over the replicas, read at scrape time (replicas are never removed, so they only grow). */
  #electionCounters(): void {
    const self = this;
    for (const kind of ['started', 'won'] as const) {
      new Counter({
        name: `multiraft_elections_${kind}_total`,
        help: `Elections the local replicas ${kind} (as their role changes show them)`,
        registers: [this.registry],
        collect() {
          let n = 0;
          for (const replica of self.#source.replicas().values()) n += replica.elections[kind];
          this.reset();
          this.inc(n);
        },
      });
    }
  }

  #transportCounters(): void {
    const fields = [
      ['bytes_sent', 'bytesSent', 'Bytes written to peer connections'],
      ['bytes_received', 'bytesReceived', 'Bytes read from peer connections'],
      ['frames_sent', 'framesSent', 'Frames written to peer connections (one socket write each)'],
      ['messages_sent', 'messagesSent', 'Raft messages written to peer connections'],
      ['reconnects', 'reconnects', 'Dials to a peer after the first one'],
      ['messages_dropped', 'messagesDropped', 'Messages dropped before sending (queue limits)'],
    ] as const;
    const self = this;
    for (const [name, field, help] of fields) {
      new Counter({
        name: `multiraft_transport_${name}_total`,
        help,
        registers: [this.registry],
        collect() {
          this.reset();
          this.inc(self.#source.transportStats()[field]);
        },
      });
    }
  }

  #partitionGauges(): void {
    const gauges: [SampledField, string, string][] = [
      ['term', 'term', 'Raft term of the local replica'],
      ['leader', 'leader', 'Node id of the leader the local replica knows (0: none)'],
      ['isLeader', 'is_leader', '1 when this node leads the partition'],
      ['commit', 'commit_index', 'Commit index of the local replica'],
      ['applied', 'applied_index', 'Applied index of the local replica'],
      ['sessions', 'sessions', 'Open client sessions in the applied state'],
      ['services', 'services', 'Primitive instances in the applied state'],
      ['streams', 'streams', 'Running command streams and watches'],
    ];
    const self = this;
    for (const [field, name, help] of gauges) {
      new Gauge({
        name: `multiraft_partition_${name}`,
        help,
        labelNames: ['partition'],
        registers: [this.registry],
        collect() {
          this.reset();
          for (const row of self.#sampled()) this.set(row.labels, row[field]);
        },
      });
    }
  }

  /**
   * Every gauge of a scrape reads the same sample: prom-client runs all collect callbacks in one
   * synchronous pass, so the sample lives until the next microtask.
   */
  #sampled(): PartitionSample[] {
    if (this.#sample !== undefined) return this.#sample;
    const rows: PartitionSample[] = [];
    for (const [partition, replica] of this.#source.replicas()) {
      const status = replica.status();
      rows.push({
        labels: { partition },
        term: status.term,
        leader: replica.leader,
        isLeader: replica.isLeader ? 1 : 0,
        commit: status.commit,
        applied: replica.applied,
        sessions: replica.sessionCount,
        services: replica.serviceCount,
        streams: replica.streamCount,
      });
    }
    this.#sample = rows;
    queueMicrotask(() => {
      this.#sample = undefined;
    });
    return rows;
  }
}
