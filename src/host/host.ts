// Many partitions in one process (DESIGN §1, §6): a replica of every local partition over the
// node-wide write-ahead log and the peer transport. One node-wide tick drives every replica. Each
// event-loop turn the host takes the ready output of every replica that has work, queues all their
// writes into the WAL's current batch (one write + fdatasync for all partitions: group commit),
// sends their messages (a leader's Appends leave before its own write is durable; Raft holds back
// acknowledgements until persisted() is reported) and advances them. When the batch is durable,
// each replica hears persisted(writeId). Snapshot files are written off the hot path, one at a
// time per partition. While every local partition is quiet the tick stops: a timer for the
// earliest quiet leader's state-machine deadline, traffic and the transport's reachability
// changes wake the node instead (an idle node then costs no wake-ups of its own).

import { assert, type NodeId, type PartitionId, type Prng } from '../common/index.js';
import type { PartitionInput } from '../gen/atomix/multiraft/v1/fsm_pb.js';
import type { QueryInput } from '../gen/multiraft/v1/output_pb.js';
import {
  type Entry,
  type HardState,
  type Message,
  MessageType,
  NotLeaderError,
  type Snapshot,
  type Status,
} from '../raft/index.js';
import {
  type CommandCaller,
  type QueryCaller,
  Replica,
  type ReplicaReady,
} from '../replica/index.js';
import type { PartitionLog, Wal } from '../storage/index.js';
import type { Transport } from '../transport/index.js';
import { HostStoppedError, StorageBusyError, UnknownPartitionError } from './errors.js';
import type { HostObserver } from './observer.js';
import {
  type HostClock,
  type HostLimits,
  type HostLogger,
  type HostOptions,
  resolveLimits,
  silentHostLogger,
} from './options.js';
import type { Placement } from './placement.js';
import { RestingPartitions } from './resting-partitions.js';
import { SnapshotThrottle } from './snapshot-throttle.js';

/** Entries are written in records of at most this much data (far below the WAL's record limit). */
const appendRecordBytes = 1024 * 1024;

/** One local partition: its replica, its log, and the snapshot I/O under way. */
interface LocalPartition {
  readonly id: PartitionId;
  readonly replica: Replica;
  readonly log: PartitionLog;
  /** Between ready() and advance() while a received snapshot is written (the replica defers calls). */
  installing: boolean;
  /** A local snapshot is being saved; another one is skipped (the policy takes a later one). */
  saving: boolean;
  /** Snapshot file I/O of this partition, one operation after another. */
  snapshotIo: Promise<void>;
  /** Index of the latest snapshot on disk. */
  snapshotIndex: number;
  /** Ticks since the last traffic other than heartbeats (a leader quiesces after enough). */
  idleTicks: number;
  /** The hard state as last queued to the WAL. */
  written: HardState;
  /** A newer hard state that moved only the commit index: queued with the next record. */
  lazy: HardState | undefined;
}

export interface PartitionStatus {
  readonly partition: PartitionId;
  readonly replicas: readonly NodeId[];
  readonly raft: Status;
  readonly leader: NodeId | 0;
  readonly applied: number;
}

export class Host {
  readonly nodeId: NodeId;
  readonly #placement: Placement;
  readonly #wal: Wal;
  readonly #transport: Transport;
  readonly #clock: HostClock;
  readonly #limits: HostLimits;
  readonly #log: HostLogger;
  readonly #onFatal: ((error: Error) => void) | undefined;
  readonly #onTurn: (() => void) | undefined;
  readonly #observer: HostObserver | undefined;
  readonly #partitions = new Map<PartitionId, LocalPartition>();
  /** The partitions ticked (the rest are quiesced until traffic, a due timer or a lost leader). */
  readonly #resting = new RestingPartitions<LocalPartition>();
  readonly #throttle: SnapshotThrottle;
  /** Replicas that may have ready output. */
  readonly #dirty = new Set<LocalPartition>();
  #scheduled = false;
  #started = false;
  /** Runs while some partition is awake; paused (undefined) while every one is quiet. */
  #ticker: { cancel(): void } | undefined;
  /** While the ticker is paused: the wake-up at the earliest quiet leader's timer deadline. */
  #alarm: { cancel(): void } | undefined;
  #ticks = 0;
  /** Whether the transport has a working connection to `node` (never, when it cannot tell). */
  readonly #reachable = (node: NodeId): boolean => this.#transport.reachable?.(node) === true;
  #stopped: string | undefined;
  #failure: Error | undefined;

