import { describe, expect, it } from 'vitest';
import { logIndex, nodeId, term } from '../common/index.js';
import type { SnapshotMeta } from '../raft/index.js';
import { CorruptSnapshotError } from './errors.js';
import { FaultFileSystem } from './fault-fs.js';
import type { PartitionLog } from './partition-log.js';
import { entryData, mkEntries, openWal, p } from './test-helpers.js';

const conf = { voters: [nodeId(1), nodeId(2), nodeId(3)], learners: [nodeId(9)] };
const meta = (index: number, t: number): SnapshotMeta => ({
  index: logIndex(index),
  term: term(t),
  conf,
});
const snapFiles = (fs: FaultFileSystem) => fs.paths().filter((x) => x.includes('/snap/'));

async function collect(it: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const c of it) out.push(c);
  return out;
}

/** Writes and commits a snapshot in one chunk. */
async function commitSnapshot(
  log: PartitionLog,
  at: SnapshotMeta,
  data: Uint8Array,
): Promise<void> {
  const writer = await log.createSnapshot(at);
  await writer.write(data);
  await writer.commit();
}

describe('snapshots', () => {
  it('streams in chunks, commits durably, reads back in chunks, keeps only the latest', async () => {
    const fs = new FaultFileSystem({ seed: 1 });
    const wal = await openWal(fs);
    const log = wal.partition(p(1));
    log.append(mkEntries(1, 1, 20, 1));
    await wal.flushed();
    const data = entryData(9, 9, 9, 10_000);
    const w = await log.createSnapshot(meta(10, 1));
    for (let i = 0; i < data.length; i += 3000) await w.write(data.subarray(i, i + 3000));
    await w.commit();
    expect(log.snapshot()).toEqual({ meta: meta(10, 1), data });
    const reader = await log.openSnapshot();
    const chunks = await collect(reader!.chunks(4096));
    expect(chunks.map((c) => c.length)).toEqual([4096, 4096, 1808]);
    expect(Buffer.concat(chunks).equals(Buffer.from(data))).toBe(true);
    await commitSnapshot(log, meta(15, 1), new Uint8Array([1, 2, 3]));
    expect(snapFiles(fs)).toEqual(['/wal/snap/p1-0000000000000015.snap']);
    // The crash must not lose a committed snapshot: it was synced and its directory too.
    const after = fs.crash();
    const again = await openWal(after);
    expect(again.partition(p(1)).snapshot().data).toEqual(new Uint8Array([1, 2, 3]));
    await again.close();
  });

  it('a crash before commit leaves the previous snapshot; the temporary file is removed', async () => {
    const fs = new FaultFileSystem({ seed: 2 });
    const wal = await openWal(fs);
    const log = wal.partition(p(1));
    log.append(mkEntries(1, 1, 20, 1));
    await wal.flushed();
    await commitSnapshot(log, meta(5, 1), new Uint8Array([5]));
    await wal.flushed();
    const w2 = await log.createSnapshot(meta(12, 1));
    await w2.write(new Uint8Array(5000));
    const next = fs.crash();
    const again = await openWal(next);
    expect(again.partition(p(1)).snapshot()).toEqual({
      meta: meta(5, 1),
      data: new Uint8Array([5]),
    });
    expect(snapFiles(next)).toEqual(['/wal/snap/p1-0000000000000005.snap']);
    await again.close();
  });

  it('crashes at every step of a commit leave one valid snapshot, old or new', async () => {
    for (let steps = 1; steps <= 8; steps++) {
      const fs = new FaultFileSystem({ seed: 100 + steps });
      const wal = await openWal(fs);
      const log = wal.partition(p(1));
      log.append(mkEntries(1, 1, 20, 1));
      await wal.flushed();
      await commitSnapshot(log, meta(5, 1), new Uint8Array([5]));
      await wal.flushed();
      fs.crashAfterOps = steps;
      try {
        await commitSnapshot(log, meta(12, 1), new Uint8Array([12, 12]));
        await wal.flushed();
      } catch {
        // crashed
      }
      const again = await openWal(fs.crash());
      const snap = again.partition(p(1)).snapshot();
      expect([5, 12]).toContain(snap.meta.index);
      expect(snap.data).toEqual(
        snap.meta.index === 5 ? new Uint8Array([5]) : new Uint8Array([12, 12]),
      );
      await again.close();
    }
  });

  it('detects a flipped bit in a snapshot file, at open and while streaming', async () => {
    const fs = new FaultFileSystem({ seed: 3 });
    const wal = await openWal(fs);
    const log = wal.partition(p(1));
    log.append(mkEntries(1, 1, 3, 1));
    await commitSnapshot(log, meta(2, 1), new Uint8Array(100).fill(7));
    const path = snapFiles(fs)[0]!;
    const reader = await log.openSnapshot();
    fs.flipBit(path, fs.content(path).length - 40, 3);
    await expect(collect(reader!.chunks(30))).rejects.toBeInstanceOf(CorruptSnapshotError);
    expect(() => log.snapshot()).toThrow(CorruptSnapshotError);
    await wal.close();
    for (const at of [3, 20, fs.content(path).length - 5]) {
      fs.flipBit(path, at, 0);
      await expect(openWal(fs)).rejects.toBeInstanceOf(CorruptSnapshotError);
      fs.flipBit(path, at, 0);
    }
  });

  it('a received snapshot resets the log, durably', async () => {
    const fs = new FaultFileSystem({ seed: 4 });
    const wal = await openWal(fs);
    const log = wal.partition(p(1));
    log.append(mkEntries(1, 1, 5, 1));
    await wal.flushed();
    const w = await log.receiveSnapshot(meta(100, 3));
    await w.write(new Uint8Array([1]));
    await w.commit();
    expect(log.firstIndex()).toBe(101);
    expect(log.lastIndex()).toBe(100);
    expect(log.term(logIndex(100))).toBe(3);
    expect(log.initialState().conf).toEqual(conf);
    log.append(mkEntries(1, 101, 2, 3));
    await wal.flushed();
    await wal.close();
    const again = await openWal(fs);
    const l2 = again.partition(p(1));
    expect([l2.firstIndex(), l2.lastIndex()]).toEqual([101, 102]);
    expect(l2.initialState().hardState.commit).toBe(100);
    await again.close();
  });

  it('a crash between the snapshot file and its Reset record still resets to the snapshot', async () => {
    const fs = new FaultFileSystem({ seed: 5 });
    const wal = await openWal(fs);
    const log = wal.partition(p(1));
    log.append(mkEntries(1, 1, 5, 1));
    await wal.flushed();
    const w = await log.receiveSnapshot(meta(50, 2));
    await w.commit();
    const next = fs.crash(); // the Reset record was never written
    const again = await openWal(next);
    const l2 = again.partition(p(1));
    expect([l2.firstIndex(), l2.lastIndex(), l2.term(logIndex(50))]).toEqual([51, 50, 2]);
    expect(l2.initialState().conf).toEqual(conf);
    // The log goes on from the snapshot, also across the next restart.
    l2.append(mkEntries(1, 51, 3, 2));
    await again.flushed();
    await again.close();
    const third = await openWal(next);
    const l3 = third.partition(p(1));
    expect([l3.firstIndex(), l3.lastIndex()]).toEqual([51, 53]);
    expect(l3.entries(logIndex(51), logIndex(54), 1e9)).toEqual(mkEntries(1, 51, 3, 2));
    await third.close();
  });

  it('entries a snapshot covers are committed, even if the hard state saying so was lost', async () => {
    const fs = new FaultFileSystem({ seed: 6 });
    const wal = await openWal(fs);
    const log = wal.partition(p(1));
    log.append(mkEntries(1, 1, 20, 1));
    log.setHardState({ term: term(1), vote: nodeId(1), commit: logIndex(5) });
    await wal.flushed();
    log.setHardState({ term: term(1), vote: nodeId(1), commit: logIndex(15) });
    await commitSnapshot(log, meta(15, 1), new Uint8Array([15]));
    const next = fs.crash(); // the snapshot is durable; the batch with commit 15 never was
    const again = await openWal(next);
    const l2 = again.partition(p(1));
    expect([l2.snapshot().meta.index, l2.hardState().commit]).toEqual([15, 5]);
    expect(l2.initialState().hardState.commit).toBe(15);
    await again.close();
  });

  it('a failed fdatasync of a snapshot installs nothing; a new writer may retry', async () => {
    const fs = new FaultFileSystem({ seed: 6 });
    const wal = await openWal(fs);
    const log = wal.partition(p(1));
    log.append(mkEntries(1, 1, 5, 1));
    await wal.flushed();
    const w = await log.createSnapshot(meta(3, 1));
    await w.write(new Uint8Array([3]));
    fs.failNextSync = true;
    await expect(w.commit()).rejects.toMatchObject({ code: 'EIO' });
    expect(log.snapshot().meta.index).toBe(0);
    expect(snapFiles(fs)).toEqual([]);
    await commitSnapshot(log, meta(3, 1), new Uint8Array([3]));
    expect(log.snapshot().data).toEqual(new Uint8Array([3]));
    await wal.close();
  });
});
