// One simulated node: the real Host of src/host (a replica of every partition it holds, one
// group-committed ready loop) over the real write-ahead log of src/storage on a fault-injecting
// file system, the simulated network and the node's drifting clock. An fdatasync takes a latency
// drawn from the node's current range; a crash is a power loss: the host vanishes at once, and the
// file system keeps what was synced while each unsynced write is lost, kept or torn. A restart
// recovers the WAL from what survived, as a real process would.

import type { NodeId, PartitionId, Prng } from '../src/common/index.js';
import type { PartitionConfigInput } from '../src/fsm/index.js';
import { Host, type Placement } from '../src/host/index.js';
import type { Replica } from '../src/replica/index.js';
// Not the barrel: it loads the gRPC and HTTP servers (~1 s per process); this file is pure.
import { callErrorOf } from '../src/server/call-error.js';
import { FaultFileSystem, Wal, type WalOptions } from '../src/storage/index.js';
import { type SimClock, type SimHostClock, simHostClock } from './clock.js';
import type { Scheduler } from './scheduler.js';
import { SimTransport } from './sim-transport.js';
import type { Wire } from './wire.js';

/** The WAL's limits, varied per seed (small segments and caches reach rollover and cold reads). */
export type SimWalOptions = Pick<
  WalOptions,
  'segmentBytesMax' | 'pinnedSegmentsMax' | 'cacheBytesPerPartition' | 'catchUpMarginEntries'
>;

export interface SimNodeOptions {
  readonly id: NodeId;
  readonly placement: Placement;
  readonly scheduler: Scheduler;
  readonly send: (from: NodeId, to: NodeId, wire: Wire) => void;
  /** Whether messages from `from` reach `to` now (no cut, `to` up): lets partitions quiesce. */
  readonly reachable: (from: NodeId, to: NodeId) => boolean;
  readonly random: Prng;
  readonly clock: SimClock;
  readonly fsm: PartitionConfigInput;
  /** How often the host ticks its replicas, in its own clock's ms. */
  readonly tickMs: number;
  fsyncMsMin: number;
  fsyncMsMax: number;
  readonly snapshotEntries: number;
  /** Idle ticks before a leader quiesces its partition. */
  readonly quiesceAfterTicks: number;
  /** Raft's batching limits, varied per seed to reach more replication paths. */
  readonly maxMsgBytes: number;
  readonly maxInflightMsgs: number;
  readonly wal: SimWalOptions;
  /** Called after each ready loop with the node's replicas (for invariant checks). */
  readonly observe: (node: SimNode) => void;
}

const walDir = '/data';
const noReplicas: ReadonlyMap<PartitionId, Replica> = new Map();

export class SimNode {
  readonly id: NodeId;
  readonly #o: SimNodeOptions;
  /** The node's disk; replaced by what survived on every crash. */
  #fs: FaultFileSystem;
  #host: Host | undefined;
  #transport: SimTransport | undefined;
  #clock: SimHostClock | undefined;
  #replicas = noReplicas;
  #up = false;
  /**
   * Bumped on every crash. Nothing of an earlier life acts any more: its WAL (opening or not), its
   * host's promise callbacks and its callers' replies are dropped.
   */
  #life = 0;
  crashes = 0;
  /** Restarts whose WAL recovery found a torn or partly written tail and cut it. */
  tornTails = 0;

