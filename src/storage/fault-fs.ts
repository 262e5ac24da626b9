// An in-memory file system that injects the faults a real disk and kernel can produce:
//   - crash(): what was not fdatasync'ed is lost, kept, or torn at a random byte (optionally with
//     the missing part zero-filled, as when the size reached disk before the data); an unsynced
//     truncation is lost or kept whole (it changes the size, never the data below it); directory
//     changes (create, rename, remove) not followed by syncDir are undone;
//   - flipBit(): silent corruption of stored bytes;
//   - failing writes and fdatasyncs (EIO), on demand or at a seeded rate.
// Deterministic: every random choice comes from the seed. Every method completes at once (its
// promise is already settled), so a simulator can drive it without real time.

import { assert, Prng } from '../common/index.js';
import type { FileHandle, FileSystem, OpenMode } from './fs.js';

/** Thrown by every call once the process using the file system has crashed. */
export class CrashedError extends Error {
  override readonly name = 'CrashedError';
  readonly code = 'CRASHED';
}

export class InjectedIoError extends Error {
  override readonly name = 'InjectedIoError';
  readonly code = 'EIO';
}

type UnsyncedOp = { position: number; data: Uint8Array } | { truncate: number };

class Inode {
  data: Uint8Array = new Uint8Array(0);
  size = 0;
  durable: Uint8Array = new Uint8Array(0);
  /** Writes and truncations since the last successful datasync, in order. */
  unsynced: UnsyncedOp[] = [];

  write(data: Uint8Array, position: number): void {
    const end = position + data.length;
    if (end > this.data.length) {
      const next = new Uint8Array(Math.max(end, this.data.length * 2));
      next.set(this.data.subarray(0, this.size));
      this.data = next;
    }
    if (position > this.size) this.data.fill(0, this.size, position);
    this.data.set(data, position);
    this.size = Math.max(this.size, end);
  }

  truncate(length: number): void {
    if (length > this.size) this.write(new Uint8Array(length - this.size), this.size);
    this.size = length;
  }

  content(): Uint8Array {
    return this.data.slice(0, this.size);
  }
}

export interface FaultOptions {
  seed: number;
  /** Probability that a write fails with EIO (part of it may have reached the file). */
  writeFailRate?: number;
  /** Probability that an fdatasync fails with EIO. */
  syncFailRate?: number;
  /**
   * Delays the completion of every fdatasync (e.g. by a macrotask), so that callers keep working
   * while a sync is in flight, as on a real disk. Default: complete at once.
   */
  syncDelay?: (done: () => void) => void;
}

export class FaultFileSystem implements FileSystem {
  readonly rng: Prng;
  #files = new Map<string, Inode>();
  #durableFiles = new Map<string, Inode>();
  #dirs = new Set<string>(['/']);
  #dead = false;
  #opts: FaultOptions;
  /** Counts down on every write, sync, create, rename and remove; at 0 the process crashes. */
  crashAfterOps: number | undefined;
  /** Counts down on every write only; at 0 the process crashes right after that write. */
  crashAfterWrites: number | undefined;
  /** Set to fail the next write or datasync (then cleared). */
  failNextWrite = false;
  failNextSync = false;
  /** Counters, for tests that assert work happened. */
  writes = 0;
  syncs = 0;

  constructor(opts: FaultOptions, rng?: Prng) {
    this.#opts = opts;
    this.rng = rng ?? new Prng(opts.seed);
  }

  async open(path: string, mode: OpenMode): Promise<FileHandle> {
    let inode = this.#files.get(path);
    if (mode === 'create') {
      this.step();
      if (inode) throw Object.assign(new Error(`EEXIST: ${path}`), { code: 'EEXIST' });
      this.#checkDir(path);
      inode = new Inode();
      this.#files.set(path, inode);
      this.afterStep();
    } else if (this.#dead) {
      throw new CrashedError('file system of a crashed process');
    }
    if (!inode) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return new FaultHandle(this, inode, mode !== 'read');
  }

