// Public face of the storage layer: the node-wide write-ahead log, per-partition logs (Raft's
// Storage), snapshots, and the file-system interface with its real and fault-injecting versions.

export {
  CorruptLogError,
  CorruptSnapshotError,
  FsyncFailedError,
  RecordTooLargeError,
  StorageError,
  WalClosedError,
  WalFailedError,
} from './errors.js';
export {
  CrashedError,
  FaultFileSystem,
  type FaultOptions,
  InjectedIoError,
} from './fault-fs.js';
export type { FileHandle, FileSystem, OpenMode } from './fs.js';
export { NodeFileSystem } from './node-fs.js';
export type { WalObserver, WalOptions } from './options.js';
export { PartitionLog, PartitionSnapshotWriter } from './partition-log.js';
export type { SnapshotFile, SnapshotReader } from './snapshot-store.js';
export { type DurableBatch, type DurableMark, Wal } from './wal.js';
