// Operating errors of the storage layer. Each has a `code` and may carry a `cause`. Assertion
// failures (src/common) are bugs and are never converted into these.

export class StorageError extends Error {
  override readonly name: string = 'StorageError';
  readonly code: string = 'STORAGE';
}

/** A bad record or batch that is not a torn tail: the node must be replaced (docs/storage.md). */
export class CorruptLogError extends StorageError {
  override readonly name = 'CorruptLogError';
  override readonly code = 'CORRUPT_LOG';
  constructor(
    readonly file: string,
    readonly offset: number,
    why: string,
    options?: ErrorOptions,
  ) {
    super(`corrupt write-ahead log: ${file} at offset ${offset}: ${why}`, options);
  }
}

/** fdatasync (or a write) failed: fatal, nothing after it may be reported durable. */
export class FsyncFailedError extends StorageError {
  override readonly name = 'FsyncFailedError';
  override readonly code = 'FSYNC_FAILED';
}

/** The WAL stopped after a fatal error (`cause`) and rejects every call. */
export class WalFailedError extends StorageError {
  override readonly name = 'WalFailedError';
  override readonly code = 'WAL_FAILED';
}

/** The WAL was closed. */
export class WalClosedError extends StorageError {
  override readonly name = 'WalClosedError';
  override readonly code = 'WAL_CLOSED';
}

/** A snapshot file failed its checksum or has a bad header. */
export class CorruptSnapshotError extends StorageError {
  override readonly name = 'CorruptSnapshotError';
  override readonly code = 'CORRUPT_SNAPSHOT';
}

/** A record larger than the configured limit. Nothing was written. */
export class RecordTooLargeError extends StorageError {
  override readonly name = 'RecordTooLargeError';
  override readonly code = 'RECORD_TOO_LARGE';
}
