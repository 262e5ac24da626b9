import { describe, expect, it } from 'vitest';
import { logIndex, nodeId, term } from '../common/index.js';
import { CompactedError, UnavailableEntriesError } from '../raft/index.js';
import { RecordTooLargeError, WalFailedError } from './errors.js';
import { FaultFileSystem } from './fault-fs.js';
import { mkEntries, openWal, p } from './test-helpers.js';
import type { DurableBatch } from './wal.js';

const hs = (t: number, commit: number) => ({
  term: term(t),
  vote: nodeId(1),
  commit: logIndex(commit),
});

describe('Wal', () => {
  it('appends, reports durability per batch, and reads back after reopen', async () => {
    const fs = new FaultFileSystem({ seed: 1 });
    const wal = await openWal(fs);
    const a = wal.partition(p(1));
    const b = wal.partition(p(2));
    a.append(mkEntries(1, 1, 3, 1));
    b.append(mkEntries(2, 1, 2, 1));
    a.setHardState({ term: term(1), vote: nodeId(3), commit: logIndex(2) });
    // Readable before durable.
    expect(a.lastIndex()).toBe(3);
    expect(a.entries(logIndex(1), logIndex(4), 1e9)).toHaveLength(3);
    const batch = await wal.flushed();
    expect(batch.marks).toEqual([
      { partition: 1, lastIndex: 3, lastTerm: 1 },
      { partition: 2, lastIndex: 2, lastTerm: 1 },
    ]);
    expect(fs.syncs).toBe(1); // one fdatasync for the whole batch (directory fsyncs not counted)
    await wal.close();
    const again = await openWal(fs);
    const a2 = again.partition(p(1));
    expect(a2.lastIndex()).toBe(3);
    expect(a2.entries(logIndex(1), logIndex(4), 1e9)).toEqual(mkEntries(1, 1, 3, 1));
    expect(a2.initialState().hardState).toEqual({ term: 1, vote: 3, commit: 2 });
    expect(again.partition(p(2)).entries(logIndex(1), logIndex(3), 0)).toHaveLength(1);
    await again.close();
  });

  it('tells its observer the size of every batch and when each fdatasync ends, even a failed one', async () => {
    const fs = new FaultFileSystem({ seed: 3 });
    const seen: string[] = [];
    const observer = {
      batch: (bytes: number, entries: number) => seen.push(`batch ${bytes > 0} ${entries}`),
      sync: () => {
        seen.push('sync');
        return () => seen.push('synced');
      },
    };
    const wal = await openWal(fs, { observer });
    wal.partition(p(1)).append(mkEntries(1, 1, 3, 1));
    wal.partition(p(2)).append(mkEntries(2, 1, 2, 1));
    await wal.flushed();
    expect(seen).toEqual(['batch true 5', 'sync', 'synced']);
    fs.failNextSync = true;
    wal.partition(p(1)).setHardState(hs(2, 3));
    await expect(wal.flushed()).rejects.toThrow(WalFailedError);
    expect(seen.slice(3)).toEqual(['batch true 0', 'sync', 'synced']);
  });

  it('forms one batch per event-loop turn and keeps one write in flight (group commit)', async () => {
    const fs = new FaultFileSystem({ seed: 2 });
    const wal = await openWal(fs);
    const seen: DurableBatch[] = [];
    wal.onDurable((b) => seen.push(b));
    for (let turn = 0; turn < 3; turn++) {
      for (let k = 1; k <= 50; k++) wal.partition(p(k)).append(mkEntries(k, turn + 1, 1, 1));
      await new Promise((r) => setImmediate(r));
    }
    await wal.flushed();
    expect(seen.length).toBeLessThanOrEqual(3);
    expect(fs.syncs).toBe(seen.length);
    expect(
      seen
        .flatMap((b) => b.marks)
        .filter((m) => m.partition === 7)
        .at(-1),
    ).toEqual({
      partition: 7,
      lastIndex: 3,
      lastTerm: 1,
    });
    await wal.close();
  });

  it('overwrites a conflicting suffix, also across a reopen', async () => {
    const fs = new FaultFileSystem({ seed: 3 });
    const wal = await openWal(fs);
    const log = wal.partition(p(1));
    log.append(mkEntries(1, 1, 10, 1));
    await wal.flushed();
    log.append(mkEntries(1, 6, 2, 2));
    expect(log.lastIndex()).toBe(7);
    expect(log.term(logIndex(6))).toBe(2);
    await wal.close();
    const again = await openWal(fs);
    const l2 = again.partition(p(1));
    expect(l2.lastIndex()).toBe(7);
    expect(l2.entries(logIndex(1), logIndex(8), 1e9)).toEqual([
      ...mkEntries(1, 1, 5, 1),
      ...mkEntries(1, 6, 2, 2),
    ]);
    await again.close();
  });

  it('reads evicted entries back from disk, honouring maxBytes', async () => {
    const fs = new FaultFileSystem({ seed: 4 });
    const wal = await openWal(fs, { cacheBytesPerPartition: 200 });
    const log = wal.partition(p(1));
    for (let i = 1; i <= 50; i += 5) {
      log.append(mkEntries(1, i, 5, 1, 30));
      await wal.flushed();
    }
    const all = log.entries(logIndex(1), logIndex(51), Number.MAX_SAFE_INTEGER);
    expect(all).toEqual(mkEntries(1, 1, 50, 1, 30));
    expect(log.entries(logIndex(3), logIndex(51), 65)).toHaveLength(2);
    expect(log.entries(logIndex(3), logIndex(51), 0)).toHaveLength(1);
    await wal.close();
  });

  it('implements the Storage errors', async () => {
    const wal = await openWal(new FaultFileSystem({ seed: 5 }));
    const log = wal.partition(p(1));
    expect(log.firstIndex()).toBe(1);
    expect(log.lastIndex()).toBe(0);
    expect(log.term(logIndex(0))).toBe(0);
    expect(() => log.term(logIndex(1))).toThrow(UnavailableEntriesError);
    log.append(mkEntries(1, 1, 3, 2));
    expect(() => log.entries(logIndex(1), logIndex(5), 10)).toThrow(UnavailableEntriesError);
    expect(log.snapshot().meta.index).toBe(0);
    const w = await log.createSnapshot({
      index: logIndex(2),
      term: term(2),
      conf: { voters: [], learners: [] },
    });
    await w.commit();
    log.compact(logIndex(2));
    expect(() => log.entries(logIndex(2), logIndex(3), 10)).toThrow(CompactedError);
    expect(() => log.term(logIndex(1))).toThrow(CompactedError);
    expect(log.term(logIndex(2))).toBe(2);
    expect(log.firstIndex()).toBe(3);
    // Entries at or below the compaction point are dropped, the rest appended.
    log.append(mkEntries(1, 1, 4, 2));
    expect([log.firstIndex(), log.lastIndex()]).toEqual([3, 4]);
    await wal.close();
  });

  it('rejects a record above recordBytesMax without changing the log', async () => {
    const wal = await openWal(new FaultFileSystem({ seed: 6 }), { recordBytesMax: 1000 });
    const log = wal.partition(p(1));
    expect(() => log.append(mkEntries(1, 1, 1, 1, 2000))).toThrow(RecordTooLargeError);
    expect(log.lastIndex()).toBe(0);
    await wal.close();
  });

  it('splits a queue larger than batchBytesMax into several writes', async () => {
    const fs = new FaultFileSystem({ seed: 7 });
    const wal = await openWal(fs, { batchBytesMax: 1000 });
    for (let k = 1; k <= 10; k++) wal.partition(p(k)).append(mkEntries(k, 1, 1, 1, 300));
    await wal.flushed();
    expect(fs.syncs).toBeGreaterThanOrEqual(4);
    await wal.close();
    const again = await openWal(fs);
    expect(again.partition(p(10)).lastIndex()).toBe(1);
    await again.close();
  });

  it('a failed fdatasync is fatal: waiters reject, later calls throw, nothing is reported', async () => {
    const fs = new FaultFileSystem({ seed: 8 });
    const wal = await openWal(fs);
    const log = wal.partition(p(1));
    log.append(mkEntries(1, 1, 1, 1));
    await wal.flushed();
    const reported: DurableBatch[] = [];
    wal.onDurable((b) => reported.push(b));
    fs.failNextSync = true;
    log.append(mkEntries(1, 2, 1, 1));
    await expect(wal.flushed()).rejects.toBeInstanceOf(WalFailedError);
    expect(reported).toEqual([]);
    expect(wal.failure?.cause).toMatchObject({ code: 'FSYNC_FAILED' });
    expect(() => log.append(mkEntries(1, 3, 1, 1))).toThrow(WalFailedError);
    expect(() => log.setHardState(hs(1, 1))).toThrow(WalFailedError);
    await expect(wal.flushed()).rejects.toBeInstanceOf(WalFailedError);
    await wal.close();
  });

  it('a failed write is fatal too', async () => {
    const fs = new FaultFileSystem({ seed: 9 });
    const wal = await openWal(fs);
    fs.failNextWrite = true;
    wal.partition(p(1)).append(mkEntries(1, 1, 1, 1));
    await expect(wal.flushed()).rejects.toBeInstanceOf(WalFailedError);
    await wal.close();
    // What a failed write left behind is at most a torn tail.
    const again = await openWal(fs);
    expect(again.partition(p(1)).lastIndex()).toBeLessThanOrEqual(1);
    await again.close();
  });

  it('runs without timers under a caller-driven scheduler, deterministically', async () => {
    const run = async () => {
      const fs = new FaultFileSystem({ seed: 10 });
      const queue: (() => void)[] = [];
      const settle = async () => {
        for (let i = 0; i < 20; i++) await Promise.resolve();
      };
      const wal = await openWal(fs, { defer: (fn) => queue.push(fn), segmentBytesMax: 4096 });
      for (let turn = 1; turn <= 30; turn++) {
        for (let k = 1; k <= 5; k++) wal.partition(p(k)).append(mkEntries(k, turn, 1, 1, 50));
        while (queue.length > 0) {
          queue.shift()!();
          await settle();
        }
      }
      expect(wal.queuedBytes()).toBe(0);
      return fs.paths().map((path) => [path, [...fs.content(path)]]);
    };
    const first = await run();
    expect(first.length).toBeGreaterThan(2);
    expect(await run()).toEqual(first);
  });
});
