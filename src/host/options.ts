// What a host is built from: the node's identity and placement, its storage and network, a clock,
// and every limit (explicit, with the defaults below and in docs/host.md).

import type { NodeId, Prng } from '../common/index.js';
import type { PartitionConfigInput } from '../fsm/index.js';
import type { RaftConfig } from '../raft/index.js';
import type { Wal } from '../storage/index.js';
import type { Transport } from '../transport/index.js';
import type { HostObserver } from './observer.js';
import type { Placement } from './placement.js';

/** Time and scheduling as the host sees them: real timers on a server, a scheduler in the simulator. */
export interface HostClock {
  /** Wall-clock ms since the epoch; stamps proposals. */
  now(): number;
  /** Runs `fn` every `ms` until cancelled. */
  every(ms: number, fn: () => void): { cancel(): void };
  /** Runs `fn` once, `ms` from now, unless cancelled. */
  after(ms: number, fn: () => void): { cancel(): void };
  /** Runs `fn` once the current event-loop turn's work is done (`setImmediate`, never a timer). */
  defer(fn: () => void): void;
}

export const systemClock: HostClock = {
  now: () => Date.now(),
  every(ms, fn) {
    const timer = setInterval(fn, ms);
    return { cancel: () => clearInterval(timer) };
  },
  after(ms, fn) {
    const timer = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(timer) };
  },
  defer: (fn) => setImmediate(fn),
};

/** The narrow logger the host writes to (pino behind it on a server). */
export interface HostLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const silentHostLogger: HostLogger = { info() {}, warn() {}, error() {} };

/** Raft's tunables the host passes through (everything but identity, storage and randomness). */
export type HostRaftOptions = Omit<
  Partial<RaftConfig>,
  'id' | 'storage' | 'random' | 'logger' | 'applied'
>;

export interface HostLimits {
  /** One node-wide Raft tick every this many ms. Default 100 (elections after 1–2 s). */
  readonly tickMs: number;
  /** A replica snapshots after this many applied entries since its last snapshot. Default 10,000. */
  readonly snapshotEntries: number;
  /** …or after this many bytes of applied entry data. Default 64 MiB. */
  readonly snapshotBytes: number;
  /** Proposals waiting per partition on its leader; beyond, UNAVAILABLE. Default 10,000. */
  readonly pendingProposalsMax: number;
  /** Bytes queued for the next WAL batch above which proposals are refused. Default 64 MiB. */
  readonly walQueuedBytesMax: number;
  /** Snapshot chunks leave this node at most this fast. Default 32 MiB/s. */
  readonly snapshotSendBytesPerSecond: number;
  /** Snapshot chunks waiting for the rate limit; beyond, dropped (Raft resends). Default 256 MiB. */
  readonly snapshotSendQueueBytesMax: number;
  /** How often (in ticks) the host asks the WAL which partitions pin old segments. Default 10. */
  readonly pinnedCheckTicks: number;
  /**
   * A leader with no traffic for this many ticks tries to quiesce its partition (stop heartbeats
   * and ticks on every replica until traffic returns). Default 20.
   */
  readonly quiesceAfterTicks: number;
}

export const hostLimitsDefault: HostLimits = {
  tickMs: 100,
  snapshotEntries: 10_000,
  snapshotBytes: 64 * 1024 * 1024,
  pendingProposalsMax: 10_000,
  walQueuedBytesMax: 64 * 1024 * 1024,
  snapshotSendBytesPerSecond: 32 * 1024 * 1024,
  snapshotSendQueueBytesMax: 256 * 1024 * 1024,
  pinnedCheckTicks: 10,
  quiesceAfterTicks: 20,
};

export interface HostOptions {
  readonly nodeId: NodeId;
  /** Replicas of every partition of the cluster; the host runs the ones that include nodeId. */
  readonly placement: Placement;
  readonly wal: Wal;
  readonly transport: Transport;
  readonly clock: HostClock;
  readonly random: Prng;
  readonly fsm: PartitionConfigInput;
  readonly raft?: HostRaftOptions;
  readonly limits?: Partial<HostLimits>;
  readonly logger?: HostLogger;
  /** Called once if the host stops itself after a fatal storage error (the node must exit). */
  readonly onFatal?: (error: Error) => void;
  /** Called at the end of every ready-loop turn (the simulator checks invariants there). */
  readonly onTurn?: () => void;
  /** Told of proposals, reads, applies and snapshots (the server's metrics). */
  readonly observer?: HostObserver;
}

export function resolveLimits(limits: Partial<HostLimits> | undefined): HostLimits {
  const r = { ...hostLimitsDefault, ...limits };
  for (const [key, value] of Object.entries(r)) {
    if (!(Number.isFinite(value) && value > 0)) {
      throw new RangeError(`host limit ${key} must be a positive number, got ${value}`);
    }
  }
  return r;
}
