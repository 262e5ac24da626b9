// Node benchmark (not a test): real `multiraft start` processes on loopback, run from the build.
// Usage: npm run bench:node [-- --quick]
// 1. Start-up and idle cost: a single node with 4 partitions, and 3 nodes with 1,000 partitions × 3
//    replicas: time from spawn to /readyz and RSS then, and after settling, RSS and CPU over an idle
//    interval per process.
// 2. Writes on a 3-node cluster (12 partitions × 3) through the test client (src/session over the
//    partition protocol): one client's latency (one set at a time), then throughput with 256 sets
//    in flight on one client object, spread over sessions on every partition; then the same two
//    through the SDK (`connect()`), the 256 writers spread over 1,000 values.

// The SDK as users run it, the built package (bench/multiraft-system.ts says why).
import { connect } from 'multiraft';
import { PartitionClient } from '../src/client/partition-client.js';
import { partitionId } from '../src/common/index.js';
import { ProcessCluster } from '../test/process/process-cluster.js';
import { ValueSession } from '../test/process/value-session.js';
import { describeIdle, idleCost, settledAfterMs } from './idle-cost.js';
import { fmt, percentile } from './stats.js';

const quick = process.argv.includes('--quick');
const idleMs = quick ? 3_000 : 10_000;
const settleMs = quick ? 2_000 : settledAfterMs;
const latencyOps = quick ? 300 : 2_000;
const throughputMs = quick ? 3_000 : 10_000;

async function idleNode(nodes: number, partitions: number, replication: number): Promise<void> {
  const f = await idleCost({ nodes, partitions, replication, idleMs, settleMs });
  console.log(
    `${nodes} node(s), ${fmt(partitions)} partitions × ${replication}: ${describeIdle(f, settleMs)}`,
  );
}

async function writes(): Promise<void> {
  const cluster = await ProcessCluster.start({
    nodes: 3,
    partitions: 12,
    replication: 3,
    entry: 'build',
  });
  const client = new PartitionClient({ nodes: cluster.apiAddresses(), callTimeoutMs: 30_000 });
  try {
    await cluster.waitAllReady();
    // One client, one write at a time.
    const one = await ValueSession.open(client, partitionId(1));
    const service = await one.create('latency');
    for (let i = 0; i < 50; i++) await one.set(service, 'warm-up');
    const lat: number[] = [];
    for (let i = 0; i < latencyOps; i++) {
      const t = performance.now();
      await one.set(service, `value ${i}`);
      lat.push(performance.now() - t);
    }
    lat.sort((a, b) => a - b);
    console.log(
      `3 nodes, 1 client: set p50 ${fmt(percentile(lat, 0.5), 2)} ms, p99 ${fmt(percentile(lat, 0.99), 2)} ms (${fmt(latencyOps)} sets)`,
    );
    await one.close();
    // 256 sets in flight on one client object: 16 workers per partition-session pair.
    const targets: { session: ValueSession; service: number }[] = [];
    for (let p = 1; p <= 12; p++) {
      const session = await ValueSession.open(client, partitionId(p));
      targets.push({ session, service: await session.create(`throughput-${p}`) });
    }
    let done = 0;
    let stop = false;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 256 }, async (_, w) => {
        const { session, service } = targets[w % targets.length]!;
        while (!stop) {
          await session.set(service, `w${w}`);
          done++;
          if (performance.now() - t0 >= throughputMs) stop = true;
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    console.log(
      `3 nodes, 256 in flight: ${fmt(done / seconds)} sets/s (${fmt(done)} in ${fmt(seconds, 1)} s)`,
    );
    for (const t of targets) await t.session.close();
    await sdkWrites(cluster);
  } finally {
    await client.close();
    await cluster.destroy();
  }
}

/** The same two measurements through the SDK (`connect()`), 256 writers on 1,000 values. */
async function sdkWrites(cluster: ProcessCluster): Promise<void> {
  const client = await connect({
    endpoints: [...cluster.apiAddresses().values()],
    timeoutMs: 30_000,
  });
  try {
    const one = client.atomicValue('sdk-latency', { codec: 'string' });
    for (let i = 0; i < 50; i++) await one.set('warm-up');
    const lat: number[] = [];
    for (let i = 0; i < latencyOps; i++) {
      const t = performance.now();
      await one.set(`value ${i}`);
      lat.push(performance.now() - t);
    }
    lat.sort((a, b) => a - b);
    console.log(
      `3 nodes, SDK, 1 client: set p50 ${fmt(percentile(lat, 0.5), 2)} ms, p99 ${fmt(percentile(lat, 0.99), 2)} ms (${fmt(latencyOps)} sets)`,
    );
    const values = Array.from({ length: 1_000 }, (_, i) =>
      client.atomicValue(`sdk-throughput-${i}`, { codec: 'string' }),
    );
    // Sessions and primitives exist before the clock starts.
    await Promise.all(values.map((v) => v.set('warm-up')));
    let done = 0;
    let stop = false;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 256 }, async (_, w) => {
        for (let i = w; !stop; i += 256) {
          await values[i % values.length]!.set(`w${w}`);
          done++;
          if (performance.now() - t0 >= throughputMs) stop = true;
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    console.log(
      `3 nodes, SDK, 256 in flight on 1,000 values: ${fmt(done / seconds)} sets/s (${fmt(done)} in ${fmt(seconds, 1)} s)`,
    );
  } finally {
    await client.close();
  }
}

await idleNode(1, 4, 1);
await idleNode(3, 1_000, 3);
await writes();
