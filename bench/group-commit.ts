// The disk side of the benchmarks: the raw fdatasync rate (one or several writers, each on its own
// file) and the write-ahead log's group commit with P partitions appending in a closed loop.
// `bench:storage` prints them per configuration; the suite takes the 64-partition line and the
// floor (fdatasync with 3 concurrent writers, one per replica of a 3-node cluster on this disk).

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { logIndex, partitionId, term } from '../src/common/index.js';
import { NodeFileSystem, Wal } from '../src/storage/index.js';
import { percentile } from './stats.js';

const fs = new NodeFileSystem();
let fsyncFiles = 0;

export interface FsyncFigures {
  /** fdatasyncs per second over all writers. */
  readonly rate: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/**
 * `writers` loops, each writing `bytes` (64 B: "one fdatasync" of the targets) then fdatasync on
 * its own file in `root`, for `ms`.
 */
export async function fdatasyncRate(
  root: string,
  ms: number,
  writers = 1,
  bytes = 64,
): Promise<FsyncFigures> {
  const lat: number[] = [];
  const end = performance.now() + ms;
  const writer = async () => {
    const handle = await fs.open(join(root, `fsync-${fsyncFiles++}.bin`), 'create');
    const data = new Uint8Array(bytes).fill(1);
    for (let pos = 0; performance.now() < end; pos += data.length) {
      const t0 = performance.now();
      await handle.write(data, pos);
      await handle.datasync();
      lat.push(performance.now() - t0);
    }
    await handle.close();
  };
  await Promise.all(Array.from({ length: writers }, writer));
  lat.sort((a, b) => a - b);
  return {
    rate: lat.length / (ms / 1000),
    p50Ms: percentile(lat, 0.5),
    p99Ms: percentile(lat, 0.99),
  };
}

export interface GroupCommitOptions {
  readonly root: string;
  readonly partitions: number;
  readonly entryBytes: number;
  readonly warmupMs: number;
  readonly runMs: number;
  /** How long the fdatasync rate is measured, half before and half after the run. */
  readonly fsyncNearMs: number;
}

export interface GroupCommitFigures {
  readonly appendsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** The raw rate measured right around the run: the disk and the CPU may be shared. */
  readonly fsyncRate: number;
  readonly fsyncP99Ms: number;
  readonly cpuUsPerAppend: number;
  /** Mean bytes the WAL wrote per batch (one write + one fdatasync each). */
  readonly batchBytes: number;
  /**
   * The disk alone for a batch of that size: one writer, write + fdatasync, one at a time (what
   * the WAL's p99 cannot go below, as every append waits for at least one such batch).
   */
  readonly rawBatch: FsyncFigures;
}

/** Every partition keeps exactly one append in flight: append, wait until durable, again. */
export async function groupCommit(o: GroupCommitOptions): Promise<GroupCommitFigures> {
  const before = await fdatasyncRate(o.root, o.fsyncNearMs / 2);
  const dir = join(o.root, `wal-${o.partitions}-${o.entryBytes}`);
  let batches = 0;
  let batchBytes = 0;
  const observer = {
    batch(bytes: number) {
      if (!measuring) return;
      batches++;
      batchBytes += bytes;
    },
    sync: () => () => {},
  };
  const wal = await Wal.open({ fs, dir, observer });
  const data = new Uint8Array(o.entryBytes).fill(7);
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
  const loops = Array.from({ length: o.partitions }, (_, k) => loop(k + 1));
  await new Promise((r) => setTimeout(r, o.warmupMs));
  measuring = true;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, o.runMs));
  measuring = false;
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  stop = true;
  await Promise.all(loops);
  await wal.close();
  rmSync(dir, { recursive: true, force: true });
  const after = await fdatasyncRate(o.root, o.fsyncNearMs / 2);
  const meanBatch = Math.max(1, Math.round(batchBytes / Math.max(1, batches)));
  const rawBatch = await fdatasyncRate(o.root, o.fsyncNearMs / 2, 1, meanBatch);
  lat.sort((a, b) => a - b);
  return {
    appendsPerSec: ops / elapsed,
    p50Ms: percentile(lat, 0.5),
    p99Ms: percentile(lat, 0.99),
    fsyncRate: (before.rate + after.rate) / 2,
    fsyncP99Ms: Math.max(before.p99Ms, after.p99Ms),
    cpuUsPerAppend: (cpu.user + cpu.system) / ops,
    batchBytes: meanBatch,
    rawBatch,
  };
}
