// A deterministic in-memory cluster of RawNodes for the scenario and property tests: messages
// queue per destination, partitions drop them, and each node reports its writes durable either
// at once (auto) or only on request (manual), to exercise the durability contract.
import { type LogIndex, logIndex, type NodeId, nodeId, Prng } from '../common/index.js';
import type { RaftConfig } from './config.js';
import type { Entry } from './log-types.js';
import type { RaftLogger } from './logger.js';
import { MemoryStorage } from './memory-storage.js';
import { type Message, MessageType, messageTypeName } from './message.js';
import { progressStateName } from './progress.js';
import { roleName } from './raft.js';
import { RawNode, type Ready } from './raw-node.js';

export interface ClusterOptions {
  readonly voters: number;
  readonly learners?: number;
  readonly seed?: number;
  readonly log?: boolean;
  readonly config?: Partial<Omit<RaftConfig, 'id' | 'storage' | 'random'>>;
}

export interface SimNode {
  readonly id: NodeId;
  storage: MemoryStorage;
  raw: RawNode;
  /** The store as of the last durability report: what survives a crash. */
  durable: MemoryStorage;
  manualPersist: boolean;
  /** Write ids handed out and not yet reported durable. */
  unpersisted: number[];
  /** The state machine: data of every applied entry (empty entries skipped), by index. */
  applied: Map<number, string>;
  lastApplied: LogIndex;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

export const text = (data: Uint8Array): string => decoder.decode(data);
export const bytes = (s: string): Uint8Array => encoder.encode(s);

export class Cluster {
  readonly nodes = new Map<NodeId, SimNode>();
  readonly inbox = new Map<NodeId, Message[]>();
  /** Each node's partition group; messages between different groups are dropped. */
  readonly group = new Map<NodeId, number>();
  readonly out: string[] = [];
  readonly logEnabled: boolean;

  constructor(readonly options: ClusterOptions) {
    this.logEnabled = options.log ?? true;
    const total = options.voters + (options.learners ?? 0);
    const voters = range(1, options.voters);
    const learners = range(options.voters + 1, total);
    const prng = new Prng(options.seed ?? 1);
    this.#random = () => prng.float();
    for (const i of range(1, total)) {
      const id = nodeId(i);
      const storage = MemoryStorage.withVoters(voters, learners);
      this.nodes.set(id, {
        id,
        storage,
        raw: this.#newRawNode(id, storage),
        durable: storage.clone(),
        manualPersist: false,
        unpersisted: [],
        applied: new Map(),
        lastApplied: logIndex(0),
      });
      this.inbox.set(id, []);
      this.group.set(id, 0);
    }
  }

  readonly #random: () => number;

  #newRawNode(id: NodeId, storage: MemoryStorage): RawNode {
    const applied = storage.snapshot().meta.index;
    const config = { ...this.options.config, id, storage, random: this.#random, applied };
    return new RawNode({ ...config, logger: this.#logger() });
  }

  /**
   * Crashes `id` and restarts it from its durable store: writes never reported durable are
   * lost, messages queued for it are dropped, its state machine restarts from the snapshot.
   */
  restart(id: NodeId): void {
    const n = this.node(id);
    n.storage = n.durable.clone();
    n.raw = this.#newRawNode(id, n.storage);
    n.unpersisted = [];
    this.inbox.set(id, []);
    const snap = n.storage.snapshot();
    this.#installSnapshot(n, snap.data, snap.meta.index);
  }

  node(id: number): SimNode {
    const n = this.nodes.get(nodeId(id));
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  print(line: string): void {
    this.out.push(line);
  }

  /** Handles one Ready of `id` as a host would; returns false when it had none. */
  processReady(id: NodeId, trace = true): boolean {
    const n = this.node(id);
    if (!n.raw.hasReady()) return false;
    const rd = n.raw.ready();
    if (trace) this.print(`> ${id} handling Ready`);
    if (trace) for (const line of describeReady(rd)) this.print(`  ${line}`);
    if (rd.snapshot) n.storage.applySnapshot(rd.snapshot);
    n.storage.append(rd.entries);
    if (rd.hardState) n.storage.setHardState(rd.hardState);
    for (const m of rd.messages) this.inbox.get(m.to)?.push(m);
    if (rd.snapshot) this.#installSnapshot(n, rd.snapshot.data, rd.snapshot.meta.index);
    for (const e of rd.committedEntries) this.#apply(n, e);
    n.raw.advance();
    if (rd.writeId !== 0) n.unpersisted.push(rd.writeId);
    if (!n.manualPersist) this.persist(id, false);
    return true;
  }

  /** Reports every write of `id` durable. */
  persist(id: NodeId, trace = true): void {
    const n = this.node(id);
    const last = n.unpersisted[n.unpersisted.length - 1];
    if (last === undefined) {
      if (trace) this.print('nothing to persist');
      return;
    }
    n.unpersisted = [];
    n.durable = n.storage.clone();
    if (trace) this.print(`${id} persisted write ${last}`);
    n.raw.persisted(last);
  }

  /** Steps every message queued for `id` (dropping those across a partition). */
  deliver(id: NodeId, trace = true): boolean {
    const queue = this.inbox.get(id) ?? [];
    if (queue.length === 0) return false;
    this.inbox.set(id, []);
    if (trace) this.print(`> ${id} receiving messages`);
    for (const m of queue) {
      const dropped = this.group.get(m.from) !== this.group.get(m.to);
      if (trace) this.print(`  ${dropped ? 'DROPPED ' : ''}${describeMessage(m)}`);
      if (!dropped) this.node(id).raw.step(m);
    }
    return true;
  }

  /** Handles Readies and delivers messages until nothing moves. */
  stabilize(ids: readonly NodeId[] = [...this.nodes.keys()]): void {
    for (let round = 0; round < 1000; round++) {
      let moved = false;
      for (const id of ids) moved = this.processReady(id) || moved;
      for (const id of ids) moved = this.deliver(id) || moved;
      if (!moved) return;
    }
    throw new Error('stabilize did not settle in 1000 rounds');
  }

  #apply(n: SimNode, e: Entry): void {
    if (e.index !== n.lastApplied + 1) {
      throw new Error(`${n.id} applies ${e.index} after ${n.lastApplied}`);
    }
    n.lastApplied = e.index;
    if (e.data.length > 0) n.applied.set(e.index, text(e.data));
  }

  /** Snapshot data is the applied map as `index=data` lines. */
  snapshotData(n: SimNode, upTo: LogIndex): Uint8Array {
    const lines: string[] = [];
    for (const [i, d] of n.applied) if (i <= upTo) lines.push(`${i}=${d}`);
    return bytes(lines.join('\n'));
  }

  #installSnapshot(n: SimNode, data: Uint8Array, index: LogIndex): void {
    n.applied = new Map();
    const s = text(data);
    for (const line of s === '' ? [] : s.split('\n')) {
      const eq = line.indexOf('=');
      n.applied.set(Number(line.slice(0, eq)), line.slice(eq + 1));
    }
    n.lastApplied = index;
  }

  #logger(): RaftLogger {
    const log = (level: string) => (message: string) => {
      if (this.logEnabled) this.print(`${level} ${message}`);
    };
    return { debug: log('DEBUG'), info: log('INFO'), warn: log('WARN') };
  }

