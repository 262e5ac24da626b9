// Metrics benchmark (not a test): the size and time of a `/metrics` scrape of a node with 1,000
// partitions (DESIGN §7: under 1 MiB and 100 ms), and of a Cluster GetCluster over them with and
// without state hashes. One node in this process, from the sources, with every partition led here
// and a session and a value on some of them, so every gauge has a value.
// Usage: npm run bench:metrics [-- --quick]

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { pino } from 'pino';
import { PartitionClient } from '../src/client/partition-client.js';
import { nodeId, partitionId } from '../src/common/index.js';
import { Cluster } from '../src/gen/multiraft/v1/cluster_pb.js';
import { resolveConfig, startNode } from '../src/server/index.js';
import { ValueSession } from '../test/process/value-session.js';

const quick = process.argv.includes('--quick');
const partitions = 1_000;
const scrapes = quick ? 20 : 100;
const partitionsWithValues = quick ? 20 : 100;

const dir = await mkdtemp(join(tmpdir(), 'multiraft-bench-metrics-'));
const config = resolveConfig({
  flags: {
    apiPort: '0',
    peerPort: '0',
    httpPort: '0',
    partitions: String(partitions),
    dataDir: dir,
  },
  env: {},
});
const node = await startNode(config, pino({ level: 'warn' }));
try {
  while (!node.ready()) await new Promise((resolve) => setTimeout(resolve, 50));
  const client = new PartitionClient({ nodes: new Map([[nodeId(1), node.addresses.api]]) });
  for (let p = 1; p <= partitionsWithValues; p++) {
    const session = await ValueSession.open(client, partitionId(p));
    await session.set(await session.create(`bench-${p}`), 'value');
    await session.close();
  }
  await client.close();
  const scrape = node.httpRoutes!.get('/metrics')!;
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < scrapes; i++) {
    const t0 = performance.now();
    const reply = await scrape();
    times.push(performance.now() - t0);
    bytes = Buffer.byteLength(reply.body);
  }
  console.log(
    `/metrics of ${partitions.toLocaleString('en-US')} partitions: ` +
      `${(bytes / 1024).toFixed(0)} KiB; over ${scrapes} scrapes ${summary(times)}`,
  );
  const transport = createGrpcTransport({ baseUrl: `http://${node.addresses.api}` });
  const cluster = createClient(Cluster, transport);
  for (const stateHash of [false, true]) {
    const calls: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      await cluster.getCluster({ stateHash });
      calls.push(performance.now() - t0);
    }
    console.log(`GetCluster (state hashes: ${stateHash}) over 10 calls ${summary(calls)}`);
  }
} finally {
  await node.close();
  await rm(dir, { recursive: true, force: true });
}

function summary(times: number[]): string {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return `median ${at(0.5).toFixed(1)} ms, p99 ${at(0.99).toFixed(1)} ms, max ${at(1).toFixed(1)} ms`;
}
