// Corruption on disk: every flipped bit is detected; in the last batch of the last segment it is
// a torn tail (cut, the log continues); anywhere else the WAL refuses to open and names the file
// and offset. Truncated and zero-filled files are handled the same way.

import { describe, expect, it } from 'vitest';
import { logIndex, nodeId, Prng, term } from '../common/index.js';
import { CorruptLogError } from './errors.js';
import { FaultFileSystem } from './fault-fs.js';
import { decodeRecord, RecordType } from './record-codec.js';
import { encodeSegmentHeader, scanSegment } from './segment-format.js';
import { mkEntries, openWal, p } from './test-helpers.js';

const segmentBytesMax = 4096;

/** A log of 3 partitions over several segments; returns the fs and the batch count. */
async function build(seed: number): Promise<FaultFileSystem> {
  const fs = new FaultFileSystem({ seed });
  const wal = await openWal(fs, { segmentBytesMax });
  for (let i = 1; i <= 60; i++) {
    for (let k = 1; k <= 3; k++) wal.partition(p(k)).append(mkEntries(k, i, 1, 1, 40));
    await wal.flushed();
  }
  await wal.close();
  return fs;
}

function segmentPaths(fs: FaultFileSystem): string[] {
  return fs.paths().filter((x) => x.endsWith('.wal'));
}

