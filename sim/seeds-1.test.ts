import { test } from 'vitest';
import { expectSeedsClean } from './ci-seeds.js';

test('simulator seeds 1 to 150 find no violation', async () => {
  await expectSeedsClean(1, 150);
}, 600_000);
