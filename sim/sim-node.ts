// One simulated node: a replica of every partition on a simulated disk, driven like the real host
// drives them: after every event the ready output of all replicas is written (visible at once),
// messages go out, and one fsync at a time makes the accumulated writes durable (group commit);
// only then does each replica hear that its writes are durable.

import type { NodeId, PartitionId, Prng } from '../src/common/index.js';
import type { PartitionConfigInput } from '../src/fsm/index.js';
import { NotLeaderError } from '../src/raft/index.js';
import { Replica, ReplicaError } from '../src/replica/index.js';
import type { SimClock } from './clock.js';
import type { Scheduler } from './scheduler.js';
import { SimLog } from './sim-log.js';
import type { Wire } from './wire.js';

export interface SimNodeOptions {
  readonly id: NodeId;
  readonly voters: readonly NodeId[];
  readonly partitions: readonly PartitionId[];
  readonly scheduler: Scheduler;
  readonly send: (from: NodeId, to: NodeId, wire: Wire) => void;
  readonly random: Prng;
  readonly clock: SimClock;
  readonly fsm: PartitionConfigInput;
  /** How often the node ticks its replicas, in its own clock's ms. */
  readonly tickMs: number;
  fsyncMsMin: number;
  fsyncMsMax: number;
  /** On a crash, the chance that a random prefix of the unsynced writes survived. */
  readonly keepUnsyncedRate: number;
  readonly snapshotEntries: number;
  /** Raft's batching limits, varied per seed to reach more replication paths. */
  readonly maxMsgBytes: number;
  readonly maxInflightMsgs: number;
  /** Called after each ready loop with the node's replicas (for invariant checks). */
  readonly observe: (node: SimNode) => void;
}

export class SimNode {
  readonly id: NodeId;
  readonly #o: SimNodeOptions;
  readonly #logs = new Map<PartitionId, SimLog>();
  readonly #replicas = new Map<PartitionId, Replica>();
  #up = false;
  /** Bumped on every crash: callbacks of an earlier life are ignored. */
  #life = 0;
  #processScheduled = false;
  #fsyncInFlight = false;
  /** The newest write id per partition written since the last fsync started. */
  #unsyncedWrites = new Map<PartitionId, number>();
  crashes = 0;
  lostWrites = 0;

  constructor(options: SimNodeOptions) {
    this.id = options.id;
    this.#o = options;
    for (const p of options.partitions) this.#logs.set(p, new SimLog(options.voters));
    this.start();
  }

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

  replicas(): ReadonlyMap<PartitionId, Replica> {
    return this.#replicas;
  }

  start(): void {
    if (this.#up) return;
    this.#up = true;
    const life = ++this.#life;
    for (const [partition, log] of this.#logs) {
      const random = this.#o.random.fork();
      this.#replicas.set(
        partition,
        new Replica({
          partition,
          raft: {
            id: this.id,
            storage: log.visible,
            random: () => random.float(),
            electionTimeoutTicks: 10,
            heartbeatTicks: 1,
            maxMsgBytes: this.#o.maxMsgBytes,
            maxInflightMsgs: this.#o.maxInflightMsgs,
          },
          fsm: this.#o.fsm,
          clock: { now: () => this.#o.clock.now() },
          snapshotEntries: this.#o.snapshotEntries,
        }),
      );
    }
    this.#scheduleTick(life);
  }

  /** Power loss: unsynced writes are lost (or a prefix survives), replicas vanish silently. */
  crash(): void {
    if (!this.#up) return;
    this.#up = false;
    this.#life++;
    this.crashes++;
    this.#replicas.clear();
    this.#fsyncInFlight = false;
    this.#unsyncedWrites.clear();
    for (const log of this.#logs.values()) {
      this.lostWrites += log.crash(this.#o.random, this.#o.keepUnsyncedRate).lost;
    }
  }

  deliver(from: NodeId, wire: Wire): void {
    if (!this.#up) return;
    switch (wire.kind) {
      case 'raft':
        this.#replicas.get(wire.partition)?.step(wire.message);
        break;
      case 'propose':
        this.#replica(from, wire.call, wire.partition)?.propose(wire.input, {
          output: (output) => this.#reply(from, { kind: 'output', call: wire.call, output }),
          fail: (error) => this.#replyError(from, wire.call, error),
        });
        break;
      case 'query':
        this.#replica(from, wire.call, wire.partition)?.query(wire.input, {
          next: (result, index) =>
            this.#reply(from, { kind: 'result', call: wire.call, result, index }),
          end: () => this.#reply(from, { kind: 'end', call: wire.call }),
          fail: (error) => this.#replyError(from, wire.call, error),
          closed: false,
        });
        break;
      default:
        return;
    }
    this.#scheduleProcess();
  }

