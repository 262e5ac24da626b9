// The SDK's entry point (issue 8): `connect()` discovers the cluster through the Cluster service of
// any endpoint (nodes, API addresses, partition count, leaders), then serves primitives by name.
// Underneath: one batched partition-protocol stream per node (PartitionClient, which follows
// NOT_LEADER hints) and one session per partition (PartitionSessions), opened lazily, kept alive
// and replaced after expiry.

import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import {
  assert,
  type NodeId,
  nodeId,
  type PartitionId,
  partitionId,
  partitionOf,
} from '../common/index.js';
import { defaultPartitionConfig } from '../fsm/index.js';
import { Cluster, type GetClusterResponse } from '../gen/multiraft/v1/cluster_pb.js';
import { PartitionSessions } from '../session/index.js';
import { AtomicValueClient, type AtomicValueContext } from './atomic-value-client.js';
import { type Codec, type CodecName, codecs } from './codec.js';
import { PartitionClient } from './partition-client.js';
import { type ClientTlsOptions, secureOptions } from './partition-connection.js';
import {
  ClosedError,
  InvalidArgumentError,
  type MultiraftError,
  UnavailableError,
} from './value-errors.js';

export interface ConnectOptions {
  /** `host:port` of one or more nodes' API; any one that answers is enough. */
  readonly endpoints: readonly string[];
  /** Dial with TLS (docs/tls.md); default plain text. */
  readonly tls?: ClientTlsOptions;
  /** Timeout of the client's sessions. Default 30 s. */
  readonly sessionTimeoutMs?: number;
  /** Default deadline of a call. Default 10 s. */
  readonly timeoutMs?: number;
  /** Events a subscription buffers for a slow consumer before it fails. Default 10,000. */
  readonly streamBufferMax?: number;
  /** Aborts the discovery. */
  readonly signal?: AbortSignal;
}

export interface AtomicValueOptions<T> {
  /** Default "default". */
  readonly namespace?: string;
  /** How values are encoded: 'bytes' (default), 'string', 'json' or a Codec. */
  readonly codec?: CodecName | Codec<T>;
}

/** What discovery learned: the nodes' API addresses, the partition count, known leaders. */
export interface ClusterShape {
  readonly nodes: ReadonlyMap<NodeId, string>;
  readonly partitions: number;
  readonly leaders: ReadonlyMap<PartitionId, NodeId>;
}

export interface DiscoverOptions {
  readonly tls?: ClientTlsOptions;
  readonly signal?: AbortSignal;
  /** Per endpoint. Default 5 s. */
  readonly timeoutMs?: number;
}

/**
 * Asks the endpoints in turn for the Cluster service's report (discovery here, `multiraft status`
 * in the CLI); UnavailableError naming every endpoint's failure when none answers.
 */
export async function describeCluster(
  endpoints: readonly string[],
  options: DiscoverOptions = {},
): Promise<{ readonly endpoint: string; readonly cluster: GetClusterResponse }> {
  assert(endpoints.length > 0, 'connect needs at least one endpoint');
  const errors: string[] = [];
  for (const endpoint of endpoints) {
    const scheme = options.tls === undefined ? 'http' : 'https';
    const transport = createGrpcTransport({
      baseUrl: endpoint.includes('://') ? endpoint : `${scheme}://${endpoint}`,
      ...(options.tls === undefined ? {} : { nodeOptions: secureOptions(options.tls) }),
    });
    try {
      const cluster = await createClient(Cluster, transport).getCluster(
        {},
        {
          timeoutMs: options.timeoutMs ?? 5_000,
          ...(options.signal === undefined ? {} : { signal: options.signal }),
        },
      );
      return { endpoint, cluster };
    } catch (error) {
      errors.push(`${endpoint}: ${(error as Error).message}`);
    }
  }
  throw new UnavailableError(`no endpoint described the cluster (${errors.join('; ')})`);
}

/** Asks the endpoints in turn for the cluster's shape. */
export async function discover(
  endpoints: readonly string[],
  options: DiscoverOptions = {},
): Promise<ClusterShape> {
  const { endpoint, cluster } = await describeCluster(endpoints, options);
  const nodes = new Map<NodeId, string>();
  for (const report of cluster.nodes) {
    const node = report.node;
    if (node === undefined) continue;
    // The endpoint that answered is reachable as given (perhaps through a proxy).
    nodes.set(nodeId(node.id), node.id === cluster.nodeId ? endpoint : node.apiAddress);
  }
  const leaders = new Map<PartitionId, NodeId>();
  for (const p of cluster.partitions) {
    if (p.leaderId !== 0) leaders.set(partitionId(p.partitionId), nodeId(p.leaderId));
  }
  return { nodes, partitions: cluster.partitions.length, leaders };
}

