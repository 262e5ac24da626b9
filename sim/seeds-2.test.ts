import { test } from 'vitest';
import { expectSeedsClean } from './ci-seeds.js';

test('simulator seeds 151 to 300 find no violation', async () => {
  await expectSeedsClean(151, 150);
}, 600_000);
