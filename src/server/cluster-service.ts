// `multiraft.v1.Cluster` (DESIGN §7, docs/operations.md): members, placement and the live state of
// every replica. A node knows only its own replicas, so GetCluster answers its own and asks every
// other node's GetLocalReplicas, each with a deadline; a node that does not answer in time is
// reported unreachable (with why) and its replicas are missing. The state hash is SHA-256 of the
// replica's deterministic state encoding (src/fsm/snapshot-codec.ts), computed here, never in the
// core, and only when asked: it encodes the whole state of every reported replica.

import { createHash } from 'node:crypto';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import {
  type CallOptions,
  type Client,
  Code,
  ConnectError,
  type ConnectRouter,
  createClient,
} from '@connectrpc/connect';
import { createGrpcTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { type ClientTlsOptions, secureOptions } from '../client/partition-connection.js';
import { type NodeId, type PartitionId, partitionId } from '../common/index.js';
import {
  Cluster,
  type GetClusterRequestSchema,
  type GetClusterResponse,
  GetClusterResponseSchema,
  type GetLocalReplicasRequestSchema,
  type GetLocalReplicasResponse,
  GetLocalReplicasResponseSchema,
  type NodeReport,
  NodeReportSchema,
  ReplicaRole,
  type ReplicaState,
  ReplicaStateSchema,
} from '../gen/multiraft/v1/cluster_pb.js';
import type { Placement } from '../host/index.js';
import { Role } from '../raft/index.js';
import type { Replica } from '../replica/index.js';

export interface ClusterMember {
  readonly id: NodeId;
  /** host:port of its gRPC API. */
  readonly apiAddress: string;
  /** host:port of its peer transport. */
  readonly peerAddress: string;
}

export type LocalReplicasRequest = MessageInitShape<typeof GetLocalReplicasRequestSchema>;
export type ClusterRequest = MessageInitShape<typeof GetClusterRequestSchema>;

/** What the service reads of this node. */
export interface ClusterBackend {
  readonly nodeId: NodeId;
  /** Every member, ascending by id. */
  readonly members: readonly ClusterMember[];
  readonly placement: Placement;
  /** The local replicas (the host's). */
  replicas(): ReadonlyMap<PartitionId, Pick<Replica, 'status' | 'stateSnapshot'>>;
}

/** GetLocalReplicas of another node, with the call's deadline and cancellation. */
export type AskNode = (
  node: ClusterMember,
  request: LocalReplicasRequest,
  options: CallOptions,
) => Promise<GetLocalReplicasResponse>;

/** Waiting for another node: 0 in a request means this; more than the max is INVALID_ARGUMENT. */
export const nodeTimeoutMsDefault = 2_000;
export const nodeTimeoutMsMax = 30_000;
/** Cluster requests are a few ids; this bounds what a caller can make the node decode. */
export const clusterRequestBytesMax = 64 * 1024;

const roles = new Map<number, ReplicaRole>([
  [Role.Follower, ReplicaRole.FOLLOWER],
  [Role.PreCandidate, ReplicaRole.PRE_CANDIDATE],
  [Role.Candidate, ReplicaRole.CANDIDATE],
  [Role.Leader, ReplicaRole.LEADER],
]);

export class ClusterService {
  readonly #backend: ClusterBackend;
  readonly #ask: AskNode;

  constructor(backend: ClusterBackend, ask: AskNode) {
    this.#backend = backend;
    this.#ask = ask;
  }

  register(router: ConnectRouter): void {
    router.service(
      Cluster,
      {
        getLocalReplicas: (request) => this.localReplicas(request),
        getCluster: (request, context) => this.cluster(request, context.signal),
      },
      { readMaxBytes: clusterRequestBytesMax },
    );
  }

  /** This node's replicas of the partitions asked (all local ones when none are named). */
  localReplicas(request: LocalReplicasRequest): GetLocalReplicasResponse {
    const asked = this.#partitions(request.partitionIds ?? []);
    const replicas: ReplicaState[] = [];
    for (const [id, replica] of [...this.#backend.replicas()].sort(([a], [b]) => a - b)) {
      if (!asked.has(id)) continue;
      const status = replica.status();
      replicas.push(
        create(ReplicaStateSchema, {
          partitionId: id,
          nodeId: this.#backend.nodeId,
          role: roles.get(status.role) ?? ReplicaRole.UNSPECIFIED,
          term: BigInt(status.term),
          leaderId: status.leader,
          commitIndex: BigInt(status.commit),
          appliedIndex: BigInt(status.applied),
          lastIndex: BigInt(status.lastIndex),
          stateHash: request.stateHash ? stateHash(replica.stateSnapshot()) : new Uint8Array(),
        }),
      );
    }
    return create(GetLocalReplicasResponseSchema, { nodeId: this.#backend.nodeId, replicas });
  }

  /** Every node asked, each answering for its own replicas; the slow ones marked unreachable. */
  async cluster(request: ClusterRequest, signal: AbortSignal): Promise<GetClusterResponse> {
    const partitions = this.#partitions(request.partitionIds ?? []);
    const nodes = this.#nodes(request.nodeIds ?? []);
    const timeoutMs = request.nodeTimeoutMs || nodeTimeoutMsDefault;
    if (timeoutMs > nodeTimeoutMsMax) {
      throw new ConnectError(
        `node_timeout_ms ${timeoutMs} is above ${nodeTimeoutMsMax}`,
        Code.InvalidArgument,
      );
    }
    const local = { partitionIds: request.partitionIds ?? [], stateHash: request.stateHash };
    const answers = await Promise.all(
      nodes.map(async (node): Promise<[NodeReport, ReplicaState[]]> => {
        const report = (error?: unknown) =>
          create(NodeReportSchema, {
            node: { ...node },
            reachable: error === undefined,
            error: error === undefined ? '' : ConnectError.from(error).message,
          });
        if (node.id === this.#backend.nodeId) return [report(), this.localReplicas(local).replicas];
        try {
          return [report(), (await this.#ask(node, local, { signal, timeoutMs })).replicas];
        } catch (error) {
          return [report(error), []];
        }
      }),
    );
    const replicas = answers.flatMap(([, r]) => r).sort((a, b) => a.nodeId - b.nodeId);
    return create(GetClusterResponseSchema, {
      nodeId: this.#backend.nodeId,
      nodes: answers.map(([report]) => report),
      partitions: [...partitions].map((id) => {
        const mine = replicas.filter((r) => r.partitionId === id);
        return {
          partitionId: id,
          replicaNodeIds: [...this.#backend.placement.get(id)!],
          leaderId: leaderOf(mine),
          replicas: mine,
        };
      }),
    });
  }

  /** The partitions named, ascending (all when none are); an unknown id is NOT_FOUND. */
  #partitions(ids: readonly number[]): Set<PartitionId> {
    const placement = this.#backend.placement;
    if (ids.length === 0) return new Set([...placement.keys()].sort((a, b) => a - b));
    for (const id of ids) {
      if (!placement.has(id as PartitionId)) {
        throw new ConnectError(
          `partition ${id} does not exist (partitions are 1..${placement.size})`,
          Code.NotFound,
        );
      }
    }
    return new Set([...new Set(ids)].sort((a, b) => a - b).map((id) => partitionId(id)));
  }

  /** The members named, ascending (all when none are); an unknown id is NOT_FOUND. */
  #nodes(ids: readonly number[]): ClusterMember[] {
    const members = this.#backend.members;
    for (const id of ids) {
      if (!members.some((m) => m.id === id)) {
        const known = members.map((m) => m.id).join(', ');
        throw new ConnectError(`node ${id} is not a member (members: ${known})`, Code.NotFound);
      }
    }
    return members.filter((m) => ids.length === 0 || ids.includes(m.id));
  }
}

/** SHA-256 of a replica's state encoding: equal at equal applied index means identical state. */
export function stateHash(state: Uint8Array): Uint8Array {
  return createHash('sha256').update(state).digest();
}

/** The leader named by the replica with the highest term that names one (0: none). */
function leaderOf(replicas: readonly ReplicaState[]): number {
  let best: ReplicaState | undefined;
  for (const r of replicas) {
    if (r.leaderId !== 0 && (best === undefined || r.term > best.term)) best = r;
  }
  return best?.leaderId ?? 0;
}

/** GetLocalReplicas clients of the other members over HTTP/2, one session each, made on demand. */
export class ClusterPeers {
  readonly #clients = new Map<
    NodeId,
    { client: Client<typeof Cluster>; sessions: Http2SessionManager }
  >();

  readonly #tls: ClientTlsOptions | undefined;

  /** `tls`: how this node dials the others' API ports (docs/tls.md). */
  constructor(tls?: ClientTlsOptions) {
    this.#tls = tls;
  }

  readonly ask: AskNode = (node, request, options) => {
    let peer = this.#clients.get(node.id);
    if (peer === undefined) {
      const baseUrl = `${this.#tls === undefined ? 'http' : 'https'}://${node.apiAddress}`;
      const sessions = new Http2SessionManager(
        baseUrl,
        undefined,
        this.#tls === undefined ? undefined : secureOptions(this.#tls),
      );
      const client = createClient(
        Cluster,
        createGrpcTransport({ baseUrl, sessionManager: sessions }),
      );
      peer = { client, sessions };
      this.#clients.set(node.id, peer);
    }
    return peer.client.getLocalReplicas(request, options);
  };

  close(): void {
    for (const { sessions } of this.#clients.values()) sessions.abort();
    this.#clients.clear();
  }
}