  #replica(from: NodeId, call: number, partition: PartitionId): Replica | undefined {
    const replica = this.#replicas.get(partition);
    if (replica === undefined) this.#replyError(from, call, new Error('unknown partition'));
    return replica;
  }

  #reply(to: NodeId, wire: Wire): void {
    if (this.#up) this.#o.send(this.id, to, wire);
  }

  #replyError(to: NodeId, call: number, error: Error): void {
    const code = (error as { code?: string }).code ?? 'INTERNAL';
    const leaderHint = error instanceof NotLeaderError ? error.leaderHint : 0;
    const safeToRetry =
      error instanceof NotLeaderError ||
      (error instanceof ReplicaError && error.safeToRetry) ||
      (error as { safeToRetry?: boolean }).safeToRetry === true;
    this.#reply(to, { kind: 'error', call, code, leaderHint, safeToRetry });
  }

  #scheduleTick(life: number): void {
    // The node's clock runs at its drift rate: its tick interval in true time differs.
    const delay = this.#o.tickMs / (1 + this.#o.clock.driftRate);
    this.#o.scheduler.after(delay, () => {
      if (life !== this.#life) return;
      for (const replica of this.#replicas.values()) replica.tick();
      this.#scheduleProcess();
      this.#scheduleTick(life);
    });
  }

  #scheduleProcess(): void {
    if (this.#processScheduled) return;
    this.#processScheduled = true;
    const life = this.#life;
    this.#o.scheduler.after(0, () => {
      this.#processScheduled = false;
      if (life === this.#life) this.#process();
    });
  }

  #process(): void {
    for (let moved = true; moved; ) {
      moved = false;
      for (const [partition, replica] of this.#replicas) {
        const rd = replica.ready();
        if (rd === undefined) continue;
        moved = true;
        this.#logs.get(partition)?.write(rd);
        if (rd.writeId !== 0) this.#unsyncedWrites.set(partition, rd.writeId);
        for (const message of rd.messages) {
          this.#o.send(this.id, message.to, { kind: 'raft', partition, message });
        }
        replica.advance();
      }
    }
    this.#o.observe(this);
    if (!this.#fsyncInFlight && this.#unsyncedWrites.size > 0) this.#fsync();
  }

  /** One fsync covering every write so far, of every partition. */
  #fsync(): void {
    const covered = [...this.#unsyncedWrites].map(([partition, writeId]) => ({
      partition,
      writeId,
      count: this.#logs.get(partition)?.unsyncedCount ?? 0,
    }));
    this.#unsyncedWrites = new Map();
    this.#fsyncInFlight = true;
    const life = this.#life;
    const delay = this.#o.random.int(this.#o.fsyncMsMin, this.#o.fsyncMsMax);
    this.#o.scheduler.after(delay, () => {
      if (life !== this.#life) return;
      this.#fsyncInFlight = false;
      for (const { partition, writeId, count } of covered) {
        this.#logs.get(partition)?.sync(count);
        this.#replicas.get(partition)?.persisted(writeId);
      }
      this.#scheduleProcess();
    });
  }
}
