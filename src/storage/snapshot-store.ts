// Per-partition snapshot files in `<dir>/snap`: `p<partition>-<index>.snap`. A snapshot is written
// to `….tmp`, fdatasync'ed, renamed and the directory fsync'ed; then older snapshots of the
// partition are deleted. Data is written and read in chunks; the checksum covers all of it.

import { assert, crc32c, type PartitionId } from '../common/index.js';
import type { Snapshot, SnapshotMeta } from '../raft/index.js';
import { CorruptSnapshotError } from './errors.js';
import { type FileHandle, type FileSystem, joinPath } from './fs.js';
import {
  decodeSnapshotHeader,
  decodeSnapshotTrailer,
  encodeSnapshotHeader,
  encodeSnapshotTrailer,
  snapshotHeaderLength,
  snapshotHeaderPrefixBytes,
  snapshotTrailerBytes,
} from './snapshot-format.js';

export interface SnapshotFile {
  readonly partition: PartitionId;
  readonly meta: SnapshotMeta;
  readonly path: string;
  readonly headerBytes: number;
  readonly dataBytes: number;
  readonly dataCrc: number;
}

const namePattern = /^p(\d+)-(\d+)\.snap$/;

function fileName(partition: PartitionId, index: number, tmp: boolean): string {
  return `p${partition}-${String(index).padStart(16, '0')}.${tmp ? 'tmp' : 'snap'}`;
}

export class SnapshotStore {
  readonly #fs: FileSystem;
  readonly dir: string;
  readonly #latest = new Map<PartitionId, SnapshotFile>();
  /** Partitions with a snapshot being written (one at a time each). */
  readonly #writing = new Set<PartitionId>();

  constructor(fs: FileSystem, walDir: string) {
    this.#fs = fs;
    this.dir = joinPath(walDir, 'snap');
  }

  /** Loads the newest snapshot of every partition (verifying it fully); removes leftovers. */
  async recover(): Promise<void> {
    await this.#fs.mkdir(this.dir);
    const byPartition = new Map<number, { index: number; name: string }[]>();
    for (const name of await this.#fs.list(this.dir)) {
      if (name.endsWith('.tmp')) {
        await this.#fs.remove(joinPath(this.dir, name));
        continue;
      }
      const m = namePattern.exec(name);
      if (!m) continue;
      const list = byPartition.get(Number(m[1])) ?? [];
      list.push({ index: Number(m[2]), name });
      byPartition.set(Number(m[1]), list);
    }
    for (const list of byPartition.values()) {
      list.sort((a, b) => b.index - a.index);
      const file = await this.#verify(joinPath(this.dir, list[0]!.name));
      this.#latest.set(file.partition, file);
      for (const old of list.slice(1)) await this.#fs.remove(joinPath(this.dir, old.name));
    }
  }

