// Which nodes hold which partitions (DESIGN §7). Deterministic from the member list alone, so every
// node computes the same table without talking: partition p's replicas are `replication`
// consecutive members starting at member (p − 1) mod n. The first of them is the partition's
// preferred leader; consecutive partitions start at consecutive members, so preferred leaders (and
// replicas) are spread evenly over the nodes.

import { assert, type NodeId, type PartitionId, partitionId } from '../common/index.js';

export type Placement = ReadonlyMap<PartitionId, readonly NodeId[]>;

export function placePartitions(
  members: readonly NodeId[],
  partitions: number,
  replication: number,
): Placement {
  assert(members.length > 0, 'a cluster has at least one member');
  assert(new Set(members).size === members.length, 'member ids are unique');
  assert(Number.isInteger(partitions) && partitions > 0, `bad partition count ${partitions}`);
  assert(
    Number.isInteger(replication) && replication > 0 && replication <= members.length,
    `replication ${replication} must be in 1..${members.length}`,
  );
  const sorted = [...members].sort((a, b) => a - b);
  const placement = new Map<PartitionId, NodeId[]>();
  for (let p = 1; p <= partitions; p++) {
    const replicas: NodeId[] = [];
    for (let k = 0; k < replication; k++) replicas.push(sorted[(p - 1 + k) % sorted.length]!);
    placement.set(partitionId(p), replicas);
  }
  return placement;
}

/** The partitions of which `node` holds a replica, ascending. */
export function partitionsOf(placement: Placement, node: NodeId): PartitionId[] {
  const out: PartitionId[] = [];
  for (const [p, replicas] of placement) if (replicas.includes(node)) out.push(p);
  return out.sort((a, b) => a - b);
}
