// Real-disk tests in a temporary directory: write, close, reopen, compare; and a child process
// killed with SIGKILL while writing, whose durable reports must all survive.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { logIndex, nodeId, term } from '../common/index.js';
import { NodeFileSystem } from './node-fs.js';
import { mkEntries, p } from './test-helpers.js';
import { Wal } from './wal.js';

const root = mkdtempSync(join(tmpdir(), 'multiraft-storage-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const repo = new URL('../..', import.meta.url).pathname;

describe('real disk', () => {
  it('writes, closes, reopens and reads the same log and snapshot', async () => {
    const dir = join(root, 'basic');
    const wal = await Wal.open({ fs: new NodeFileSystem(), dir, segmentBytesMax: 16 * 1024 });
    for (let i = 1; i <= 40; i++) {
      for (let k = 1; k <= 4; k++) wal.partition(p(k)).append(mkEntries(k, i, 1, 1, 200));
      await wal.flushed();
    }
    const log = wal.partition(p(2));
    log.setHardState({ term: term(1), vote: nodeId(2), commit: logIndex(40) });
    const w = await log.createSnapshot({
      index: logIndex(30),
      term: term(1),
      conf: { voters: [nodeId(2)], learners: [] },
    });
    await w.write(new Uint8Array([1, 2, 3]));
    await w.commit();
    await wal.close();
    const again = await Wal.open({ fs: new NodeFileSystem(), dir, segmentBytesMax: 16 * 1024 });
    for (let k = 1; k <= 4; k++) {
      const l = again.partition(p(k));
      expect(l.entries(l.firstIndex(), logIndex(41), 1e9)).toEqual(
        mkEntries(k, l.firstIndex(), 41 - l.firstIndex(), 1, 200),
      );
    }
    expect(again.partition(p(2)).snapshot().data).toEqual(new Uint8Array([1, 2, 3]));
    expect(again.partition(p(2)).initialState().hardState.commit).toBe(40);
    await again.close();
  });

  it('keeps everything a SIGKILLed writer reported durable', async () => {
    const dir = join(root, 'killed');
    for (let round = 0; round < 2; round++) {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'src/storage/testdata/writer.ts', dir],
        {
          cwd: repo,
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      const durable = new Map<number, number>();
      let lines = 0;
      let buffered = '';
      await new Promise<void>((resolve, reject) => {
        child.on('error', reject);
        child.on('exit', (code) => reject(new Error(`writer exited early: ${code}`)));
        child.stdout.on('data', (chunk: Buffer) => {
          buffered += chunk.toString();
          const parts = buffered.split('\n');
          buffered = parts.pop()!;
          for (const line of parts) {
            const m = /^durable (\d+) (\d+)$/.exec(line);
            if (!m) continue;
            durable.set(Number(m[1]), Math.max(durable.get(Number(m[1])) ?? 0, Number(m[2])));
            if (++lines === 500) {
              child.kill('SIGKILL');
              resolve();
            }
          }
        });
      });
      await new Promise((r) => child.once('exit', r));
      const wal = await Wal.open({ fs: new NodeFileSystem(), dir });
      for (const [k, last] of durable) {
        const log = wal.partition(p(k));
        expect(log.lastIndex()).toBeGreaterThanOrEqual(last);
        const from = Math.max(log.firstIndex(), last - 50);
        const got = log.entries(logIndex(from), logIndex(last + 1), 1e9);
        const want = [];
        for (let i = from; i <= last; i++) want.push(...mkEntries(k, i, 1, 1, 100 + (i % 300)));
        expect(got).toEqual(want);
      }
      await wal.close();
    }
  });
});
