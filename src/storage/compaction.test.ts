import { describe, expect, it } from 'vitest';
import { logIndex, nodeId, term } from '../common/index.js';
import { FaultFileSystem } from './fault-fs.js';
import type { PartitionLog } from './partition-log.js';
import { mkEntries, openWal, p } from './test-helpers.js';

const opts = { segmentBytesMax: 4096, catchUpMarginEntries: 10, pinnedSegmentsMax: 3 };
const conf = { voters: [nodeId(1)], learners: [] };

async function snapshotAt(log: PartitionLog, index: number, t = 1): Promise<void> {
  const w = await log.createSnapshot({ index: logIndex(index), term: term(t), conf });
  await w.write(new Uint8Array([index & 0xff]));
  await w.commit();
}

describe('compaction and segment deletion', () => {
  it('releases entries up to the snapshot less the margin; deletes segments no partition needs', async () => {
    const fs = new FaultFileSystem({ seed: 1 });
    const wal = await openWal(fs, opts);
    const a = wal.partition(p(1));
    const b = wal.partition(p(2));
    for (let i = 1; i <= 100; i++) {
      a.append(mkEntries(1, i, 1, 1, 60));
      b.append(mkEntries(2, i, 1, 1, 60));
      b.setHardState({ term: term(1), vote: nodeId(2), commit: logIndex(i) });
      await wal.flushed();
    }
    const before = wal.segmentSeqs();
    expect(before.length).toBeGreaterThan(5);
    // Partition 2 pins the oldest segments: it is asked to snapshot; partition 1 too.
    expect(wal.partitionsToSnapshot()).toEqual([1, 2]);

    await snapshotAt(a, 90);
    await wal.flushed();
    expect(a.firstIndex()).toBe(81);
    expect(a.snapshot().meta.index).toBe(90);
    // Still pinned by partition 2: nothing deleted.
    expect(wal.segmentSeqs()[0]).toBe(before[0]);
    expect(wal.partitionsToSnapshot()).toEqual([2]);

    await snapshotAt(b, 95);
    await wal.flushed();
    await new Promise((r) => setImmediate(r));
    expect(b.firstIndex()).toBe(86);
    const after = wal.segmentSeqs();
    expect(after[0]).toBeGreaterThan(before[0]!);
    expect(wal.partitionsToSnapshot()).toEqual([]);
    // Deleted files are gone from disk.
    const onDisk = fs.paths().filter((x) => x.endsWith('.wal'));
    expect(onDisk).toHaveLength(after.length);

    // Keep writing past several more segment rolls, then reopen: the checkpoint at the start of
    // the oldest kept segment carries hard state and compaction points.
    for (let i = 101; i <= 160; i++) {
      a.append(mkEntries(1, i, 1, 1, 60));
      await wal.flushed();
    }
    await wal.close();
    const again = await openWal(fs, opts);
    const a2 = again.partition(p(1));
    const b2 = again.partition(p(2));
    expect([a2.firstIndex(), a2.lastIndex()]).toEqual([81, 160]);
    expect([b2.firstIndex(), b2.lastIndex()]).toEqual([86, 100]);
    expect(b2.initialState().hardState).toEqual({ term: 1, vote: 2, commit: 100 });
    expect(b2.entries(logIndex(86), logIndex(101), 1e9)).toEqual(mkEntries(2, 86, 15, 1, 60));
    expect(a2.term(logIndex(80))).toBe(1);
    await again.close();
  });

  it('recovers after the oldest segments were deleted, across many rolls and partitions', async () => {
    const fs = new FaultFileSystem({ seed: 2 });
    const wal = await openWal(fs, { ...opts, catchUpMarginEntries: 0 });
    const logs = [1, 2, 3].map((k) => wal.partition(p(k)));
    for (let i = 1; i <= 300; i++) {
      for (const [k, log] of logs.entries()) log.append(mkEntries(k + 1, i, 1, 1, 30));
      if (i % 50 === 0) for (const log of logs) await snapshotAt(log, i - 5);
      await wal.flushed();
    }
    await new Promise((r) => setImmediate(r));
    expect(wal.segmentSeqs()[0]).toBeGreaterThan(10);
    await wal.close();
    const again = await openWal(fs, opts);
    for (const k of [1, 2, 3]) {
      const log = again.partition(p(k));
      expect([log.firstIndex(), log.lastIndex()]).toEqual([296, 300]);
      expect(log.entries(logIndex(296), logIndex(301), 1e9)).toEqual(mkEntries(k, 296, 5, 1, 30));
    }
    await again.close();
  });

  it('an idle partition keeps its hard state, configuration and compaction point when the segments that held them are deleted', async () => {
    const fs = new FaultFileSystem({ seed: 3 });
    const wal = await openWal(fs, { ...opts, catchUpMarginEntries: 0 });
    const idle = wal.partition(p(2));
    idle.append(mkEntries(2, 1, 5, 3));
    idle.setHardState({ term: term(3), vote: nodeId(7), commit: logIndex(5) });
    idle.setConf({ voters: [nodeId(7), nodeId(8)], learners: [nodeId(9)] });
    await wal.flushed();
    await snapshotAt(idle, 5, 3);
    await wal.flushed();
    const busy = wal.partition(p(1));
    for (let i = 1; i <= 200; i++) {
      busy.append(mkEntries(1, i, 1, 1, 100));
      if (i % 40 === 0) await snapshotAt(busy, i);
      await wal.flushed();
    }
    await new Promise((r) => setImmediate(r));
    // Every segment written before the busy partition's last snapshot is gone.
    expect(wal.segmentSeqs()[0]).toBeGreaterThan(5);
    await wal.close();
    const again = await openWal(fs, opts);
    const l = again.partition(p(2));
    expect(l.initialState()).toEqual({
      hardState: { term: 3, vote: 7, commit: 5 },
      conf: { voters: [7, 8], learners: [9] },
    });
    expect([l.firstIndex(), l.lastIndex(), l.term(logIndex(5))]).toEqual([6, 5, 3]);
    expect(l.snapshot().meta).toEqual({ index: 5, term: 3, conf });
    await again.close();
  });

  it('never deletes a segment whose entries are durable until what replaces them is durable', async () => {
    for (const kind of ['overwrite', 'compact'] as const) {
      const fs = new FaultFileSystem({ seed: 4 });
      const queue: (() => void)[] = [];
      const settle = async () => {
        for (let i = 0; i < 50; i++) await Promise.resolve();
      };
      const drain = async () => {
        while (queue.length > 0) {
          queue.shift()!();
          await settle();
        }
      };
      const o = { ...opts, catchUpMarginEntries: 0, defer: (fn: () => void) => queue.push(fn) };
      const wal = await openWal(fs, o);
      const a = wal.partition(p(1));
      const b = wal.partition(p(2));
      a.append(mkEntries(1, 1, 10, 1, 100));
      await drain();
      await snapshotAt(a, 3);
      await drain();
      for (let i = 1; i <= 60; i++) {
        b.append(mkEntries(2, i, 1, 1, 200));
        if (i % 10 === 0) await snapshotAt(b, i);
        await drain();
      }
      // Partition 1's entries 4..10 are durable in the first segment. A batch of partition 2
      // goes in flight; meanwhile partition 1 replaces or releases its entries (not yet written).
      b.append(mkEntries(2, 61, 1, 1, 200));
      await snapshotAt(b, 61); // a compaction in the batch: old segments are collected after it
      queue.shift()!(); // the batch is encoded and in flight
      if (kind === 'overwrite') a.append(mkEntries(1, 4, 2, 2, 100));
      else await snapshotAt(a, 10);
      await settle(); // the in-flight batch completes; old segments may be deleted
      const after = fs.crash(); // partition 1's pending records are lost
      const again = await openWal(after, { ...opts, catchUpMarginEntries: 0 });
      const l = again.partition(p(1));
      expect(l.lastIndex(), kind).toBe(10);
      expect(l.entries(logIndex(l.firstIndex()), logIndex(11), 1e9)).toEqual(
        mkEntries(1, l.firstIndex(), 11 - l.firstIndex(), 1, 100),
      );
      await again.close();
    }
  });
});