  async list(dir: string): Promise<string[]> {
    if (this.#dead) throw new CrashedError('file system of a crashed process');
    const prefix = dir.endsWith('/') ? dir : `${dir}/`;
    const names: string[] = [];
    for (const p of this.#files.keys()) {
      if (p.startsWith(prefix) && !p.slice(prefix.length).includes('/')) {
        names.push(p.slice(prefix.length));
      }
    }
    return names;
  }

  /** Directories are durable at once (the WAL creates them before anything else). */
  async mkdir(dir: string): Promise<void> {
    if (this.#dead) throw new CrashedError('file system of a crashed process');
    let acc = '';
    for (const part of dir.split('/').filter((s) => s !== '')) {
      acc += `/${part}`;
      this.#dirs.add(acc);
    }
  }

  async remove(path: string): Promise<void> {
    this.step();
    this.#files.delete(path);
    this.afterStep();
  }

  async rename(from: string, to: string): Promise<void> {
    const inode = this.#files.get(from);
    this.step();
    if (!inode) throw Object.assign(new Error(`ENOENT: ${from}`), { code: 'ENOENT' });
    this.#checkDir(to);
    this.#files.delete(from);
    this.#files.set(to, inode);
    this.afterStep();
  }

  async syncDir(dir: string): Promise<void> {
    const prefix = dir.endsWith('/') ? dir : `${dir}/`;
    const inDir = (p: string) => p.startsWith(prefix) && !p.slice(prefix.length).includes('/');
    this.step();
    for (const p of [...this.#durableFiles.keys()]) if (inDir(p)) this.#durableFiles.delete(p);
    for (const [p, inode] of this.#files) if (inDir(p)) this.#durableFiles.set(p, inode);
    this.afterStep();
  }

  #checkDir(path: string): void {
    const dir = path.slice(0, path.lastIndexOf('/')) || '/';
    if (!this.#dirs.has(dir)) throw Object.assign(new Error(`ENOENT: ${dir}`), { code: 'ENOENT' });
  }

  readFileSync(path: string): Uint8Array {
    const inode = this.#files.get(path);
    if (!inode) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return inode.content();
  }

  /** Called by handles before an fdatasync takes effect. */
  syncDelay(): Promise<void> | undefined {
    const delay = this.#opts.syncDelay;
    return delay ? new Promise((resolve) => delay(() => resolve())) : undefined;
  }

  /** Called by handles. */
  maybeFailWrite(inode: Inode, data: Uint8Array, position: number): void {
    this.writes++;
    const fail = this.failNextWrite || this.rng.float() < (this.#opts.writeFailRate ?? 0);
    if (!fail) return;
    this.failNextWrite = false;
    // A failed write may still have put a prefix of its bytes into the page cache.
    inode.write(data.subarray(0, this.rng.below(data.length + 1)), position);
    throw new InjectedIoError('injected write failure');
  }

  maybeFailSync(): void {
    this.syncs++;
    const fail = this.failNextSync || this.rng.float() < (this.#opts.syncFailRate ?? 0);
    if (!fail) return;
    this.failNextSync = false;
    throw new InjectedIoError('injected fdatasync failure');
  }

  /** True once the "process" using this file system has crashed: every call throws. */
  get dead(): boolean {
    return this.#dead;
  }

  /** Called by handles and by the directory operations: counts toward `crashAfterOps`. */
  step(): void {
    if (this.#dead) throw new CrashedError('file system of a crashed process');
    if (this.crashAfterOps === undefined) return;
    this.crashAfterOps--;
  }

  afterWrite(): void {
    if (this.crashAfterWrites === undefined) return;
    if (--this.crashAfterWrites <= 0) {
      this.#dead = true;
      throw new CrashedError('crash injected after a write');
    }
  }

  /** After an operation has taken effect: crash now when the countdown reached zero. */
  afterStep(): void {
    if (this.crashAfterOps !== undefined && this.crashAfterOps <= 0) {
      this.#dead = true;
      throw new CrashedError('crash injected');
    }
  }

  /**
   * A power loss. Returns the file system the next process sees: each file keeps its synced
   * content plus a random prefix of its unsynced writes, the next of which may be torn at any byte
   * (and zero-filled past the tear); directory changes since the last syncDir are undone. This
   * instance is dead afterwards.
   */
  crash(): FaultFileSystem {
    this.#dead = true;
    const next = new FaultFileSystem(this.#opts, this.rng);
    next.#dirs = new Set(this.#dirs);
    const survivors = new Map<Inode, Inode>();
    for (const [path, inode] of this.#durableFiles) {
      let copy = survivors.get(inode);
      if (!copy) {
        copy = this.#afterPowerLoss(inode);
        survivors.set(inode, copy);
      }
      next.#files.set(path, copy);
      next.#durableFiles.set(path, copy);
    }
    return next;
  }

  #afterPowerLoss(inode: Inode): Inode {
    const out = new Inode();
    out.write(inode.durable, 0);
    const ops = inode.unsynced;
    const keep = this.rng.below(ops.length + 1);
    for (let i = 0; i < keep; i++) {
      const op = ops[i]!;
      if ('truncate' in op) out.truncate(op.truncate);
      else out.write(op.data, op.position);
    }
    const torn = ops[keep];
    // The next one is torn, or lost (a truncation is not torn: the size changes or it does not).
    if (torn && !('truncate' in torn) && this.rng.float() < 0.75) {
      const cut = this.rng.below(torn.data.length + 1);
      const zeroFill = this.rng.float() < 0.3;
      const part = torn.data.slice(0, zeroFill ? torn.data.length : cut);
      if (zeroFill) part.fill(0, cut);
      out.write(part, torn.position);
    }
    out.durable = out.content();
    return out;
  }

  /** Flips one bit of a stored file, in memory and on "disk". */
  flipBit(path: string, byteOffset: number, bit: number): void {
    const inode = this.#files.get(path);
    assert(inode !== undefined && byteOffset < inode.size, `flipBit: ${path}@${byteOffset}`);
    inode.data[byteOffset]! ^= 1 << bit;
    if (byteOffset < inode.durable.length) inode.durable[byteOffset]! ^= 1 << bit;
  }

  /** The current bytes of a file (tests). */
  content(path: string): Uint8Array {
    const inode = this.#files.get(path);
    assert(inode !== undefined, `no file ${path}`);
    return inode.content();
  }

  /** Replaces a file's content, durably (tests: truncation, zero-filled tails). */
  setContent(path: string, data: Uint8Array): void {
    const inode = this.#files.get(path);
    assert(inode !== undefined, `no file ${path}`);
    inode.size = 0;
    inode.write(data, 0);
    inode.durable = inode.content();
    inode.unsynced = [];
  }

  paths(): string[] {
    return [...this.#files.keys()].sort();
  }
}

class FaultHandle implements FileHandle {
  readonly #fs: FaultFileSystem;
  readonly #inode: Inode;
  readonly #writable: boolean;
  #closed = false;

  constructor(fs: FaultFileSystem, inode: Inode, writable: boolean) {
    this.#fs = fs;
    this.#inode = inode;
    this.#writable = writable;
  }

  #check(): void {
    if (this.#closed) throw new Error('EBADF: handle closed');
    if (this.#fs.dead) throw new CrashedError('file system of a crashed process');
  }

  async write(data: Uint8Array, position: number): Promise<void> {
    this.#check();
    assert(this.#writable, 'write on a read-only handle');
    this.#fs.step();
    this.#fs.maybeFailWrite(this.#inode, data, position);
    this.#inode.write(data, position);
    this.#inode.unsynced.push({ position, data: data.slice() });
    this.#fs.afterWrite();
    this.#fs.afterStep();
  }

  async read(buf: Uint8Array, position: number): Promise<number> {
    return this.readSync(buf, position);
  }

  readSync(buf: Uint8Array, position: number): number {
    this.#check();
    const n = Math.max(0, Math.min(buf.length, this.#inode.size - position));
    buf.set(this.#inode.data.subarray(position, position + n));
    return n;
  }

  async datasync(): Promise<void> {
    this.#check();
    await this.#fs.syncDelay();
    this.#check();
    this.#fs.step();
    this.#fs.maybeFailSync();
    this.#inode.durable = this.#inode.content();
    this.#inode.unsynced = [];
    this.#fs.afterStep();
  }

  async size(): Promise<number> {
    this.#check();
    return this.#inode.size;
  }

  async truncate(length: number): Promise<void> {
    this.#check();
    this.#fs.step();
    this.#inode.truncate(length);
    this.#inode.unsynced.push({ truncate: length });
    this.#fs.afterStep();
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}
