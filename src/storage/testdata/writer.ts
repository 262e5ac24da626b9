// A child process for the SIGKILL test: appends to 8 partitions in a closed loop on the real disk
// and prints "durable <partition> <lastIndex>" only after the WAL reported the batch durable.
// Usage: node --import tsx src/storage/testdata/writer.ts <dir>

import { NodeFileSystem } from '../node-fs.js';
import { mkEntries, p } from '../test-helpers.js';
import { Wal } from '../wal.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: writer.ts <dir>');
const wal = await Wal.open({ fs: new NodeFileSystem(), dir, segmentBytesMax: 256 * 1024 });
wal.onDurable((batch) => {
  const lines = batch.marks.map((m) => `durable ${m.partition} ${m.lastIndex}\n`).join('');
  process.stdout.write(lines);
});

async function partitionLoop(k: number): Promise<void> {
  const log = wal.partition(p(k));
  for (let i = log.lastIndex() + 1; ; i++) {
    log.append(mkEntries(k, i, 1, 1, 100 + (i % 300)));
    await wal.flushed();
  }
}

process.stdout.write('ready\n');
await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map(partitionLoop));
