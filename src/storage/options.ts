// Limits of the storage layer, all explicit and configurable.

import type { FileSystem } from './fs.js';

export interface WalOptions {
  fs: FileSystem;
  /** Directory of the node's log (segments) and snapshots (`<dir>/snap`). */
  dir: string;
  /** A segment is closed and a new one started once it would grow past this. Default 64 MiB. */
  segmentBytesMax?: number;
  /** A batch (one write + fdatasync) holds at most this many bytes of records. Default 8 MiB. */
  batchBytesMax?: number;
  /** Largest record (one append call, encoded). Default 16 MiB; must fit in a segment. */
  recordBytesMax?: number;
  /** Bytes of recent entries kept in memory per partition (older ones are read from disk). */
  cacheBytesPerPartition?: number;
  /** After a local snapshot at index S, entries up to S - catchUpMarginEntries are released. */
  catchUpMarginEntries?: number;
  /** A partition whose oldest held entry is this many segments old is asked to snapshot. */
  pinnedSegmentsMax?: number;
  /** Schedules the end of the event-loop turn: `setImmediate` (a simulator passes its own). */
  defer?: (fn: () => void) => void;
  /** Told of every batch written (the server's metrics); none by default. */
  observer?: WalObserver;
}

/** What the WAL reports for metrics; timings through callbacks, so the WAL reads no clock. */
export interface WalObserver {
  /** A batch of `bytes` encoded bytes holding `entries` log entries is written. */
  batch(bytes: number, entries: number): void;
  /** An fdatasync starts; the returned function runs when it has finished (or failed). */
  sync(): () => void;
}

export type ResolvedWalOptions = Required<Omit<WalOptions, 'observer'>> &
  Pick<WalOptions, 'observer'>;

const MiB = 1024 * 1024;

export function resolveOptions(o: WalOptions): ResolvedWalOptions {
  const segmentBytesMax = o.segmentBytesMax ?? 64 * MiB;
  const r: ResolvedWalOptions = {
    fs: o.fs,
    dir: o.dir,
    segmentBytesMax,
    batchBytesMax: o.batchBytesMax ?? 8 * MiB,
    recordBytesMax: o.recordBytesMax ?? Math.min(16 * MiB, Math.floor(segmentBytesMax / 2)),
    cacheBytesPerPartition: o.cacheBytesPerPartition ?? 1 * MiB,
    catchUpMarginEntries: o.catchUpMarginEntries ?? 1000,
    pinnedSegmentsMax: o.pinnedSegmentsMax ?? 4,
    defer: o.defer ?? ((fn) => setImmediate(fn)),
    observer: o.observer,
  };
  if (r.segmentBytesMax < 4096 || r.segmentBytesMax >= 2 ** 32) {
    throw new RangeError(`segmentBytesMax out of range: ${r.segmentBytesMax}`);
  }
  if (r.recordBytesMax > r.segmentBytesMax - 64) {
    throw new RangeError('recordBytesMax must fit in a segment');
  }
  if (r.catchUpMarginEntries < 0 || r.pinnedSegmentsMax < 1 || r.batchBytesMax < 1) {
    throw new RangeError('catchUpMarginEntries >= 0, pinnedSegmentsMax >= 1, batchBytesMax >= 1');
  }
  return r;
}
