import { describe, expect, it } from 'vitest';
import { CrashedError, FaultFileSystem, InjectedIoError } from './fault-fs.js';

const bytes = (...xs: number[]) => new Uint8Array(xs);

/** `/d/a` holding `content`, its data and its directory entry synced; returns its handle. */
async function syncedFile(fs: FaultFileSystem, content: Uint8Array) {
  await fs.mkdir('/d');
  const h = await fs.open('/d/a', 'create');
  await h.write(content, 0);
  await h.datasync();
  await fs.syncDir('/d');
  return h;
}

describe('FaultFileSystem', () => {
  it('keeps synced data and directory entries across a crash', async () => {
    const fs = new FaultFileSystem({ seed: 1 });
    const h = await syncedFile(fs, bytes(1, 2, 3));
    const after = fs.crash();
    expect(after.content('/d/a')).toEqual(bytes(1, 2, 3));
    await expect(h.write(bytes(4), 3)).rejects.toBeInstanceOf(CrashedError);
  });

  it('a file whose directory entry was not synced disappears; a rename not synced is undone', async () => {
    const fs = new FaultFileSystem({ seed: 2 });
    await syncedFile(fs, bytes(1));
    await fs.rename('/d/a', '/d/b');
    const h2 = await fs.open('/d/c', 'create');
    await h2.datasync();
    const after = fs.crash();
    expect(after.paths()).toEqual(['/d/a']);
  });

  it('unsynced writes are lost, kept or torn at a byte, over many seeds', async () => {
    const outcomes = new Set<string>();
    for (let seed = 0; seed < 200; seed++) {
      const fs = new FaultFileSystem({ seed });
      const h = await syncedFile(fs, bytes(1, 1, 1, 1));
      await h.write(bytes(2, 2, 2, 2, 2, 2, 2, 2), 4);
      const c = fs.crash().content('/d/a');
      expect(c.subarray(0, 4)).toEqual(bytes(1, 1, 1, 1));
      const tail = [...c.subarray(4)];
      // Whatever survived is a prefix of the write, possibly followed by zeros.
      const twos = tail.findIndex((x) => x !== 2);
      expect(tail.slice(twos < 0 ? tail.length : twos).every((x) => x === 0)).toBe(true);
      outcomes.add(tail.length === 0 ? 'lost' : tail.length === 8 && twos < 0 ? 'kept' : 'torn');
      if (tail.includes(0)) outcomes.add('zero-filled');
    }
    expect([...outcomes].sort()).toEqual(['kept', 'lost', 'torn', 'zero-filled']);
  });

  it('an unsynced truncation is lost or kept whole: it never changes the data below the cut', async () => {
    const outcomes = new Set<number>();
    for (let seed = 0; seed < 100; seed++) {
      const fs = new FaultFileSystem({ seed });
      const h = await syncedFile(fs, new Uint8Array(12).fill(5));
      await h.truncate(4);
      const c = fs.crash().content('/d/a');
      expect(c.every((x) => x === 5)).toBe(true);
      outcomes.add(c.length);
    }
    expect([...outcomes].sort((a, b) => a - b)).toEqual([4, 12]);
  });

  it('injects failing writes and fdatasyncs, and crashes after a countdown of operations', async () => {
    const fs = new FaultFileSystem({ seed: 3 });
    await fs.mkdir('/d');
    const h = await fs.open('/d/a', 'create');
    fs.failNextWrite = true;
    await expect(h.write(bytes(1), 0)).rejects.toBeInstanceOf(InjectedIoError);
    fs.failNextSync = true;
    await expect(h.datasync()).rejects.toBeInstanceOf(InjectedIoError);
    await h.datasync();
    fs.crashAfterOps = 2;
    await h.write(bytes(1), 0);
    await expect(h.datasync()).rejects.toBeInstanceOf(CrashedError);
    expect(fs.dead).toBe(true);
    await expect(fs.open('/d/b', 'create')).rejects.toBeInstanceOf(CrashedError);
  });

  it('is deterministic for a seed', async () => {
    const run = async () => {
      const fs = new FaultFileSystem({ seed: 9 });
      await fs.mkdir('/d');
      const h = await fs.open('/d/a', 'create');
      await fs.syncDir('/d');
      for (let i = 0; i < 20; i++) await h.write(new Uint8Array(10).fill(i), i * 10);
      return fs.crash().content('/d/a');
    };
    expect(await run()).toEqual(await run());
  });
});
