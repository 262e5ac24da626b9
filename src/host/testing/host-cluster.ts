// Hosts of a cluster in one process for tests: each node has its WAL on its own fault-injecting
// file system and talks over a loopback network; real timers with a short tick. A node can be
// crashed (what was not fsynced is lost or torn) and restarted from what survived.

import { type NodeId, nodeId, type PartitionId, Prng } from '../../common/index.js';
import type { ServiceResult } from '../../fsm/index.js';
import type { PartitionInput } from '../../gen/atomix/multiraft/v1/fsm_pb.js';
import type { CommandOutput, QueryInput } from '../../gen/multiraft/v1/output_pb.js';
import { primitiveTypes } from '../../primitives/index.js';
import { FaultFileSystem, Wal, type WalOptions } from '../../storage/index.js';
import { Host } from '../host.js';
import type { HostObserver } from '../observer.js';
import {
  type HostClock,
  type HostLimits,
  type HostLogger,
  type HostRaftOptions,
  systemClock,
} from '../options.js';
import { type Placement, placePartitions } from '../placement.js';
import { LoopbackNetwork } from './loopback.js';

export interface HostClusterOptions {
  readonly nodes: number;
  readonly partitions: number;
  readonly replication: number;
  readonly limits?: Partial<HostLimits>;
  readonly raft?: HostRaftOptions;
  readonly wal?: Partial<WalOptions>;
  /** The observer of each node's host, if any. */
  readonly observer?: (id: NodeId) => HostObserver;
  /** Each node's clock (default: the system's). */
  readonly clock?: (id: NodeId) => HostClock;
}

/** Remembers what a host logged (tests look for snapshot installs and fatal errors). */
export class RecordingLogger implements HostLogger {
  readonly lines: string[] = [];
  info(message: string): void {
    this.lines.push(message);
  }
  warn(message: string): void {
    this.lines.push(message);
  }
  error(message: string): void {
    this.lines.push(message);
  }
}

interface Member {
  fs: FaultFileSystem;
  wal: Wal | undefined;
  host: Host | undefined;
  readonly logger: RecordingLogger;
  fatal: Error | undefined;
}

export class HostCluster {
  readonly network = new LoopbackNetwork();
  readonly placement: Placement;
  readonly ids: readonly NodeId[];
  readonly #o: HostClusterOptions;
  readonly #members = new Map<NodeId, Member>();
  readonly #random = new Prng(7);

  constructor(options: HostClusterOptions) {
    this.#o = options;
    this.ids = Array.from({ length: options.nodes }, (_, i) => nodeId(i + 1));
    this.placement = placePartitions(this.ids, options.partitions, options.replication);
    for (const id of this.ids) {
      const fs = new FaultFileSystem({ seed: id, syncDelay: (done) => setImmediate(done) });
      this.#members.set(id, {
        fs,
        wal: undefined,
        host: undefined,
        logger: new RecordingLogger(),
        fatal: undefined,
      });
    }
  }

  async startAll(): Promise<void> {
    for (const id of this.ids) await this.start(id);
  }

  async start(id: NodeId): Promise<Host> {
    const m = this.#member(id);
    m.wal = await Wal.open({ ...this.#o.wal, fs: m.fs, dir: '/data' });
    m.host = new Host({
      nodeId: id,
      placement: this.placement,
      wal: m.wal,
      transport: this.network.transport(id),
      clock: this.#o.clock?.(id) ?? systemClock,
      random: this.#random.fork(),
      fsm: { types: primitiveTypes },
      raft: { electionTimeoutTicks: 10, ...this.#o.raft },
      limits: { tickMs: 10, ...this.#o.limits },
      logger: m.logger,
      observer: this.#o.observer?.(id),
      onFatal: (error) => {
        m.fatal = error;
      },
    });
    m.host.start();
    return m.host;
  }

  /** Clean stop: the host closes, the WAL flushes and closes. */
  async stop(id: NodeId): Promise<void> {
    const m = this.#member(id);
    await m.host?.close();
    await m.wal?.close();
    m.host = undefined;
    m.wal = undefined;
  }

  /** Power loss: the host stops at once and the disk keeps only what was fsynced (or torn). */
  async crash(id: NodeId): Promise<void> {
    const m = this.#member(id);
    const host = m.host;
    m.host = undefined;
    m.wal = undefined;
    m.fs = m.fs.crash();
    await host?.close();
  }

  async stopAll(): Promise<void> {
    for (const id of this.ids) await this.stop(id);
  }

  host(id: NodeId): Host {
    const host = this.#member(id).host;
    if (host === undefined) throw new Error(`node ${id} is down`);
    return host;
  }

  fs(id: NodeId): FaultFileSystem {
    return this.#member(id).fs;
  }

  logger(id: NodeId): RecordingLogger {
    return this.#member(id).logger;
  }

  fatal(id: NodeId): Error | undefined {
    return this.#member(id).fatal;
  }

  /** The node currently leading `partition` among the running hosts, if any. */
  leaderOf(partition: PartitionId): Host | undefined {
    for (const m of this.#members.values()) {
      const status = m.host?.status().find((s) => s.partition === partition);
      if (m.host !== undefined && status?.leader === m.host.nodeId) return m.host;
    }
    return undefined;
  }

  #member(id: NodeId): Member {
    const m = this.#members.get(id);
    if (m === undefined) throw new Error(`no node ${id}`);
    return m;
  }
}

/** Proposes on `host` and resolves with the command's (first) output. */
export function proposeOn(
  host: Host,
  partition: PartitionId,
  input: PartitionInput,
): Promise<CommandOutput> {
  return new Promise((resolve, reject) => {
    host.propose(partition, input, { output: resolve, fail: reject });
  });
}

/** A linearizable read on `host`; resolves with its one result. */
export function queryOn(
  host: Host,
  partition: PartitionId,
  input: QueryInput,
): Promise<{ result: ServiceResult; index: number }> {
  return new Promise((resolve, reject) => {
    host.query(partition, input, {
      next: (result, index) => resolve({ result, index }),
      end: () => {},
      fail: reject,
      closed: false,
    });
  });
}

/** Polls `condition` on real time until it holds or `timeoutMs` passes. */
export async function waitFor(
  condition: () => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
