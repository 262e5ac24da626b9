// The pure driver of one partition (DESIGN §1, §3): a Raft node and the partition state machine.
// It stamps proposals with the leader's clock, routes outputs to the callers waiting on this node,
// proposes tick entries so timers fire without client traffic, turns ReadIndex results into
// queries, and takes snapshots by policy. The host does the I/O this returns from ready().

import {
  assert,
  type LogIndex,
  type NodeId,
  type PartitionId,
  sequenceNum,
  sessionId,
  type Term,
} from '../common/index.js';
import {
  encodeInputEntry,
  encodeTickEntry,
  type PartitionConfigInput,
  PartitionStateMachine,
  type QuerySink,
  type ServiceResult,
} from '../fsm/index.js';
import type { PartitionInput } from '../gen/atomix/multiraft/v1/fsm_pb.js';
import type { QueryInput } from '../gen/multiraft/v1/output_pb.js';
import {
  type Entry,
  EntryType,
  type HardState,
  type Message,
  NotLeaderError,
  type RaftConfig,
  RawNode,
  Role,
  type Snapshot,
  type SoftState,
  type Status,
} from '../raft/index.js';
import { CallerTable, type CommandCaller } from './callers.js';
import { LeadershipChangedError, OverloadedError, SupersededError } from './errors.js';
import { type QueryCaller, ReadQueue } from './read-queue.js';

/** The node's wall clock in ms since the epoch (Date.now() on a server, simulated in tests). */
export interface WallClock {
  now(): number;
}

export interface ReplicaConfig {
  readonly partition: PartitionId;
  /** The Raft node; `raft.storage` is this partition's log as the host persisted it. */
  readonly raft: RaftConfig;
  readonly fsm: PartitionConfigInput;
  readonly clock: WallClock;
  /** Take a snapshot after this many applied entries since the last one. Default 10,000. */
  readonly snapshotEntries?: number;
  /** …or after this many bytes of applied entry data since the last one. Default 64 MiB. */
  readonly snapshotBytes?: number;
  /** Proposals waiting to apply on this leader; beyond, OverloadedError. Default 10,000. */
  readonly pendingProposalsMax?: number;
}

/** The I/O the host does for one ready(): write, then send, then advance(). */
export interface ReplicaReady {
  readonly partition: PartitionId;
  readonly hardState: HardState | undefined;
  /** Entries to write, replacing any stored suffix from entries[0].index. */
  readonly entries: readonly Entry[];
  /** A snapshot received from the leader (already installed in the state machine): persist it. */
  readonly snapshot: Snapshot | undefined;
  readonly messages: readonly Message[];
  /** Report to persisted() once hardState, entries and snapshot are durable (0: nothing to write). */
  readonly writeId: number;
  /** A snapshot this replica took by policy: persist it, then compact the log up to its index. */
  readonly localSnapshot: Snapshot | undefined;
}

type Deferred = () => void;

export class Replica {
  readonly partition: PartitionId;
  readonly #raw: RawNode;
  readonly #fsm: PartitionStateMachine;
  readonly #clock: WallClock;
  readonly #snapshotEntries: number;
  readonly #snapshotBytes: number;
  readonly #pendingProposalsMax: number;
  readonly #callers = new CallerTable();
  readonly #reads = new ReadQueue();
  /** Query streams (watch) running on this leader. */
  readonly #streams = new Set<QueryStream>();
  // Invariant: #lastStamp never decreases; every proposal's timestamp is >= the previous one's.
  #lastStamp = 0;
  #applied: LogIndex;
  #appliedTerm: Term;
  #appliedSinceSnapshot = 0;
  #appliedBytesSinceSnapshot = 0;
  #role: Role = Role.Follower;
  #leader: NodeId | 0 = 0;
  readonly #elections = { started: 0, won: 0 };
  /** The index of the tick entry in flight, so at most one is proposed at a time. */
  #tickInFlight: LogIndex | undefined;
  #tickWanted = false;
  /** Calls made while a ready() is being handled (by callers reacting to outputs): run after. */
  #deferred: Deferred[] | undefined;

