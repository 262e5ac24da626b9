import { assert, type LogIndex, type NodeId } from '../common/index.js';

/** Majority arithmetic over a set of voters. Learners are never passed in here. */

export const VoteResult = { Pending: 0, Lost: 1, Won: 2 } as const;
export type VoteResult = (typeof VoteResult)[keyof typeof VoteResult];

/** The number of voters that make a majority. */
export function quorumSize(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

/**
 * The largest index that a majority of voters has matched: the commit index the leader may
 * choose (subject to the current-term rule). For each candidate value it counts the voters at or
 * above it, so it needs no sort (the test checks it against a sort-based reference).
 */
export function committedIndex(
  voters: readonly NodeId[],
  matchOf: (id: NodeId) => LogIndex,
): LogIndex {
  assert(voters.length > 0, 'committedIndex needs at least one voter');
  const quorum = quorumSize(voters.length);
  let best = 0 as LogIndex;
  for (const candidate of voters) {
    const value = matchOf(candidate);
    if (value <= best) continue;
    let atOrAbove = 0;
    for (const id of voters) if (matchOf(id) >= value) atOrAbove++;
    if (atOrAbove >= quorum) best = value;
  }
  return best;
}

/** Whether the votes cast so far (true = granted) win, lose or leave the election open. */
export function voteResult(
  voters: readonly NodeId[],
  votes: ReadonlyMap<NodeId, boolean>,
): VoteResult {
  assert(voters.length > 0, 'voteResult needs at least one voter');
  const quorum = quorumSize(voters.length);
  let granted = 0;
  let rejected = 0;
  for (const id of voters) {
    const vote = votes.get(id);
    if (vote === true) granted++;
    else if (vote === false) rejected++;
  }
  if (granted >= quorum) return VoteResult.Won;
  if (voters.length - rejected < quorum) return VoteResult.Lost;
  return VoteResult.Pending;
}