const utf8 = new TextEncoder();

/**
 * DESIGN §7's limits on names, checked here because the partition answers a bad name when the
 * session registers the primitive, and the session layer retries that registration until the
 * call's deadline rather than reporting it.
 */
function checkName(name: string, namespace: string): void {
  const { nameBytesMax } = defaultPartitionConfig;
  const nameBytes = utf8.encode(name).length;
  if (nameBytes === 0 || nameBytes > nameBytesMax) {
    throw new InvalidArgumentError(`name must be 1 to ${nameBytesMax} bytes (got ${nameBytes})`);
  }
  if (utf8.encode(namespace).length > nameBytesMax) {
    throw new InvalidArgumentError(`namespace must be at most ${nameBytesMax} bytes`);
  }
}

/** Connects to a cluster: discovery first, sessions on demand. */
export async function connect(options: ConnectOptions): Promise<MultiraftClient> {
  const shape = await discover(options.endpoints, options);
  return new MultiraftClient(shape, options);
}

export class MultiraftClient implements AsyncDisposable {
  readonly partitions: number;
  readonly #calls: PartitionClient;
  readonly #sessions: PartitionSessions;
  readonly #streams = new Set<(error: MultiraftError) => void>();
  readonly #context: AtomicValueContext;
  #closing: Promise<void> | undefined;

  constructor(shape: ClusterShape, options: Omit<ConnectOptions, 'endpoints'> = {}) {
    this.partitions = shape.partitions;
    this.#calls = new PartitionClient({
      nodes: shape.nodes,
      ...(options.tls === undefined ? {} : { tls: options.tls }),
    });
    for (const [partition, leader] of shape.leaders) this.#calls.setLeader(partition, leader);
    const timeoutMs = options.timeoutMs ?? 10_000;
    this.#sessions = new PartitionSessions({
      host: this.#calls,
      sessionTimeoutMs: options.sessionTimeoutMs ?? 30_000,
      setupTimeoutMs: timeoutMs,
    });
    const streams = this.#streams;
    const client = this;
    this.#context = {
      calls: this.#calls,
      sessions: this.#sessions,
      timeoutMs,
      streamBufferMax: options.streamBufferMax ?? 10_000,
      partitionOf: (name) => partitionOf(name, shape.partitions),
      track: (end) => {
        streams.add(end);
        return () => streams.delete(end);
      },
      get closed() {
        return client.#closing !== undefined;
      },
    };
  }

  /** The AtomicValue `name` (created on first use). */
  atomicValue(
    name: string,
    options?: AtomicValueOptions<Uint8Array> & { codec?: 'bytes' },
  ): AtomicValueClient<Uint8Array>;
  atomicValue(
    name: string,
    options: AtomicValueOptions<string> & { codec: 'string' },
  ): AtomicValueClient<string>;
  atomicValue<T = unknown>(
    name: string,
    options: AtomicValueOptions<T> & { codec: 'json' },
  ): AtomicValueClient<T>;
  atomicValue<T>(
    name: string,
    options: AtomicValueOptions<T> & { codec: Codec<T> },
  ): AtomicValueClient<T>;
  atomicValue<T>(name: string, options: AtomicValueOptions<T> = {}): AtomicValueClient<T> {
    if (this.#closing !== undefined) throw new ClosedError();
    checkName(name, options.namespace ?? '');
    const codec = (
      typeof options.codec === 'string' ? codecs[options.codec] : (options.codec ?? codecs.bytes)
    ) as Codec<T>;
    return new AtomicValueClient(this.#context, name, options.namespace ?? 'default', codec);
  }

  /** The partition a primitive named `name` lives in. */
  partitionOf(name: string): PartitionId {
    return this.#context.partitionOf(name);
  }

  /** Calls (commands, reads, streams) in progress on the partition protocol. */
  get openCallCount(): number {
    return this.#calls.openCallCount;
  }

  /** Sessions open now (one per partition used). */
  get sessionCount(): number {
    return this.#sessions.openCount;
  }

  /** Streams (watch, events) open now. */
  get streamCount(): number {
    return this.#streams.size;
  }

  /**
   * Ends every stream (ClosedError), closes the sessions (waiting at most `timeoutMs` for the
   * leaders to hear of it) and the connections. Calls in flight fail with ClosedError.
   */
  close(timeoutMs = 1_000): Promise<void> {
    this.#closing ??= (async () => {
      for (const end of [...this.#streams]) end(new ClosedError());
      await new Promise<void>((resolve) => {
        this.#sessions.close(this.#calls.timers.now + timeoutMs, resolve);
      });
      await this.#calls.close();
    })();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
