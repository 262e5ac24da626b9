// The file-system interface the WAL and the snapshot store use. Two implementations: NodeFileSystem
// (node:fs) and FaultFileSystem (in memory, injects lost writes, torn writes, bit flips and failed
// writes or syncs). Paths are '/'-separated strings.

export interface FileHandle {
  /** Writes all of `data` at `position`. */
  write(data: Uint8Array, position: number): Promise<void>;
  /** Reads into `buf` from `position`; returns the bytes read (fewer at end of file). */
  read(buf: Uint8Array, position: number): Promise<number>;
  /**
   * Synchronous positional read: only for the cold path (entries of lagging followers read back
   * from disk inside Raft's synchronous Storage calls).
   */
  readSync(buf: Uint8Array, position: number): number;
  /** fdatasync: the written data is durable when this resolves. */
  datasync(): Promise<void>;
  size(): Promise<number>;
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

export type OpenMode =
  /** Create a new file (fails when it exists), read and write. */
  | 'create'
  /** Open an existing file for reading and writing. */
  | 'readwrite'
  /** Open an existing file for reading. */
  | 'read';

export interface FileSystem {
  open(path: string, mode: OpenMode): Promise<FileHandle>;
  /** Names (not paths) in the directory, unsorted; [] when it does not exist. */
  list(dir: string): Promise<string[]>;
  mkdir(dir: string): Promise<void>;
  remove(path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** fsync of the directory: creations, renames and removals in it become durable. */
  syncDir(dir: string): Promise<void>;
  /** Synchronous whole-file read: only for the cold path (Storage.snapshot()). */
  readFileSync(path: string): Uint8Array;
}

export function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

/** Reads a whole file. */
export async function readAll(handle: FileHandle): Promise<Uint8Array> {
  const size = await handle.size();
  const buf = new Uint8Array(size);
  let done = 0;
  while (done < size) {
    const n = await handle.read(buf.subarray(done), done);
    if (n === 0) break;
    done += n;
  }
  return done === size ? buf : buf.subarray(0, done);
}
