// `multiraft status`: the cluster as the Cluster service reports it through the first endpoint
// that answers: nodes (reachable or not) and every partition's replicas with role, term, leader,
// commit and applied index. A table for people, `--json` for scripts (numbers, not strings).

import { describeCluster, MultiraftError } from '../client/index.js';
import { type GetClusterResponse, ReplicaRole } from '../gen/multiraft/v1/cluster_pb.js';
import {
  type ClientExitCode,
  clientExitCodes,
  errorLine,
  exitCodeOf,
} from './client-exit-codes.js';
import { type ConnectionFlags, resolveConnection } from './connection-flags.js';
import { formatTable } from './table.js';
import type { ClientIo } from './value.js';

export interface StatusFlags extends ConnectionFlags {
  readonly json?: boolean;
}

export interface NodeStatus {
  readonly id: number;
  readonly apiAddress: string;
  readonly peerAddress: string;
  readonly reachable: boolean;
  readonly error?: string;
}

export interface ReplicaStatus {
  readonly node: number;
  readonly role: string;
  readonly term: number;
  /** The leader this replica knows of, null for none. */
  readonly leader: number | null;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly lastIndex: number;
}

export interface PartitionStatus {
  readonly id: number;
  readonly leader: number | null;
  /** The nodes placed to hold it, the preferred leader first. */
  readonly replicaNodes: readonly number[];
  /** Live states, of reachable nodes only. */
  readonly replicas: readonly ReplicaStatus[];
}

export interface ClusterStatus {
  /** The node that answered. */
  readonly answeredBy: number;
  readonly nodes: readonly NodeStatus[];
  readonly partitions: readonly PartitionStatus[];
}

export async function runStatus(flags: StatusFlags, io: ClientIo): Promise<ClientExitCode> {
  try {
    const connection = await resolveConnection(flags, io.env);
    const { cluster } = await describeCluster(connection.endpoints, {
      ...(connection.tls === undefined ? {} : { tls: connection.tls }),
      signal: io.stop,
    });
    const status = clusterStatus(cluster);
    const lines = flags.json === true ? [JSON.stringify(status)] : statusTable(status);
    for (const line of lines) io.out(line);
    return clientExitCodes.ok;
  } catch (error) {
    if (!(error instanceof MultiraftError)) throw error;
    io.err(errorLine(error));
    return exitCodeOf(error);
  }
}

export function clusterStatus(cluster: GetClusterResponse): ClusterStatus {
  const orNull = (id: number) => (id === 0 ? null : id);
  return {
    answeredBy: cluster.nodeId,
    nodes: cluster.nodes.map((report) => ({
      id: report.node?.id ?? 0,
      apiAddress: report.node?.apiAddress ?? '',
      peerAddress: report.node?.peerAddress ?? '',
      reachable: report.reachable,
      ...(report.reachable ? {} : { error: report.error }),
    })),
    partitions: cluster.partitions.map((p) => ({
      id: p.partitionId,
      leader: orNull(p.leaderId),
      replicaNodes: p.replicaNodeIds,
      replicas: p.replicas.map((r) => ({
        node: r.nodeId,
        role: roleName(r.role),
        term: Number(r.term),
        leader: orNull(r.leaderId),
        commitIndex: Number(r.commitIndex),
        appliedIndex: Number(r.appliedIndex),
        lastIndex: Number(r.lastIndex),
      })),
    })),
  };
}

/** Two tables: the nodes, then one row per replica (a placed replica on an unreachable node: ?). */
export function statusTable(status: ClusterStatus): string[] {
  const nodes = formatTable(
    ['NODE', 'API', 'PEER', 'REACHABLE'],
    status.nodes.map((n) => [
      String(n.id),
      n.apiAddress,
      n.peerAddress,
      n.reachable ? 'yes' : `no: ${n.error ?? ''}`,
    ]),
  );
  const rows = status.partitions.flatMap((p) =>
    p.replicaNodes.map((node) => {
      const r = p.replicas.find((replica) => replica.node === node);
      const head = [String(p.id), p.leader === null ? '-' : String(p.leader), String(node)];
      if (r === undefined) return [...head, '?', '?', '?', '?'];
      return [...head, r.role, String(r.term), String(r.commitIndex), String(r.appliedIndex)];
    }),
  );
  const partitions = formatTable(
    ['PARTITION', 'LEADER', 'NODE', 'ROLE', 'TERM', 'COMMIT', 'APPLIED'],
    rows,
  );
  return [`nodes (as node ${status.answeredBy} sees them)`, ...nodes, '', ...partitions];
}

function roleName(role: ReplicaRole): string {
  switch (role) {
    case ReplicaRole.LEADER:
      return 'leader';
    case ReplicaRole.FOLLOWER:
      return 'follower';
    case ReplicaRole.CANDIDATE:
      return 'candidate';
    case ReplicaRole.PRE_CANDIDATE:
      return 'pre-candidate';
    case ReplicaRole.UNSPECIFIED:
      return 'unknown';
  }
}