  partitions(): PartitionId[] {
    return [...this.#latest.keys()];
  }

  latest(partition: PartitionId): SnapshotFile | undefined {
    return this.#latest.get(partition);
  }

  /** Starts writing a snapshot; it replaces the latest one when committed. */
  async create(partition: PartitionId, meta: SnapshotMeta): Promise<SnapshotWriter> {
    assert(!this.#writing.has(partition), `partition ${partition}: one snapshot write at a time`);
    this.#writing.add(partition);
    try {
      const tmp = joinPath(this.dir, fileName(partition, meta.index, true));
      await this.#fs.remove(tmp);
      const handle = await this.#fs.open(tmp, 'create');
      const header = encodeSnapshotHeader(partition, meta);
      await handle.write(header, 0);
      return new SnapshotWriter(this, handle, tmp, { partition, meta, headerBytes: header.length });
    } catch (e) {
      this.#writing.delete(partition);
      throw e;
    }
  }

  /** Called by SnapshotWriter.commit() once the temporary file is durable. */
  async install(tmp: string, file: Omit<SnapshotFile, 'path'>): Promise<SnapshotFile> {
    this.#writing.delete(file.partition);
    const path = joinPath(this.dir, fileName(file.partition, file.meta.index, false));
    await this.#fs.rename(tmp, path);
    await this.#fs.syncDir(this.dir);
    const previous = this.#latest.get(file.partition);
    const installed = { ...file, path };
    this.#latest.set(file.partition, installed);
    if (previous && previous.path !== path) await this.#fs.remove(previous.path);
    return installed;
  }

  async abort(partition: PartitionId, tmp: string): Promise<void> {
    this.#writing.delete(partition);
    await this.#fs.remove(tmp);
  }

  /** Opens the latest snapshot of a partition for streaming, or undefined when there is none. */
  async open(partition: PartitionId): Promise<SnapshotReader | undefined> {
    const file = this.#latest.get(partition);
    if (!file) return undefined;
    return new SnapshotReader(file, await this.#fs.open(file.path, 'read'));
  }

  /** The whole latest snapshot, read synchronously and verified (Raft's Storage.snapshot()). */
  readSync(partition: PartitionId): Snapshot | undefined {
    const file = this.#latest.get(partition);
    if (!file) return undefined;
    const buf = this.#fs.readFileSync(file.path);
    const data = buf.subarray(file.headerBytes, file.headerBytes + file.dataBytes);
    if (
      buf.length !== file.headerBytes + file.dataBytes + snapshotTrailerBytes ||
      crc32c(data) !== file.dataCrc
    ) {
      throw new CorruptSnapshotError(`snapshot ${file.path} changed on disk`);
    }
    return { meta: file.meta, data: data.slice() };
  }

  async #verify(path: string): Promise<SnapshotFile> {
    const handle = await this.#fs.open(path, 'read');
    try {
      const size = await handle.size();
      const prefix = new Uint8Array(snapshotHeaderPrefixBytes);
      await handle.read(prefix, 0);
      const headerBytes = snapshotHeaderLength(prefix) ?? 0;
      const header = new Uint8Array(Math.min(headerBytes, size));
      await handle.read(header, 0);
      const h = decodeSnapshotHeader(header);
      const trailerBuf = new Uint8Array(snapshotTrailerBytes);
      const got = size >= snapshotTrailerBytes ? await handle.read(trailerBuf, size - 20) : 0;
      const t = got === snapshotTrailerBytes ? decodeSnapshotTrailer(trailerBuf) : undefined;
      if (!h || !t || h.length + t.dataLength + snapshotTrailerBytes !== size) {
        throw new CorruptSnapshotError(`snapshot ${path}: bad header or trailer`);
      }
      const reader = new SnapshotReader(
        { partition: h.partition, meta: h.meta, path, headerBytes, ...t, dataBytes: t.dataLength },
        handle,
      );
      for await (const _ of reader.chunks(1 << 20, false)) {
        // chunks() verifies the checksum at the end.
      }
      return reader.file;
    } finally {
      await handle.close();
    }
  }
}

export class SnapshotWriter {
  readonly #store: SnapshotStore;
  readonly #handle: FileHandle;
  readonly #tmp: string;
  readonly #file: { partition: PartitionId; meta: SnapshotMeta; headerBytes: number };
  #dataBytes = 0;
  #crc = 0;
  #done = false;

  constructor(
    store: SnapshotStore,
    handle: FileHandle,
    tmp: string,
    file: { partition: PartitionId; meta: SnapshotMeta; headerBytes: number },
  ) {
    this.#store = store;
    this.#handle = handle;
    this.#tmp = tmp;
    this.#file = file;
  }

  get meta(): SnapshotMeta {
    return this.#file.meta;
  }

  /** Appends a chunk of snapshot data. */
  async write(chunk: Uint8Array): Promise<void> {
    assert(!this.#done, 'write after commit or abort');
    await this.#handle.write(chunk, this.#file.headerBytes + this.#dataBytes);
    this.#dataBytes += chunk.length;
    this.#crc = crc32c(chunk, this.#crc);
  }

  /** Writes the trailer, makes the file durable and renames it into place. */
  async commit(): Promise<SnapshotFile> {
    assert(!this.#done, 'commit twice');
    this.#done = true;
    const trailer = encodeSnapshotTrailer(this.#dataBytes, this.#crc);
    try {
      await this.#handle.write(trailer, this.#file.headerBytes + this.#dataBytes);
      // Not durable, not installed: the caller may retry with a new writer.
      await this.#handle.datasync();
      await this.#handle.close();
    } catch (e) {
      await this.#handle.close().catch(() => undefined);
      await this.#store.abort(this.#file.partition, this.#tmp).catch(() => undefined);
      throw e;
    }
    const file = { ...this.#file, dataBytes: this.#dataBytes, dataCrc: this.#crc };
    return this.#store.install(this.#tmp, file);
  }

  async abort(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    await this.#handle.close();
    await this.#store.abort(this.#file.partition, this.#tmp);
  }
}

export class SnapshotReader {
  readonly file: SnapshotFile;
  readonly #handle: FileHandle;

  constructor(file: SnapshotFile, handle: FileHandle) {
    this.file = file;
    this.#handle = handle;
  }

  get meta(): SnapshotMeta {
    return this.file.meta;
  }

  /**
   * The data in chunks of at most `chunkBytes`. The checksum is verified when the last chunk has
   * been read: a CorruptSnapshotError at the end invalidates every chunk already consumed.
   */
  async *chunks(chunkBytes = 1 << 20, closeAtEnd = true): AsyncGenerator<Uint8Array> {
    assert(chunkBytes > 0, 'chunkBytes > 0');
    try {
      let crc = 0;
      for (let done = 0; done < this.file.dataBytes; ) {
        const buf = new Uint8Array(Math.min(chunkBytes, this.file.dataBytes - done));
        const n = await this.#handle.read(buf, this.file.headerBytes + done);
        if (n !== buf.length) throw new CorruptSnapshotError(`snapshot ${this.file.path} short`);
        crc = crc32c(buf, crc);
        done += n;
        if (done === this.file.dataBytes && crc !== this.file.dataCrc) {
          throw new CorruptSnapshotError(`snapshot ${this.file.path}: checksum mismatch`);
        }
        yield buf;
      }
      if (this.file.dataBytes === 0 && this.file.dataCrc !== 0) {
        throw new CorruptSnapshotError(`snapshot ${this.file.path}: checksum mismatch`);
      }
    } finally {
      if (closeAtEnd) await this.#handle.close();
    }
  }

  async close(): Promise<void> {
    await this.#handle.close();
  }
}