  constructor(config: ReplicaConfig) {
    this.partition = config.partition;
    this.#clock = config.clock;
    this.#snapshotEntries = config.snapshotEntries ?? 10_000;
    this.#snapshotBytes = config.snapshotBytes ?? 64 * 1024 * 1024;
    this.#pendingProposalsMax = config.pendingProposalsMax ?? 10_000;
    assert(
      this.#snapshotEntries > 0 && this.#snapshotBytes > 0 && this.#pendingProposalsMax > 0,
      'replica limits must be positive',
    );
    this.#fsm = new PartitionStateMachine(config.fsm);
    const snapshot = config.raft.storage.snapshot();
    if (snapshot.meta.index > 0) this.#fsm.restore(snapshot.data);
    this.#applied = snapshot.meta.index;
    this.#appliedTerm = snapshot.meta.term;
    this.#raw = new RawNode({ ...config.raft, applied: snapshot.meta.index });
  }

  get isLeader(): boolean {
    return this.#role === Role.Leader;
  }

  /** The leader this replica knows of (0: none). */
  get leader(): NodeId | 0 {
    return this.#leader;
  }

  get applied(): LogIndex {
    return this.#applied;
  }

  status(): Status {
    return this.#raw.status();
  }

  /** Open sessions in the applied state. */
  get sessionCount(): number {
    return this.#fsm.sessionCount;
  }

  /** Service instances (primitives) in the applied state. */
  get serviceCount(): number {
    return this.#fsm.serviceCount;
  }

  /** Streams running: session command streams in the state machine and watches on this leader. */
  get streamCount(): number {
    return this.#fsm.streamCount + this.#streams.size;
  }

  /** Elections this replica started and won, as its role changes show them between readies. */
  get elections(): { readonly started: number; readonly won: number } {
    return this.#elections;
  }

  /** The applied state as deterministic bytes (for convergence checks: equal at equal index). */
  stateSnapshot(): Uint8Array {
    return this.#fsm.snapshot();
  }