  constructor(options: SimNodeOptions) {
    this.id = options.id;
    this.#o = options;
    this.#fs = new FaultFileSystem({
      seed: options.random.int(0, 2 ** 31),
      syncDelay: (done) => this.#syncDelay(done),
    });
    this.start();
  }

  /** The process runs (its host may still be recovering the WAL). */
  get up(): boolean {
    return this.#up;
  }

  /** Makes fsyncs take [minMs, maxMs] from now on (a slow or stalling disk). */
  setFsyncLatency(minMs: number, maxMs: number): void {
    this.#o.fsyncMsMin = minMs;
    this.#o.fsyncMsMax = maxMs;
  }

  get fsyncLatency(): readonly [number, number] {
    return [this.#o.fsyncMsMin, this.#o.fsyncMsMax];
  }

  /** The node's clock offset; the nemesis jumps it to skew the leader's timestamps. */
  get clockOffsetMs(): number {
    return this.#o.clock.offsetMs;
  }

  set clockOffsetMs(offsetMs: number) {
    this.#o.clock.offsetMs = offsetMs;
  }

  /** The host's replicas; none while the node is down or recovering. */
  replicas(): ReadonlyMap<PartitionId, Replica> {
    return this.#replicas;
  }

  /** Starts the process: the WAL recovers from the disk (asynchronously), then the host starts. */
  start(): void {
    if (this.#up) return;
    this.#up = true;
    const life = ++this.#life;
    const { scheduler, wal } = this.#o;
    const opened = Wal.open({
      ...wal,
      fs: this.#fs,
      dir: walDir,
      defer: (fn) =>
        scheduler.after(0, () => {
          if (life === this.#life) fn();
        }),
    });
    opened.then(
      (w) => {
        if (life !== this.#life) return;
        try {
          this.#boot(w, life);
        } catch (error) {
          // An assertion while the host recovers: a bug, which ends the run with its stack.
          scheduler.fail(error);
        }
      },
      (error: unknown) => {
        // Only a crash may interrupt recovery; anything else is a storage bug.
        if (life === this.#life) scheduler.fail(error);
      },
    );
  }

  /**
   * Power loss: the process stops dead (no clean close: its host neither ticks nor runs its ready
   * loop again, its queued messages are lost, waiting callers hear nothing); on the disk, unsynced
   * writes are lost, kept or torn.
   */
  crash(): void {
    if (!this.#up) return;
    this.#up = false;
    this.#life++;
    this.crashes++;
    this.#clock?.stop();
    void this.#transport?.close();
    this.#clock = undefined;
    this.#transport = undefined;
    this.#host = undefined;
    this.#replicas = noReplicas;
    this.#fs = this.#fs.crash();
  }

  deliver(from: NodeId, wire: Wire): void {
    const host = this.#host;
    // A node that is down or still recovering hears nothing.
    if (!this.#up || host === undefined) return;
    switch (wire.kind) {
      case 'raft':
        this.#transport?.receive(from, wire.partition, wire.message);
        return;
      case 'propose': {
        const { call, reply, fail } = this.#caller(from, wire.call);
        host.propose(wire.partition, wire.input, {
          output: (output) => reply({ kind: 'output', call, output }),
          fail,
        });
        return;
      }
      case 'query': {
        const { call, reply, fail } = this.#caller(from, wire.call);
        host.query(wire.partition, wire.input, {
          next: (result, index) => reply({ kind: 'result', call, result, index }),
          end: () => reply({ kind: 'end', call }),
          fail,
          closed: false,
        });
        return;
      }
      default:
        return;
    }
  }

  #boot(wal: Wal, life: number): void {
    const o = this.#o;
    if (wal.tornAt !== undefined) this.tornTails++;
    const peers = [...new Set([...o.placement.values()].flat())].filter((n) => n !== this.id);
    const transport = new SimTransport(this.id, o.scheduler, o.send, o.reachable, peers, o.tickMs);
    const clock = simHostClock(o.clock, o.scheduler);
    const host = new Host({
      nodeId: this.id,
      placement: o.placement,
      wal,
      transport,
      clock,
      random: o.random.fork(),
      fsm: o.fsm,
      raft: {
        electionTimeoutTicks: 10,
        heartbeatTicks: 1,
        maxMsgBytes: o.maxMsgBytes,
        maxInflightMsgs: o.maxInflightMsgs,
      },
      limits: {
        tickMs: o.tickMs,
        snapshotEntries: o.snapshotEntries,
        quiesceAfterTicks: o.quiesceAfterTicks,
      },
      // The file system injects no I/O errors: a fatal storage error is a bug (after a crash, the
      // dead disk fails what the earlier life still had under way).
      onFatal: (error) => {
        if (life === this.#life) o.scheduler.fail(error);
      },
      onTurn: () => o.observe(this),
    });
    this.#transport = transport;
    this.#clock = clock;
    this.#host = host;
    this.#replicas = host.replicas();
    host.start();
  }

  /** Answers a client's call, unless the node crashed after taking it (a dead process is mute). */
  #caller(to: NodeId, call: number) {
    const life = this.#life;
    const reply = (answer: Wire) => {
      if (life === this.#life) this.#o.send(this.id, to, answer);
    };
    const fail = (error: Error) => {
      const { code, leaderHint, safeToRetry } = callErrorOf(error);
      reply({ kind: 'error', call, code, leaderHint, safeToRetry });
    };
    return { call, reply, fail };
  }

  #syncDelay(done: () => void): void {
    const { scheduler, random, fsyncMsMin, fsyncMsMax } = this.#o;
    scheduler.after(random.int(fsyncMsMin, fsyncMsMax), done);
  }
}
