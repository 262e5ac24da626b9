// What a workload needs from a system under test, so the same workload code drives multiraft and
// etcd: writes, linearizable reads, compare-and-set with retry, and change notification. Each
// system is one client object in this process; N clients mean N operations in flight on it.

import type { ProcessSet } from './process-usage.js';

/** Change notifications of one key to several subscribers. */
export interface Subscription {
  cancel(): void;
}

export interface BenchSystem {
  readonly name: SystemName;
  /** The server processes (for CPU per operation); the benchmark process is added by the runner. */
  readonly processes: ProcessSet;
  write(key: string, value: Uint8Array): Promise<void>;
  /** A linearizable read of `key`. */
  read(key: string): Promise<void>;
  /**
   * A compare-and-set worker: each call replaces the value of `key` on the version the worker last
   * saw, retrying with the current version a conflict reports, and resolves once one succeeded
   * with the number of conflicts on the way.
   */
  casWorker(): (key: string, value: Uint8Array) => Promise<number>;
  /** `count` subscribers of `key`; resolves once every later change will be seen. */
  subscribe(
    key: string,
    count: number,
    onChange: (subscriber: number, value: Uint8Array) => void,
  ): Promise<Subscription>;
  /** What went wrong with the server processes: one entry per process that exited, with its log. */
  failures(): string[];
  close(): Promise<void>;
}

export const systemNames = ['multiraft', 'etcd'] as const;
export type SystemName = (typeof systemNames)[number];
