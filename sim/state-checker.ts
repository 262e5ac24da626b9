// State machine safety, checked while the run goes on: replicas of a partition that have applied
// the same index hold the same state. The convergence check after the quiet phase cannot see a
// divergence that a snapshot from a later leader has overwritten in the meantime (a follower that
// applied an entry which was never truly committed, then installed the leader's snapshot).

import { crc32c, type NodeId, type PartitionId } from '../src/common/index.js';
import type { SimNode } from './sim-node.js';

export class StateChecker {
  readonly #violation: (what: string) => void;
  /** Per `${partition}:${index}`, the digest of the state first seen applied there, and where. */
  readonly #states = new Map<string, { readonly digest: number; readonly node: NodeId }>();
  /** Per `${node}:${partition}`, the applied index last checked: a state is hashed once. */
  readonly #checked = new Map<string, number>();
  /** One report per partition: after a divergence every later index differs too. */
  readonly #diverged = new Set<PartitionId>();

  constructor(violation: (what: string) => void) {
    this.#violation = violation;
  }

  /** Called after a ready loop of a node: checks its replica of `partition`. */
  observe(node: SimNode, partition: PartitionId): void {
    const replica = node.replicas().get(partition);
    if (replica === undefined) return;
    const applied = replica.applied;
    const mine = `${node.id}:${partition}`;
    if (this.#checked.get(mine) === applied) return;
    this.#checked.set(mine, applied);
    const digest = crc32c(replica.stateSnapshot());
    const at = `${partition}:${applied}`;
    const first = this.#states.get(at);
    if (first === undefined) {
      this.#states.set(at, { digest, node: node.id });
    } else if (first.digest !== digest && !this.#diverged.has(partition)) {
      this.#diverged.add(partition);
      this.#violation(
        `partition ${partition}: nodes ${first.node} and ${node.id} applied different states ` +
          `at index ${applied}`,
      );
    }
  }
}
