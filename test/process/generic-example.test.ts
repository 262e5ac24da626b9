// The README's first steps: examples/generic-grpc.mjs (a generic gRPC client reading the shipped
// .proto files) sets, reads, updates and deletes a value on a single node.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { nodeId } from '../../src/common/index.js';
import { ProcessCluster } from './process-cluster.js';

const root = new URL('../../', import.meta.url).pathname;
let cluster: ProcessCluster;

async function example(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const env = { ...process.env, MULTIRAFT_ADDRESS: cluster.apiAddresses().get(nodeId(1))! };
  return promisify(execFile)(process.execPath, ['examples/generic-grpc.mjs', ...args], {
    cwd: root,
    env,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, out: stdout.trim(), err: stderr.trim() }),
    (e: { code: number; stdout: string; stderr: string }) => ({
      code: e.code,
      out: e.stdout.trim(),
      err: e.stderr.trim(),
    }),
  );
}

beforeAll(async () => {
  cluster = await ProcessCluster.start({ nodes: 1, partitions: 4 });
  await cluster.waitAllReady();
}, 60_000);

afterAll(() => cluster?.destroy());

test('set, get, update by version, delete: printed as the README shows', async () => {
  const set = await example('set', 'greeting', 'hello');
  expect(set.out).toMatch(/^version \d+$/);
  const version = set.out.split(' ')[1]!;
  expect((await example('get', 'greeting')).out).toBe(`hello (version ${version})`);
  const stale = await example('update', 'greeting', 'hi', '--if-version', `${Number(version) + 1}`);
  expect(stale).toMatchObject({
    code: 1,
    err: expect.stringMatching(/^ABORTED: version conflict/),
  });
  const updated = await example('update', 'greeting', 'hi', '--if-version', version);
  expect(updated.out).toMatch(new RegExp(`^version \\d+, was hello \\(version ${version}\\)$`));
  expect((await example('delete', 'greeting')).out).toMatch(/^deleted hi/);
  expect(await example('get', 'greeting')).toMatchObject({ code: 1, err: 'NOT_FOUND: no value' });
});
