import { describe, expect, test } from 'vitest';
import { type NodeId, nodeId, partitionId } from '../common/index.js';
import { partitionsOf, placePartitions } from './placement.js';

const ids = (...n: number[]): NodeId[] => n.map(nodeId);

describe('placePartitions', () => {
  test('single node: every partition on it', () => {
    const p = placePartitions(ids(1), 4, 1);
    expect([...p.values()]).toEqual([ids(1), ids(1), ids(1), ids(1)]);
  });

  test('3 nodes, 12 × 3: every node holds every partition, preferred leaders spread evenly', () => {
    const p = placePartitions(ids(3, 1, 2), 12, 3);
    expect(p.get(partitionId(1))).toEqual(ids(1, 2, 3));
    expect(p.get(partitionId(2))).toEqual(ids(2, 3, 1));
    const leaders = new Map<NodeId, number>();
    for (const replicas of p.values()) {
      expect(new Set(replicas).size).toBe(3);
      leaders.set(replicas[0]!, (leaders.get(replicas[0]!) ?? 0) + 1);
    }
    expect([...leaders.values()]).toEqual([4, 4, 4]);
  });

  test('5 nodes, replication 3: each node holds 3/5 of the partitions', () => {
    const p = placePartitions(ids(1, 2, 3, 4, 5), 10, 3);
    for (const n of ids(1, 2, 3, 4, 5)) expect(partitionsOf(p, n)).toHaveLength(6);
    expect(partitionsOf(p, nodeId(1)).map(Number)).toEqual([1, 4, 5, 6, 9, 10]);
  });

  test('the same members in any order give the same table', () => {
    expect(placePartitions(ids(2, 1, 3), 7, 2)).toEqual(placePartitions(ids(1, 2, 3), 7, 2));
  });

  test('bad arguments are refused', () => {
    expect(() => placePartitions([], 1, 1)).toThrow();
    expect(() => placePartitions(ids(1, 1), 1, 1)).toThrow();
    expect(() => placePartitions(ids(1), 0, 1)).toThrow();
    expect(() => placePartitions(ids(1, 2), 1, 3)).toThrow();
  });
});
