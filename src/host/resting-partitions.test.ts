import { describe, expect, test } from 'vitest';
import { type NodeId, nodeId, type PartitionId, partitionId } from '../common/index.js';
import { RestingPartitions } from './resting-partitions.js';

interface P {
  readonly id: PartitionId;
}

function partitions(n: number): P[] {
  return Array.from({ length: n }, (_, i) => ({ id: partitionId(i + 1) }));
}

const ids = (set: Iterable<P>) => [...set].map((p) => Number(p.id));
const allReachable = () => true;

describe('RestingPartitions', () => {
  test('partitions start awake, rest out of the tick and come back when woken', () => {
    const r = new RestingPartitions<P>();
    const [a, b, c] = partitions(3) as [P, P, P];
    for (const p of [a, b, c]) r.add(p);
    r.restAsLeader(a, undefined);
    r.restAsFollower(b, nodeId(2));
    expect(ids(r.awake)).toEqual([3]);
    // A leader without a timer and a follower of a reachable leader wait for traffic.
    r.wakeDue(Number.MAX_SAFE_INTEGER, allReachable);
    expect(ids(r.awake)).toEqual([3]);
    expect(r.wake(a)).toBe(true);
    expect(r.wake(a)).toBe(false);
    expect(r.wake(b)).toBe(true);
    expect(ids(r.awake)).toEqual([3, 1, 2]);
    // Adding a partition again does not wake it.
    r.restAsLeader(c, 10);
    r.add(c);
    expect(ids(r.awake)).toEqual([1, 2]);
  });

  test('quiet leaders wake when their timer is due, earliest first, ties in id order', () => {
    const r = new RestingPartitions<P>();
    const [a, b, c, d] = partitions(4) as [P, P, P, P];
    r.restAsLeader(d, 200);
    r.restAsLeader(c, 100);
    r.restAsLeader(b, 100);
    r.restAsLeader(a, 300);
    r.wakeDue(99, allReachable);
    expect(ids(r.awake)).toEqual([]);
    r.wakeDue(100, allReachable);
    expect(ids(r.awake)).toEqual([2, 3]);
    r.wakeDue(250, allReachable);
    expect(ids(r.awake)).toEqual([2, 3, 4]);
    expect(r.nextAlarm()).toBe(300);
  });

  test('an alarm of an earlier rest does not wake a partition resting again', () => {
    const r = new RestingPartitions<P>();
    const [a, b] = partitions(2) as [P, P];
    r.restAsLeader(a, 10);
    r.wake(a);
    r.restAsLeader(a, 100);
    r.restAsLeader(b, 10);
    r.restAsFollower(b, nodeId(2));
    // Both alarms at 10 are stale: the next one is a's of its second rest.
    expect(r.nextAlarm()).toBe(100);
    r.wakeDue(50, allReachable);
    expect(ids(r.awake)).toEqual([]);
    r.wakeDue(100, allReachable);
    expect(ids(r.awake)).toEqual([1]);
  });

  test('many rests and wakes keep every live alarm (stale ones are dropped in rebuilds)', () => {
    const r = new RestingPartitions<P>();
    const [a, b, c] = partitions(3) as [P, P, P];
    r.restAsLeader(b, 5);
    r.restAsLeader(c, 1_000_000);
    for (let i = 0; i < 10_000; i++) {
      r.restAsLeader(a, 1_000 + i);
      r.wake(a);
    }
    r.restAsLeader(a, 20_000);
    r.wakeDue(5, allReachable);
    expect(ids(r.awake)).toEqual([2]);
    r.wakeDue(19_999, allReachable);
    expect(ids(r.awake)).toEqual([2]);
    r.wakeDue(20_000, allReachable);
    expect(ids(r.awake)).toEqual([2, 1]);
    r.wakeDue(1_000_000, allReachable);
    expect(ids(r.awake)).toEqual([2, 1, 3]);
  });

  test('quiet followers wake when the node of the leader they rest on is unreachable', () => {
    const r = new RestingPartitions<P>();
    const [a, b, c] = partitions(3) as [P, P, P];
    r.restAsFollower(a, nodeId(2));
    r.restAsFollower(b, nodeId(3));
    r.restAsFollower(c, nodeId(2));
    // c's leader changed to node 3 while it rested: it now waits on node 3 only.
    r.restAsFollower(c, nodeId(3));
    const down = new Set<NodeId>([nodeId(2)]);
    const reachable = (node: NodeId) => !down.has(node);
    r.wakeDue(0, reachable);
    expect(ids(r.awake)).toEqual([1]);
    // Woken followers wait on nothing: node 2 coming back changes nothing, node 3 going wakes both.
    down.clear();
    r.wakeDue(0, reachable);
    expect(ids(r.awake)).toEqual([1]);
    down.add(nodeId(3));
    r.wakeDue(0, reachable);
    expect(ids(r.awake)).toEqual([1, 2, 3]);
  });

  test('a tick may rest the partitions it iterates', () => {
    const r = new RestingPartitions<P>();
    const all = partitions(4);
    for (const p of all) r.add(p);
    const visited: number[] = [];
    for (const p of r.awake) {
      visited.push(Number(p.id));
      if (Number(p.id) % 2 === 0) r.restAsLeader(p, undefined);
    }
    expect(visited).toEqual([1, 2, 3, 4]);
    expect(ids(r.awake)).toEqual([1, 3]);
  });
});
