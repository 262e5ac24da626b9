// Storage benchmark (not a test): group commit of the node-wide WAL on the real disk.
// Usage: npm run bench:storage [-- --quick]   (quick: under 60 s)
// First the raw fdatasync rate of this disk (write 64 B + fdatasync, one at a time), then 1, 8 and
// 64 partitions, each with exactly one append in flight (closed loop: append, wait until durable,
// append again), with 64 B and 1 KiB entries. One line per configuration. The disk and the CPU
// may be shared, so the fdatasync rate is measured again right before and after each configuration
// and the ratio ("Nx fdatasync") and the latency target (p99 / one fdatasync) use the mean of the
// two.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logIndex, partitionId, term } from '../src/common/index.js';
import { NodeFileSystem, Wal } from '../src/storage/index.js';

const quick = process.argv.includes('--quick');
const runMs = quick ? 3000 : 10_000;
const warmupMs = quick ? 300 : 1000;
const fsyncMs = quick ? 2000 : 5000;
const fsyncNearMs = quick ? 1000 : 3000;
const root = mkdtempSync(join(tmpdir(), 'multiraft-bench-'));
const fs = new NodeFileSystem();

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

let fsyncFiles = 0;

async function fdatasyncRate(ms: number): Promise<{ rate: number; p50: number; p99: number }> {
  const handle = await fs.open(join(root, `fsync-${fsyncFiles++}.bin`), 'create');
  const data = new Uint8Array(64).fill(1);
  const lat: number[] = [];
  let pos = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const t0 = performance.now();
    await handle.write(data, pos);
    await handle.datasync();
    lat.push(performance.now() - t0);
    pos += data.length;
  }
  await handle.close();
  lat.sort((a, b) => a - b);
  return { rate: lat.length / (ms / 1000), p50: percentile(lat, 0.5), p99: percentile(lat, 0.99) };
}

async function groupCommit(partitions: number, entryBytes: number) {
  const before = await fdatasyncRate(fsyncNearMs / 2);
  const dir = join(root, `wal-${partitions}-${entryBytes}`);
  const wal = await Wal.open({ fs, dir });
  const data = new Uint8Array(entryBytes).fill(7);
  const lat: number[] = [];
  let measuring = false;
  let stop = false;
  let ops = 0;
  const loop = async (k: number) => {
    const log = wal.partition(partitionId(k));
    for (let i = 1; !stop; i++) {
      const t0 = performance.now();
      log.append([{ index: logIndex(i), term: term(1), type: 0, data }]);
      await wal.flushed();
      if (measuring) {
        lat.push(performance.now() - t0);
        ops++;
      }
    }
  };
  const loops = Array.from({ length: partitions }, (_, k) => loop(k + 1));
  await new Promise((r) => setTimeout(r, warmupMs));
  measuring = true;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, runMs));
  measuring = false;
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  stop = true;
  await Promise.all(loops);
  await wal.close();
  rmSync(dir, { recursive: true, force: true });
  const after = await fdatasyncRate(fsyncNearMs / 2);
  const fsyncRate = (before.rate + after.rate) / 2;
  const fsyncP99 = Math.max(before.p99, after.p99);
  lat.sort((a, b) => a - b);
  const rate = ops / elapsed;
  const cpuUs = (cpu.user + cpu.system) / ops;
  const size = entryBytes >= 1024 ? `${entryBytes / 1024} KiB` : `${entryBytes} B`;
  console.log(
    `${partitions} partition${partitions === 1 ? '' : 's'}, ${size}: ${fmt(rate)} appends/s, ` +
      `p50 ${fmt(percentile(lat, 0.5), 2)} ms, p99 ${fmt(percentile(lat, 0.99), 2)} ms, ` +
      `${fmt(rate / fsyncRate, 1)}x fdatasync, p99 ${fmt((percentile(lat, 0.99) * fsyncRate) / 1000, 1)}x ` +
      `one fdatasync, ${fmt(cpuUs, 1)} CPU µs/append (fdatasync here: ${fmt(fsyncRate)}/s, ` +
      `p99 ${fmt(fsyncP99, 2)} ms)`,
  );
}

try {
  const f = await fdatasyncRate(fsyncMs);
  console.log(
    `fdatasync: ${fmt(f.rate)}/s, p50 ${fmt(f.p50, 2)} ms, p99 ${fmt(f.p99, 2)} ms ` +
      `(write 64 B + fdatasync, one at a time; ${root})`,
  );
  for (const partitions of [1, 8, 64]) {
    for (const entryBytes of [64, 1024]) await groupCommit(partitions, entryBytes);
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