  /** One Raft tick; on the leader also proposes a tick entry once the earliest timer is due. */
  tick(): void {
    if (this.#defer(() => this.tick())) return;
    this.#raw.tick();
    if (this.#role !== Role.Leader || this.#tickInFlight !== undefined) return;
    const deadline = this.#fsm.nextDeadline();
    if (deadline !== undefined && deadline <= this.#clock.now()) this.#proposeTick();
  }

  step(message: Message): void {
    if (this.#defer(() => this.step(message))) return;
    this.#raw.step(message);
  }

  /**
   * On an idle leader (nothing waiting to commit, apply or read, no timer due) sends the group's
   * last heartbeat marked quiesce and returns true: the host stops ticking it until traffic.
   */
  quiesce(): boolean {
    if (this.#deferred !== undefined || this.#role !== Role.Leader) return false;
    if (this.#callers.proposalCount > 0 || this.#reads.size > 0 || this.#streams.size > 0) {
      return false;
    }
    if (this.#tickInFlight !== undefined || this.#tickWanted || this.timerDue()) return false;
    // No Ready pending also means every committed entry has been applied.
    if (this.#raw.hasReady()) return false;
    return this.#raw.quiesce();
  }

  /** Whether a follower that got a quiesce heartbeat from `leader` may stop ticking. */
  canRest(leader: NodeId): boolean {
    return this.#deferred === undefined && this.#raw.canRest(leader);
  }

  /** The state machine's earliest timer has come due. */
  timerDue(): boolean {
    const deadline = this.nextDeadline();
    return deadline !== undefined && deadline <= this.#clock.now();
  }

  /** When the state machine's earliest timer comes due (a quiet leader must wake to fire it). */
  nextDeadline(): number | undefined {
    return this.#fsm.nextDeadline();
  }

  /** Campaigns now (bootstrap of a single-node group, tests). */
  campaign(): void {
    if (this.#defer(() => this.campaign())) return;
    this.#raw.campaign();
  }

  /**
   * Proposes a partition input on this leader. Its outputs go to `caller`: session commands by
   * (session, sequence number), including replays and later stream outputs; the rest by index.
   */
  propose(input: PartitionInput, caller: CommandCaller): void {
    if (this.#defer(() => this.propose(input, caller))) return;
    if (this.#role !== Role.Leader) {
      caller.fail(new NotLeaderError(this.#leader));
      return;
    }
    if (this.#callers.proposalCount >= this.#pendingProposalsMax) {
      caller.fail(new OverloadedError(this.#pendingProposalsMax));
      return;
    }
    const at = this.#proposeEntry(encodeInputEntry(this.#stamp(), input), caller);
    if (at === undefined) return;
    const session = input.input.case === 'sessionInput' ? input.input.value : undefined;
    if (session !== undefined && session.sequenceNum > 0n) {
      // Numbers beyond 2^53 − 1 are answered INVALID by the state machine, by index.
      const s = Number(session.sessionId);
      const seq = Number(session.sequenceNum);
      if (Number.isSafeInteger(s) && Number.isSafeInteger(seq)) {
        const superseded = () => new SupersededError();
        this.#callers.addCommand(
          at.index,
          at.term,
          sessionId(s),
          sequenceNum(seq),
          caller,
          superseded,
        );
        return;
      }
    }
    this.#callers.addEntry(at.index, at.term, caller);
  }

  /** A linearizable read: runs once a quorum confirmed leadership and the index is applied. */
  query(input: QueryInput, caller: QueryCaller): void {
    if (this.#defer(() => this.query(input, caller))) return;
    if (this.#role !== Role.Leader) {
      caller.fail(new NotLeaderError(this.#leader));
      return;
    }
    const id = this.#reads.add({ input, caller });
    try {
      this.#raw.readIndex(id);
    } catch (error) {
      this.#reads.remove(id);
      caller.fail(error as Error);
    }
  }

  /** Writes up to `writeId` are durable. */
  persisted(writeId: number): void {
    if (this.#defer(() => this.persisted(writeId))) return;
    this.#raw.persisted(writeId);
  }

  hasReady(): boolean {
    return this.#deferred === undefined && this.#raw.hasReady();
  }

  /**
   * Applies what Raft committed, routes the outputs, runs released reads, and returns the I/O for
   * the host; undefined when there is nothing to do. The host calls advance() after writing.
   */
  ready(): ReplicaReady | undefined {
    assert(this.#deferred === undefined, 'ready() twice without advance()');
    if (!this.#raw.hasReady()) return undefined;
    this.#deferred = [];
    const rd = this.#raw.ready();
    if (rd.softState !== undefined) this.#onSoftState(rd.softState);
    if (rd.snapshot !== undefined) this.#install(rd.snapshot);
    for (const entry of rd.committedEntries) this.#apply(entry);
    for (const read of rd.readStates) this.#reads.release(read.context, read.index);
    this.#runReads();
    return {
      partition: this.partition,
      hardState: rd.hardState,
      entries: rd.entries,
      snapshot: rd.snapshot,
      messages: rd.messages,
      writeId: rd.writeId,
      localSnapshot: this.#snapshotByPolicy(),
    };
  }

  /** The host wrote and sent the last ready(); calls deferred meanwhile run now. */
  advance(): void {
    const deferred = this.#deferred;
    assert(deferred !== undefined, 'advance() without ready()');
    this.#raw.advance();
    this.#deferred = undefined;
    if (this.#tickWanted && this.#role === Role.Leader) this.#proposeTick();
    this.#tickWanted = false;
    for (const call of deferred) call();
  }

  /**
   * The applied state as a snapshot now, outside the policy (the host asks when the partition pins
   * old log segments). Not between ready() and advance().
   */
  takeSnapshot(): Snapshot {
    assert(this.#deferred === undefined, 'takeSnapshot() between ready() and advance()');
    return this.#snapshotNow();
  }

  /** Fails every waiting caller (the node is shutting down). */
  close(): void {
    this.#loseCallers();
  }

  #defer(call: Deferred): boolean {
    if (this.#deferred === undefined) return false;
    this.#deferred.push(call);
    return true;
  }

  #stamp(): number {
    this.#lastStamp = Math.max(this.#lastStamp, this.#clock.now(), this.#fsm.timeMs);
    return this.#lastStamp;
  }

  #proposeEntry(
    data: Uint8Array,
    caller?: CommandCaller,
  ): { index: LogIndex; term: Term } | undefined {
    try {
      return this.#raw.propose(data);
    } catch (error) {
      if (caller === undefined) return undefined;
      caller.fail(error as Error);
      return undefined;
    }
  }

  #proposeTick(): void {
    const at = this.#proposeEntry(encodeTickEntry(this.#stamp()));
    if (at !== undefined) this.#tickInFlight = at.index;
  }

  #onSoftState(soft: SoftState): void {
    const wasLeader = this.#role === Role.Leader;
    const wasCandidate = this.#role === Role.Candidate;
    this.#role = soft.role;
    this.#leader = soft.leader;
    const becameCandidate = soft.role === Role.Candidate && !wasCandidate;
    // A candidate can win within one ready (a single voter): it never shows as a candidate then.
    const wonUnseen = soft.role === Role.Leader && !wasLeader && !wasCandidate;
    if (becameCandidate || wonUnseen) this.#elections.started++;
    if (!wasLeader && soft.role === Role.Leader) this.#elections.won++;
    if (wasLeader && soft.role !== Role.Leader) this.#loseCallers();
    // A new leader proposes a tick at once: its first timestamped entry grants sessions the
    // new-term grace and fires timers that passed during the election.
    if (!wasLeader && soft.role === Role.Leader) this.#tickWanted = true;
  }

  #loseCallers(): void {
    this.#tickInFlight = undefined;
    this.#callers.failAll(() => new LeadershipChangedError('command'));
    this.#reads.failAll(() => new LeadershipChangedError('query'));
    const streams = [...this.#streams];
    this.#streams.clear();
    for (const stream of streams) stream.fail(new LeadershipChangedError('query'));
  }

  #install(snapshot: Snapshot): void {
    this.#fsm.restore(snapshot.data);
    this.#applied = snapshot.meta.index;
    this.#appliedTerm = snapshot.meta.term;
    this.#appliedSinceSnapshot = 0;
    this.#appliedBytesSinceSnapshot = 0;
  }

  #apply(entry: Entry): void {
    // Invariant: entries apply in order, each exactly once.
    assert(entry.index === this.#applied + 1, `apply ${entry.index} after ${this.#applied}`);
    assert(entry.type === EntryType.Normal, 'configuration changes are not supported yet');
    const waiting = this.#callers.applying(
      entry.index,
      entry.term,
      () => new LeadershipChangedError('command'),
    );
    if (this.#tickInFlight === entry.index) this.#tickInFlight = undefined;
    for (const out of this.#fsm.apply(entry)) {
      if (out.kind === 'entry') {
        if (out.index === entry.index) waiting?.output(out.output);
      } else {
        this.#callers.deliver(out.session, out.seq, out.output);
      }
    }
    this.#applied = entry.index;
    this.#appliedTerm = entry.term;
    this.#appliedSinceSnapshot++;
    this.#appliedBytesSinceSnapshot += entry.data.length;
  }

  #runReads(): void {
    for (const read of this.#reads.runnable(this.#applied)) {
      if (read.caller.closed) continue;
      const stream = new QueryStream(
        this.#applied,
        () => this.#applied,
        read.caller,
        (s) => this.#streams.delete(s),
      );
      this.#streams.add(stream);
      this.#fsm.query(read.input, stream);
    }
  }

  #snapshotByPolicy(): Snapshot | undefined {
    if (
      this.#appliedSinceSnapshot < this.#snapshotEntries &&
      this.#appliedBytesSinceSnapshot < this.#snapshotBytes
    ) {
      return undefined;
    }
    return this.#snapshotNow();
  }

  #snapshotNow(): Snapshot {
    this.#appliedSinceSnapshot = 0;
    this.#appliedBytesSinceSnapshot = 0;
    return {
      meta: { index: this.#applied, term: this.#appliedTerm, conf: this.#raw.status().conf },
      data: this.#fsm.snapshot(),
    };
  }
}

/**
 * Adapts a QueryCaller to the fsm's QuerySink and stays registered while it runs (watch), so a
 * leadership change can end it. Each output carries the applied index it was read at.
 */
class QueryStream implements QuerySink {
  readonly index: LogIndex;
  readonly #applied: () => LogIndex;
  readonly #caller: QueryCaller;
  readonly #unregister: (stream: QueryStream) => void;
  #ended = false;

  constructor(
    index: LogIndex,
    applied: () => LogIndex,
    caller: QueryCaller,
    unregister: (stream: QueryStream) => void,
  ) {
    this.index = index;
    this.#applied = applied;
    this.#caller = caller;
    this.#unregister = unregister;
  }

  /** A consumer that went away ends the stream here too, so nothing holds on to it. */
  get closed(): boolean {
    if (!this.#ended && this.#caller.closed) this.#finish();
    return this.#ended;
  }

  next(result: ServiceResult): void {
    if (!this.closed) this.#caller.next(result, this.#applied());
  }

  end(): void {
    if (this.#ended) return;
    this.#finish();
    this.#caller.end();
  }

  fail(error: Error): void {
    if (this.#ended) return;
    this.#finish();
    this.#caller.fail(error);
  }

  #finish(): void {
    this.#ended = true;
    this.#unregister(this);
  }
}
