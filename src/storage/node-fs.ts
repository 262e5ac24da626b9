// The real file system on node:fs. fdatasync and large writes run on libuv's thread pool through
// the callback API (cheaper than fs/promises' FileHandle). A small write (up to syncWriteBytesMax)
// is done synchronously: it is a copy into the page cache taking microseconds, and it saves one
// thread-pool round trip per batch, which is most of the group-commit latency besides fdatasync.
// readSync is the synchronous cold read.

import * as fs from 'node:fs';
import { dirname } from 'node:path';
import type { FileHandle, FileSystem, OpenMode } from './fs.js';

function call<T>(fn: (cb: (err: NodeJS.ErrnoException | null, value: T) => void) => void) {
  return new Promise<T>((resolve, reject) => {
    fn((err, value) => (err ? reject(err) : resolve(value)));
  });
}

const syncWriteBytesMax = 256 * 1024;

class NodeFileHandle implements FileHandle {
  readonly #fd: number;
  constructor(fd: number) {
    this.#fd = fd;
  }

  async write(data: Uint8Array, position: number): Promise<void> {
    let done = 0;
    if (data.length <= syncWriteBytesMax) {
      while (done < data.length) {
        done += fs.writeSync(this.#fd, data, done, data.length - done, position + done);
      }
      return;
    }
    while (done < data.length) {
      const n = await call<number>((cb) =>
        fs.write(this.#fd, data, done, data.length - done, position + done, cb),
      );
      done += n;
    }
  }

  read(buf: Uint8Array, position: number): Promise<number> {
    return call<number>((cb) => fs.read(this.#fd, buf, 0, buf.length, position, cb));
  }

  readSync(buf: Uint8Array, position: number): number {
    let done = 0;
    while (done < buf.length) {
      const n = fs.readSync(this.#fd, buf, done, buf.length - done, position + done);
      if (n === 0) break;
      done += n;
    }
    return done;
  }

  datasync(): Promise<void> {
    return call<void>((cb) => fs.fdatasync(this.#fd, (err) => cb(err, undefined)));
  }

  async size(): Promise<number> {
    return (await call<fs.Stats>((cb) => fs.fstat(this.#fd, cb))).size;
  }

  truncate(length: number): Promise<void> {
    return call<void>((cb) => fs.ftruncate(this.#fd, length, (err) => cb(err, undefined)));
  }

  close(): Promise<void> {
    return call<void>((cb) => fs.close(this.#fd, (err) => cb(err, undefined)));
  }
}

const flags: Record<OpenMode, string> = { create: 'wx+', readwrite: 'r+', read: 'r' };

export class NodeFileSystem implements FileSystem {
  async open(path: string, mode: OpenMode): Promise<FileHandle> {
    const fd = await call<number>((cb) => fs.open(path, flags[mode], 0o644, cb));
    return new NodeFileHandle(fd);
  }

  async list(dir: string): Promise<string[]> {
    try {
      return await fs.promises.readdir(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }

  /** Creates the directory (and parents) and makes its entry durable in its parent. */
  async mkdir(dir: string): Promise<void> {
    const created = await fs.promises.mkdir(dir, { recursive: true });
    if (created === undefined) return;
    // Every directory created, and the parent of the first one.
    for (let p = dir; ; p = dirname(p)) {
      await this.syncDir(p);
      if (p === dirname(created) || p === dirname(p)) break;
    }
  }

  remove(path: string): Promise<void> {
    return fs.promises.rm(path, { force: true });
  }

  rename(from: string, to: string): Promise<void> {
    return fs.promises.rename(from, to);
  }

  readFileSync(path: string): Uint8Array {
    const buf = fs.readFileSync(path);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
  }

  async syncDir(dir: string): Promise<void> {
    const fd = await call<number>((cb) => fs.open(dir, 'r', cb));
    try {
      await call<void>((cb) => fs.fsync(fd, (err) => cb(err, undefined)));
    } finally {
      await call<void>((cb) => fs.close(fd, (err) => cb(err, undefined)));
    }
  }
}
