// Storage benchmark (not a test): group commit of the node-wide WAL on the real disk.
// Usage: npm run bench:storage [-- --quick]   (quick: under 60 s)
// First the raw fdatasync rate of this disk (write 64 B + fdatasync, one at a time), then 1, 8 and
// 64 partitions, each with exactly one append in flight (closed loop: append, wait until durable,
// append again), with 64 B and 1 KiB entries. One line per configuration. The disk and the CPU
// may be shared, so the fdatasync rate is measured again right before and after each configuration
// and the ratio ("Nx fdatasync") and the latency target (p99 / one fdatasync) use the mean of the
// two. Each line ends with the disk alone writing and syncing batches of the size the WAL wrote
// (its mean), one at a time: the floor under the WAL's p99, since every append waits for at least
// one batch.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fdatasyncRate, groupCommit } from './group-commit.js';
import { fmt } from './stats.js';

const quick = process.argv.includes('--quick');
const runMs = quick ? 3000 : 10_000;
const warmupMs = quick ? 300 : 1000;
const fsyncMs = quick ? 2000 : 5000;
const fsyncNearMs = quick ? 1000 : 3000;
const root = mkdtempSync(join(tmpdir(), 'multiraft-bench-'));

try {
  const f = await fdatasyncRate(root, fsyncMs);
  console.log(
    `fdatasync: ${fmt(f.rate)}/s, p50 ${fmt(f.p50Ms, 2)} ms, p99 ${fmt(f.p99Ms, 2)} ms ` +
      `(write 64 B + fdatasync, one at a time; ${root})`,
  );
  for (const partitions of [1, 8, 64]) {
    for (const entryBytes of [64, 1024]) {
      const g = await groupCommit({ root, partitions, entryBytes, warmupMs, runMs, fsyncNearMs });
      const size = entryBytes >= 1024 ? `${entryBytes / 1024} KiB` : `${entryBytes} B`;
      // A latency as a multiple of one fdatasync (the mean at the rate measured around the run).
      const fsyncs = (ms: number) => fmt((ms * g.fsyncRate) / 1000, 1);
      console.log(
        `${partitions} partition${partitions === 1 ? '' : 's'}, ${size}: ${fmt(g.appendsPerSec)} appends/s, ` +
          `p50 ${fmt(g.p50Ms, 2)} ms, p99 ${fmt(g.p99Ms, 2)} ms, ` +
          `${fmt(g.appendsPerSec / g.fsyncRate, 1)}x fdatasync, p99 ${fsyncs(g.p99Ms)}x ` +
          `one fdatasync, ${fmt(g.cpuUsPerAppend, 1)} CPU µs/append (fdatasync here: ${fmt(g.fsyncRate)}/s, ` +
          `p99 ${fmt(g.fsyncP99Ms, 2)} ms; the disk alone for one batch of ${fmt(g.batchBytes)} B: ` +
          `p50 ${fmt(g.rawBatch.p50Ms, 2)} ms, p99 ${fmt(g.rawBatch.p99Ms, 2)} ms, ` +
          `${fsyncs(g.rawBatch.p99Ms)}x one fdatasync)`,
      );
    }
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
