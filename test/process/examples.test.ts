// Every SDK example in examples/ (docs/client.md) runs to completion against a single node and
// prints what its scenario promises. The examples import the package by its name, which resolves
// to the build in dist/ (`npm ci` builds it; run `npm run build` after editing sources).

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ProcessCluster } from './process-cluster.js';

const root = new URL('../../', import.meta.url).pathname;
let cluster: ProcessCluster;

beforeAll(async () => {
  cluster = await ProcessCluster.start({ nodes: 1, partitions: 2 });
  await cluster.waitAllReady();
}, 60_000);

afterAll(() => cluster?.destroy());

const expected: Record<string, RegExp[]> = {
  'cas-loop.ts': [/^counter = 15$/],
  'create-if-absent.ts': [
    /^alice holds the lock \(version \d+\)$/,
    /^bob waits: alice holds it$/,
    /^released$/,
  ],
  'ttl.ts': [/^set: logged in$/, /^expired$/],
  'watch.ts': [
    /^no value$/,
    /^replicas = 3 \(version \d+\)$/,
    /^replicas = 5 \(version \d+\)$/,
    /^watched 3 values$/,
  ],
  'cancellation.ts': [
    /^ABORTED: may have applied: false$/,
    /^set at version \d+$/,
    /^watch ended after 1 value$/,
  ],
  'events.ts': [
    /^created queued \(version \d+\)$/,
    /^updated running \(version \d+, was queued\)$/,
    /^deleted running \(version \d+\)$/,
  ],
};

test.each(Object.keys(expected))('examples/%s exits 0 and prints its scenario', async (file) => {
  expect(existsSync(join(root, 'dist/index.js'))).toBe(true);
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', join('examples', file)],
    {
      cwd: root,
      env: { ...process.env, MULTIRAFT_ENDPOINTS: [...cluster.apiAddresses().values()].join(',') },
      timeout: 30_000,
    },
  );
  expect(stdout.trim().split('\n')).toEqual(expected[file]!.map((r) => expect.stringMatching(r)));
});