  constructor(options: HostOptions) {
    this.nodeId = options.nodeId;
    this.#placement = options.placement;
    this.#wal = options.wal;
    this.#transport = options.transport;
    this.#clock = options.clock;
    this.#limits = resolveLimits(options.limits);
    this.#log = options.logger ?? silentHostLogger;
    this.#onFatal = options.onFatal;
    this.#onTurn = options.onTurn;
    this.#observer = options.observer;
    this.#throttle = new SnapshotThrottle(
      this.#limits.snapshotSendBytesPerSecond,
      this.#limits.snapshotSendQueueBytesMax,
      this.#clock.now(),
    );
    for (const [id, replicas] of this.#placement) {
      if (replicas.includes(this.nodeId)) this.#open(id, replicas, options);
    }
  }

  /** Starts ticking and taking messages; preferred leaders of fresh partitions campaign at once. */
  start(): void {
    assert(!this.#started && this.#stopped === undefined, 'start() once');
    this.#started = true;
    this.#transport.onMessages((from, batch) => this.#receive(from, batch));
    this.#transport.onReachabilityChange?.(() => this.#reachabilityChanged());
    for (const p of this.#partitions.values()) {
      const status = p.replica.status();
      const fresh = status.term === 0 && status.lastIndex === 0;
      if (fresh && this.#placement.get(p.id)?.[0] === this.nodeId) p.replica.campaign();
      this.#dirty.add(p);
    }
    this.#startTicking();
    this.#schedule();
  }

  /** Local partitions, ascending. */
  partitionIds(): PartitionId[] {
    return [...this.#partitions.keys()].sort((a, b) => a - b);
  }

  /** Every local partition knows its leader. */
  ready(): boolean {
    if (this.#stopped !== undefined) return false;
    for (const p of this.#partitions.values()) if (p.replica.leader === 0) return false;
    return true;
  }

  /** The fatal storage error that stopped this host, if one did. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  status(): PartitionStatus[] {
    return this.partitionIds().map((id) => {
      const p = this.#partitions.get(id)!;
      return {
        partition: id,
        replicas: this.#placement.get(id)!,
        raft: p.replica.status(),
        leader: p.replica.leader,
        applied: p.replica.applied,
      };
    });
  }

  /** The local replicas, for observation only (the simulator checks invariants on them). */
  replicas(): ReadonlyMap<PartitionId, Replica> {
    return new Map([...this.#partitions].map(([id, p]) => [id, p.replica]));
  }

  /** The replica's applied state (convergence checks compare it across nodes at equal index). */
  stateSnapshot(partition: PartitionId): Uint8Array | undefined {
    return this.#partitions.get(partition)?.replica.stateSnapshot();
  }

  /** Proposes on the local leader of `partition`; refusals go to the caller (nothing happened). */
  propose(partition: PartitionId, input: PartitionInput, answered: CommandCaller): void {
    const caller = this.#observer === undefined ? answered : timed(answered, this.#observer);
    const p = this.#route(partition, caller);
    if (p === undefined) return;
    if (this.#wal.queuedBytes() > this.#limits.walQueuedBytesMax) {
      caller.fail(new StorageBusyError(partition, this.#limits.walQueuedBytesMax));
      return;
    }
    this.#wake(p);
    p.replica.propose(input, caller);
    this.#touch(p);
  }

  /** A linearizable read on the local leader of `partition`. */
  query(partition: PartitionId, input: QueryInput, caller: QueryCaller): void {
    this.#observer?.read();
    const p = this.#route(partition, caller);
    if (p === undefined) return;
    this.#wake(p);
    p.replica.query(input, caller);
    this.#touch(p);
  }

  /** Stops ticking and serving, fails waiting callers and waits for snapshot I/O to end. */
  async close(): Promise<void> {
    const running = this.#stopped === undefined;
    this.#stop('shutting down');
    await Promise.allSettled([...this.#partitions.values()].map((p) => p.snapshotIo));
    if (!running || this.#failure !== undefined) return;
    // A clean stop keeps the newest commit indexes (the WAL's close flushes them).
    for (const p of this.#partitions.values()) {
      if (p.lazy !== undefined && !p.installing) this.#writeHardState(p, undefined, true);
    }
  }

  #open(id: PartitionId, replicas: readonly NodeId[], o: HostOptions): void {
    const log = this.#wal.partition(id);
    // A fresh partition starts with the placement's voters; afterwards the log holds them.
    if (log.conf().voters.length === 0) log.setConf({ voters: [...replicas], learners: [] });
    const random: Prng = o.random.fork();
    const replica = new Replica({
      partition: id,
      raft: {
        ...o.raft,
        id: this.nodeId,
        storage: log,
        random: () => random.float(),
      },
      fsm: o.fsm,
      clock: { now: () => this.#clock.now() },
      snapshotEntries: this.#limits.snapshotEntries,
      snapshotBytes: this.#limits.snapshotBytes,
      pendingProposalsMax: this.#limits.pendingProposalsMax,
    });
    const p: LocalPartition = {
      id,
      replica,
      log,
      installing: false,
      saving: false,
      snapshotIo: Promise.resolve(),
      snapshotIndex: replica.applied,
      idleTicks: 0,
      written: log.hardState(),
      lazy: undefined,
    };
    this.#partitions.set(id, p);
    this.#resting.add(p);
  }

  #route(partition: PartitionId, caller: { fail(error: Error): void }): LocalPartition | undefined {
    if (this.#stopped !== undefined) {
      caller.fail(new HostStoppedError(this.#stopped));
      return undefined;
    }
    const p = this.#partitions.get(partition);
    if (p !== undefined) return p;
    const replicas = this.#placement.get(partition);
    // Not held here: the partition's preferred leader is the best guess.
    caller.fail(
      replicas === undefined
        ? new UnknownPartitionError(partition)
        : new NotLeaderError(replicas[0]!),
    );
    return undefined;
  }

  #receive(_from: NodeId, batch: readonly { partitionId: PartitionId; message: Message }[]): void {
    if (this.#stopped !== undefined) return;
    for (const { partitionId, message } of batch) {
      const p = this.#partitions.get(partitionId);
      if (p === undefined) continue;
      p.replica.step(message);
      this.#dirty.add(p);
      if (message.type === MessageType.Heartbeat) {
        // The leader's last heartbeat before going quiet lets this follower rest too.
        if (message.quiesce === true && p.replica.canRest(message.from)) {
          this.#resting.restAsFollower(p, message.from);
        } else if (this.#resting.wake(p)) {
          this.#startTicking();
        }
      } else if (message.type !== MessageType.HeartbeatResp) {
        this.#wake(p);
      }
    }
    this.#schedule();
  }

  #tick(): void {
    if (this.#stopped !== undefined) return;
    this.#ticks++;
    const canQuiesce = this.#transport.reachable !== undefined;
    // A quiet partition must tick again: a leader to fire a timer, a follower to elect.
    this.#resting.wakeDue(this.#clock.now(), this.#reachable);
    for (const p of this.#resting.awake) {
      this.#dirty.add(p);
      // Before this tick's heartbeats: quiesce() needs a replica with nothing left to hand out.
      if (canQuiesce && p.idleTicks >= this.#limits.quiesceAfterTicks && p.replica.quiesce()) {
        // Its state machine cannot change until traffic wakes it, so neither can this deadline.
        this.#resting.restAsLeader(p, p.replica.nextDeadline());
        continue;
      }
      p.idleTicks++;
      p.replica.tick();
    }
    for (const chunk of this.#throttle.release(this.#clock.now())) {
      this.#transport.send(chunk.to, chunk.partition, chunk.message);
    }
    if (this.#ticks % this.#limits.pinnedCheckTicks === 0) this.#snapshotPinned();
    this.#pauseWhenAllQuiet();
    this.#schedule();
  }

  /**
   * Stops the ticker when no partition is awake and no snapshot chunk waits for the throttle,
   * if the transport reports reachability changes (the tick would otherwise be the only check of
   * quiet followers' leaders). A quiet leader's timer deadline sets an alarm instead.
   */
  #pauseWhenAllQuiet(): void {
    if (this.#resting.awake.size > 0 || this.#throttle.queued > 0) return;
    if (this.#transport.onReachabilityChange === undefined || this.#ticker === undefined) return;
    this.#ticker.cancel();
    this.#ticker = undefined;
    const deadline = this.#resting.nextAlarm();
    if (deadline === undefined) return;
    this.#alarm = this.#clock.after(Math.max(0, deadline - this.#clock.now()), () => {
      this.#alarm = undefined;
      this.#startTicking();
      this.#tick();
    });
  }

  /** Starts the ticker unless it runs: at start, when a partition wakes, when the alarm rings. */
  #startTicking(): void {
    if (this.#ticker !== undefined || !this.#started || this.#stopped !== undefined) return;
    this.#alarm?.cancel();
    this.#alarm = undefined;
    this.#ticker = this.#clock.every(this.#limits.tickMs, () => this.#tick());
  }

  /** Quiet followers whose leader's node became unreachable wake at once to elect. */
  #reachabilityChanged(): void {
    if (this.#stopped !== undefined) return;
    if (this.#resting.wakeDue(this.#clock.now(), this.#reachable)) this.#startTicking();
  }

  /** Traffic: the partition ticks again, and counts its idle ticks from zero. */
  #wake(p: LocalPartition): void {
    if (this.#resting.wake(p)) this.#startTicking();
    p.idleTicks = 0;
  }

  /** Local partitions not quiesced (the rest exchange no heartbeats and are not ticked). */
  activeCount(): number {
    return this.#resting.awake.size;
  }

  #touch(p: LocalPartition): void {
    this.#dirty.add(p);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled || this.#stopped !== undefined) return;
    this.#scheduled = true;
    this.#clock.defer(() => {
      this.#scheduled = false;
      this.#process();
    });
  }

  /** One turn of the ready loop over every replica with work. */
  #process(): void {
    const written = new Map<LocalPartition, number>();
    while (this.#dirty.size > 0 && this.#stopped === undefined) {
      const dirty = [...this.#dirty];
      this.#dirty.clear();
      for (const p of dirty) {
        if (p.installing) continue;
        const applied = p.replica.applied;
        const applying = this.#observer?.apply();
        const rd = p.replica.ready();
        applying?.(p.replica.applied - applied);
        if (rd === undefined) continue;
        if (rd.snapshot !== undefined) {
          void this.#install(p, rd, rd.snapshot);
          continue;
        }
        if (!this.#handle(p, rd)) return;
        if (rd.writeId !== 0) written.set(p, rd.writeId);
        // advance() may have run calls deferred during ready(): look again.
        this.#dirty.add(p);
      }
    }
    if (written.size > 0) this.#persistedWhenDurable(written);
    this.#onTurn?.();
  }

  /** Writes, sends and advances one Ready without a received snapshot. False on a fatal error. */
  #handle(p: LocalPartition, rd: ReplicaReady): boolean {
    try {
      writeEntries(p.log, rd.entries);
      this.#writeHardState(p, rd.hardState, rd.entries.length > 0);
    } catch (error) {
      this.#fatal(error as Error);
      return false;
    }
    for (const message of rd.messages) this.#send(p.id, message);
    p.replica.advance();
    if (rd.localSnapshot !== undefined) this.#save(p, rd.localSnapshot);
    return true;
  }

  /**
   * A hard state that moved only the commit index is not worth an fdatasync of its own: the commit
   * index is recovered from the leader after a crash. It rides along with the partition's next
   * record (or the shutdown). Term and vote are written at once: Raft waits for them.
   */
  #writeHardState(p: LocalPartition, hs: HardState | undefined, withRecords: boolean): void {
    const next = hs ?? p.lazy;
    if (next === undefined) return;
    if (!withRecords && next.term === p.written.term && next.vote === p.written.vote) {
      p.lazy = next;
      return;
    }
    p.log.setHardState(next);
    p.written = next;
    p.lazy = undefined;
  }

  #send(partition: PartitionId, message: Message): void {
    if (!SnapshotThrottle.isChunk(message)) {
      this.#transport.send(message.to, partition, message);
      return;
    }
    if (message.type === MessageType.Snapshot && message.offset === 0) {
      this.#observer?.snapshotSent();
    }
    const now = this.#clock.now();
    for (const chunk of this.#throttle.offer({ to: message.to, partition, message }, now)) {
      this.#transport.send(chunk.to, chunk.partition, chunk.message);
    }
  }

  /** Reports each replica's newest write of this turn once the WAL batch holding it is durable. */
  #persistedWhenDurable(written: Map<LocalPartition, number>): void {
    this.#wal.flushed().then(
      () => {
        if (this.#stopped !== undefined) return;
        for (const [p, writeId] of written) {
          p.replica.persisted(writeId);
          this.#dirty.add(p);
        }
        this.#schedule();
      },
      (error: Error) => this.#fatal(error),
    );
  }

  /**
   * A Ready carrying a snapshot from the leader: the file is written and the log reset to it before
   * the rest of the Ready is written and advance() called, so Raft never reads a log that does not
   * hold what it was told. Meanwhile the replica defers every call made to it.
   */
  async #install(p: LocalPartition, rd: ReplicaReady, snapshot: Snapshot): Promise<void> {
    p.installing = true;
    try {
      await this.#snapshotIo(p, async () => {
        const writer = await p.log.receiveSnapshot(snapshot.meta);
        await writer.write(snapshot.data);
        await writer.commit();
        p.snapshotIndex = snapshot.meta.index;
      });
      if (this.#stopped !== undefined) return;
      this.#log.info(`partition ${p.id}: installed snapshot at ${snapshot.meta.index}`);
      this.#observer?.snapshotInstalled();
      p.installing = false;
      if (!this.#handle(p, rd)) return;
      if (rd.writeId !== 0) this.#persistedWhenDurable(new Map([[p, rd.writeId]]));
    } catch (error) {
      this.#fatal(error as Error);
    } finally {
      p.installing = false;
      this.#touch(p);
    }
  }

  /** Saves a snapshot this replica took of its own state; the WAL then releases older entries. */
  #save(p: LocalPartition, snapshot: Snapshot): void {
    if (p.saving) return;
    p.saving = true;
    this.#snapshotIo(p, async () => {
      if (snapshot.meta.index <= p.snapshotIndex) return;
      const writer = await p.log.createSnapshot(snapshot.meta);
      await writer.write(snapshot.data);
      await writer.commit();
      p.snapshotIndex = snapshot.meta.index;
      this.#observer?.snapshotTaken();
    }).then(
      () => {
        p.saving = false;
      },
      (error: Error) => this.#fatal(error),
    );
  }

  /** Partitions whose old entries keep old WAL segments alive snapshot now, off the policy. */
  #snapshotPinned(): void {
    for (const id of this.#wal.partitionsToSnapshot()) {
      const p = this.#partitions.get(id);
      if (p === undefined || p.installing || p.saving) continue;
      if (p.replica.applied <= p.snapshotIndex) continue;
      this.#save(p, p.replica.takeSnapshot());
    }
  }

  #snapshotIo(p: LocalPartition, work: () => Promise<void>): Promise<void> {
    const next = p.snapshotIo.then(() => (this.#stopped === undefined ? work() : undefined));
    // The chain itself never rejects, so one failure does not block later closes.
    p.snapshotIo = next.catch(() => {});
    return next;
  }

  #stop(why: string): void {
    if (this.#stopped !== undefined) return;
    this.#stopped = why;
    this.#ticker?.cancel();
    this.#alarm?.cancel();
    this.#dirty.clear();
    for (const p of this.#partitions.values()) p.replica.close();
  }

  #fatal(error: Error): void {
    if (this.#stopped !== undefined) return;
    this.#failure = error;
    this.#log.error(`fatal storage error, the node stops: ${error.message}`);
    this.#stop(`storage failed: ${error.message}`);
    this.#onFatal?.(error);
  }
}

/** The caller of a proposal, reporting to the observer when it is first answered. */
function timed(caller: CommandCaller, observer: HostObserver): CommandCaller {
  let stop: (() => void) | undefined = observer.proposal();
  const answered = () => {
    stop?.();
    stop = undefined;
  };
  return {
    output: (output) => {
      answered();
      caller.output(output);
    },
    fail: (error) => {
      answered();
      caller.fail(error);
    },
  };
}

/** Appends in records of bounded size; a crash between them leaves a prefix (never acknowledged). */
function writeEntries(log: PartitionLog, entries: readonly Entry[]): void {
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < entries.length; i++) {
    bytes += entries[i]!.data.length;
    if (bytes > appendRecordBytes && i > start) {
      log.append(entries.slice(start, i));
      start = i;
      bytes = entries[i]!.data.length;
    }
  }
  if (start < entries.length) log.append(start === 0 ? entries : entries.slice(start));
}