  describeStatus(id: NodeId): string[] {
    const s = this.node(id).raw.status();
    const lines = [
      `${id}: ${roleName[s.role]} term=${s.term} vote=${s.vote} leader=${s.leader}` +
        ` commit=${s.commit} applied=${s.applied} last=${s.lastIndex} durable=${s.durableIndex}`,
    ];
    for (const [pid, p] of s.progress ?? []) {
      lines.push(
        `  ${pid}: match=${p.match} next=${p.next} ${progressStateName[p.state]}` +
          ` inflight=${p.inflightMsgs}${p.isLearner ? ' learner' : ''}`,
      );
    }
    return lines;
  }

  describeLog(id: NodeId): string[] {
    const n = this.node(id);
    const first = n.storage.firstIndex();
    const entries = n.storage.allEntries().map(describeEntry);
    const applied = [...n.applied].map(([i, d]) => `${i}=${d}`);
    return [
      `log (from ${first}): ${entries.length > 0 ? entries.join(' ') : '(empty)'}`,
      `applied up to ${n.lastApplied}: ${applied.length > 0 ? applied.join(' ') : '(none)'}`,
    ];
  }
}

function range(lo: number, hi: number): number[] {
  const result: number[] = [];
  for (let i = lo; i <= hi; i++) result.push(i);
  return result;
}

export function describeEntry(e: Entry): string {
  return e.data.length === 0 ? `${e.index}@${e.term}` : `${e.index}@${e.term}:${text(e.data)}`;
}

export function describeReady(rd: Ready): string[] {
  const lines: string[] = [];
  if (rd.softState) {
    lines.push(`SoftState: ${roleName[rd.softState.role]} leader=${rd.softState.leader}`);
  }
  if (rd.hardState) {
    const h = rd.hardState;
    lines.push(`HardState: term=${h.term} vote=${h.vote} commit=${h.commit}`);
  }
  if (rd.entries.length > 0) lines.push(`Entries: ${rd.entries.map(describeEntry).join(' ')}`);
  if (rd.snapshot) {
    const m = rd.snapshot.meta;
    lines.push(`Snapshot: ${m.index}@${m.term} ${rd.snapshot.data.length} bytes`);
  }
  if (rd.writeId !== 0) lines.push(`Write: ${rd.writeId}`);
  if (rd.committedEntries.length > 0) {
    lines.push(`Committed: ${rd.committedEntries.map(describeEntry).join(' ')}`);
  }
  for (const m of rd.messages) lines.push(`Send: ${describeMessage(m)}`);
  for (const r of rd.readStates) lines.push(`ReadState: ctx=${r.context} index=${r.index}`);
  return lines;
}

export function describeMessage(m: Message): string {
  const head = `${m.from}->${m.to} ${messageTypeName(m.type)} term=${m.term}`;
  switch (m.type) {
    case MessageType.Append: {
      const ents = m.entries.map(describeEntry).join(' ');
      return `${head} prev=${m.prevIndex}@${m.prevTerm} commit=${m.commit} [${ents}]`;
    }
    case MessageType.AppendResp:
      return m.reject
        ? `${head} reject index=${m.index} hint=${m.rejectHint}@${m.hintTerm}`
        : `${head} index=${m.index}`;
    case MessageType.Vote:
    case MessageType.PreVote:
      return `${head} last=${m.lastIndex}@${m.lastTerm}`;
    case MessageType.VoteResp:
    case MessageType.PreVoteResp:
      return `${head} ${m.reject ? 'rejected' : 'granted'}`;
    case MessageType.Heartbeat:
      return `${head} commit=${m.commit} ctx=${m.context}`;
    case MessageType.HeartbeatResp:
      return `${head} ctx=${m.context}`;
    case MessageType.Snapshot:
      return (
        `${head} snap=${m.meta.index}@${m.meta.term}` +
        ` bytes=${m.offset}+${m.data.length}/${m.totalBytes}`
      );
    case MessageType.ReadIndex:
      return `${head} ctx=${m.context}`;
    case MessageType.ReadIndexResp:
      return `${head} ctx=${m.context} index=${m.index}`;
  }
}