describe('corruption', () => {
  it('detects a flipped bit anywhere: torn tail at the end, an error with file and offset elsewhere', async () => {
    const rng = new Prng(77);
    const reference = await build(1);
    const paths = segmentPaths(reference);
    expect(paths.length).toBeGreaterThanOrEqual(3);
    let torn = 0;
    let corrupt = 0;
    for (let trial = 0; trial < 80; trial++) {
      const fs = await build(1);
      const path = paths[rng.below(paths.length)]!;
      const content = fs.content(path);
      const isLast = path === paths[paths.length - 1];
      // Half the trials aim at the last batch, which the random pick rarely hits.
      const scan = scanSegment(content, Number(/(\d+)\.wal$/.exec(path)![1]), isLast);
      const lastBatch = scan.batches[scan.batches.length - 1]!;
      const at =
        isLast && trial % 2 === 0
          ? lastBatch.offset + rng.below(lastBatch.end - lastBatch.offset)
          : rng.below(content.length);
      fs.flipBit(path, at, rng.below(8));
      const batch = [...scan.batches].reverse().find((b) => b.offset <= at);
      const offset = batch ? batch.offset : 0;
      if (isLast && batch === lastBatch) {
        const wal = await openWal(fs, { segmentBytesMax });
        expect(wal.tornAt).toMatchObject({ file: path, offset });
        // The torn batch held index 60 of every partition (one batch per index).
        for (let k = 1; k <= 3; k++) expect(wal.partition(p(k)).lastIndex()).toBe(59);
        await wal.close();
        torn++;
      } else {
        const err = await openWal(fs, { segmentBytesMax }).catch((e: unknown) => e);
        expect(err, `${path}@${at}`).toBeInstanceOf(CorruptLogError);
        expect(err).toMatchObject({ file: path, offset });
        corrupt++;
      }
    }
    expect(torn).toBeGreaterThan(5);
    expect(corrupt).toBeGreaterThan(5);
  });

  it('a truncated last segment loses only its cut batch; the log is usable afterwards', async () => {
    const reference = await build(2);
    const paths = segmentPaths(reference);
    const last = paths[paths.length - 1]!;
    const full = reference.content(last);
    for (let cut = full.length - 1; cut > full.length - 300; cut -= 7) {
      const fs = await build(2);
      fs.setContent(last, full.slice(0, cut));
      const wal = await openWal(fs, { segmentBytesMax });
      const lastIndex = wal.partition(p(1)).lastIndex();
      expect(lastIndex).toBeLessThan(60);
      expect(wal.partition(p(2)).lastIndex()).toBe(lastIndex);
      wal.partition(p(1)).append(mkEntries(1, lastIndex + 1, 1, 2));
      await wal.flushed();
      await wal.close();
      const again = await openWal(fs, { segmentBytesMax });
      expect(again.tornAt).toBeUndefined();
      expect(again.partition(p(1)).term(logIndex(lastIndex + 1))).toBe(2);
      await again.close();
    }
  });

  it('a zero-filled tail is cut like a torn one', async () => {
    const fs = await build(3);
    const paths = segmentPaths(fs);
    const last = paths[paths.length - 1]!;
    const full = fs.content(last);
    const padded = new Uint8Array(full.length + 10_000);
    padded.set(full);
    fs.setContent(last, padded);
    const wal = await openWal(fs, { segmentBytesMax });
    expect(wal.tornAt).toMatchObject({ file: last, offset: full.length });
    expect(wal.partition(p(3)).lastIndex()).toBe(60);
    await wal.close();
    expect(fs.content(last).length).toBe(full.length);
  });

  it('a truncated or zeroed segment that is not the last one is corruption', async () => {
    const fs = await build(4);
    const paths = segmentPaths(fs);
    const middle = paths[1]!;
    const full = fs.content(middle);
    fs.setContent(middle, full.slice(0, full.length - 5));
    await expect(openWal(fs, { segmentBytesMax })).rejects.toMatchObject({
      code: 'CORRUPT_LOG',
      file: middle,
    });
    const zeroed = full.slice();
    zeroed.fill(0, full.length - 100);
    fs.setContent(middle, zeroed);
    await expect(openWal(fs, { segmentBytesMax })).rejects.toBeInstanceOf(CorruptLogError);
  });

  it('a last segment whose first batch never reached the disk is removed; its successor starts with a checkpoint', async () => {
    // The first write of a segment is its header, the checkpoint batch (every partition's hard
    // state and configuration) and the data. Torn after the header, nothing in it was reported
    // durable. Writing on into it would leave a segment without a checkpoint: deleting the older
    // segments would then lose the hard states only they hold.
    const fs = new FaultFileSystem({ seed: 9 });
    const first = await openWal(fs, { segmentBytesMax });
    first.partition(p(4)).setHardState({ term: term(5), vote: nodeId(2), commit: logIndex(0) });
    for (let i = 1; i <= 30; i++) {
      for (let k = 1; k <= 3; k++) first.partition(p(k)).append(mkEntries(k, i, 1, 1, 40));
      await first.flushed();
    }
    await first.close();
    const lastSeq = Math.max(...segmentPaths(fs).map((x) => Number(/(\d+)\.wal$/.exec(x)![1])));
    const cut = `/wal/${String(lastSeq + 1).padStart(10, '0')}.wal`;
    for (const content of [
      encodeSegmentHeader(lastSeq + 1),
      [...encodeSegmentHeader(lastSeq + 1), 7, 7],
    ]) {
      const h = await fs.open(cut, 'create');
      await h.write(new Uint8Array(content), 0);
      await h.datasync();
      await h.close();
      await fs.syncDir('/wal');
      const wal = await openWal(fs, { segmentBytesMax });
      expect(fs.paths()).not.toContain(cut);
      expect(wal.segmentSeqs().at(-1)).toBe(lastSeq);
      await wal.close();
    }
    const wal = await openWal(fs, { segmentBytesMax });
    for (let i = 31; wal.segmentSeqs().at(-1) === lastSeq; i++) {
      for (let k = 1; k <= 3; k++) wal.partition(p(k)).append(mkEntries(k, i, 1, 1, 40));
      await wal.flushed();
    }
    await wal.close();
    const next = fs.content(cut);
    const checkpoint = scanSegment(next, lastSeq + 1, true).batches[0]!;
    const hardStates: number[] = [];
    for (let at = checkpoint.bodyStart; at < checkpoint.end; ) {
      const r = decodeRecord(next, at, checkpoint.end);
      if (!r.ok) throw new Error(`bad record at ${at}`);
      if (r.record.type === RecordType.HardState) hardStates.push(r.record.partition);
      at = r.end;
    }
    expect(hardStates).toContain(4);
  });

  it('a cold read of an entry whose record went bad on disk throws CorruptLogError', async () => {
    const fs = new FaultFileSystem({ seed: 5 });
    const wal = await openWal(fs, { cacheBytesPerPartition: 100 });
    const log = wal.partition(p(1));
    for (let i = 1; i <= 20; i++) {
      log.append(mkEntries(1, i, 1, 1, 50));
      await wal.flushed();
    }
    const path = segmentPaths(fs)[0]!;
    // Entry 1 is long evicted: its record is the first one of the first data batch.
    const scan = scanSegment(fs.content(path), 1, true);
    fs.flipBit(path, scan.batches[1]!.bodyStart + 30, 2);
    expect(() => log.entries(logIndex(1), logIndex(2), 1e9)).toThrow(CorruptLogError);
    await wal.close();
  });
});
