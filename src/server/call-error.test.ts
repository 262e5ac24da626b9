import { describe, expect, test } from 'vitest';
import { nodeId } from '../common/index.js';
import { NotLeaderError, ReadLimitError } from '../raft/index.js';
import { LeadershipChangedError, OverloadedError, SupersededError } from '../replica/index.js';
import { callErrorOf, PartitionCallError, unknownPartition } from './call-error.js';

describe('callErrorOf', () => {
  test('NOT_LEADER carries the hint and is safe to retry', () => {
    expect(callErrorOf(new NotLeaderError(nodeId(3)))).toMatchObject({
      code: 'NOT_LEADER',
      leaderHint: 3,
      safeToRetry: true,
    });
    expect(callErrorOf(new NotLeaderError(0))).toMatchObject({ leaderHint: 0, safeToRetry: true });
  });

  test('replica errors keep their own safety', () => {
    expect(callErrorOf(new OverloadedError(10))).toMatchObject({
      code: 'UNAVAILABLE',
      safeToRetry: true,
    });
    expect(callErrorOf(new LeadershipChangedError('command'))).toMatchObject({
      code: 'LEADERSHIP_CHANGED',
      safeToRetry: false,
    });
    expect(callErrorOf(new LeadershipChangedError('query')).safeToRetry).toBe(true);
    expect(callErrorOf(new SupersededError())).toMatchObject({
      code: 'SUPERSEDED',
      safeToRetry: false,
    });
  });

  test('Raft refusals and protocol errors are safe; anything else is INTERNAL and unsafe', () => {
    expect(callErrorOf(new ReadLimitError(5))).toMatchObject({
      code: 'READ_LIMIT',
      safeToRetry: true,
    });
    expect(callErrorOf(unknownPartition(9))).toMatchObject({
      code: 'UNKNOWN_PARTITION',
      safeToRetry: true,
    });
    expect(callErrorOf(new PartitionCallError('INVALID', 'bad')).code).toBe('INVALID');
    expect(callErrorOf(new Error('boom'))).toEqual({
      code: 'INTERNAL',
      message: 'boom',
      leaderHint: 0,
      safeToRetry: false,
    });
  });
});
