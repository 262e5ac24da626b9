// MultiraftClient's own checks, before anything reaches a node (which none here does).

import { expect, test } from 'vitest';
import { nodeId } from '../common/index.js';
import { MultiraftClient } from './multiraft-client.js';
import { InvalidArgumentError } from './value-errors.js';

test('names of 1 to 256 UTF-8 bytes and namespaces up to 256 are accepted; others refused', async () => {
  await using client = new MultiraftClient({
    nodes: new Map([[nodeId(1), '127.0.0.1:1']]),
    partitions: 1,
    leaders: new Map(),
  });
  expect(client.atomicValue('n'.repeat(256)).name).toHaveLength(256);
  expect(client.atomicValue('x', { namespace: 'n'.repeat(256) }).namespace).toHaveLength(256);
  expect(() => client.atomicValue('')).toThrow(InvalidArgumentError);
  expect(() => client.atomicValue('é'.repeat(129))).toThrow(
    'name must be 1 to 256 bytes (got 258)',
  );
  expect(() => client.atomicValue('x', { namespace: 'n'.repeat(257) })).toThrow(
    InvalidArgumentError,
  );
});
