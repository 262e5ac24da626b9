import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { type LogIndex, type NodeId, nodeId } from '../common/index.js';
import { committedIndex, quorumSize, VoteResult, voteResult } from './quorum.js';

/** The reference: sort the match indexes descending; the quorum-th one is committed. */
function sortReference(matches: readonly number[]): number {
  const sorted = [...matches].sort((a, b) => b - a);
  return sorted[quorumSize(matches.length) - 1]!;
}

describe('quorum', () => {
  test('quorum sizes', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(quorumSize)).toEqual([1, 2, 2, 3, 3, 4, 4]);
  });

  test('committed index of examples', () => {
    const ids = [1, 2, 3].map(nodeId);
    const of = (m: number[]) => (id: NodeId) => m[id - 1] as LogIndex;
    expect(committedIndex(ids, of([5, 3, 1]))).toBe(3);
    expect(committedIndex(ids, of([5, 5, 1]))).toBe(5);
    expect(committedIndex(ids, of([0, 0, 9]))).toBe(0);
    expect(committedIndex([nodeId(1)], () => 7 as LogIndex)).toBe(7);
  });

  test('committed index equals the sort-based reference', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 20 }), { minLength: 1, maxLength: 9 }), (matches) => {
        const ids = matches.map((_, i) => nodeId(i + 1));
        const got = committedIndex(ids, (id) => matches[id - 1] as LogIndex);
        expect(got).toBe(sortReference(matches));
      }),
      { numRuns: 2000 },
    );
  });

  test('vote results', () => {
    const ids = [1, 2, 3, 4, 5].map(nodeId);
    const votes = (entries: [number, boolean][]) =>
      new Map(entries.map(([id, v]) => [nodeId(id), v] as const));
    expect(voteResult(ids, votes([[1, true]]))).toBe(VoteResult.Pending);
    expect(
      voteResult(
        ids,
        votes([
          [1, true],
          [2, true],
          [3, true],
        ]),
      ),
    ).toBe(VoteResult.Won);
    expect(
      voteResult(
        ids,
        votes([
          [1, false],
          [2, false],
          [3, false],
        ]),
      ),
    ).toBe(VoteResult.Lost);
    expect(
      voteResult(
        ids,
        votes([
          [1, true],
          [2, false],
          [3, false],
          [4, true],
        ]),
      ),
    ).toBe(VoteResult.Pending);
    // Votes of non-members do not count.
    expect(
      voteResult(
        ids,
        votes([
          [1, true],
          [2, true],
          [9, true],
        ]),
      ),
    ).toBe(VoteResult.Pending);
  });
});
