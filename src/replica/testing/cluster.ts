// A small synchronous cluster of replicas for unit tests: in-memory storage (durable at once),
// instant delivery, a hand-moved clock and links that can be cut.

import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { type NodeId, nodeId, Prng, partitionId } from '../../common/index.js';
import type { ServiceResult } from '../../fsm/index.js';
import { type PartitionInput, PartitionInputSchema } from '../../gen/atomix/multiraft/v1/fsm_pb.js';
import type { CommandOutput } from '../../gen/multiraft/v1/output_pb.js';
import { primitiveTypes } from '../../primitives/index.js';
import { MemoryStorage, type Message } from '../../raft/index.js';
import type { CommandCaller } from '../callers.js';
import type { QueryCaller } from '../read-queue.js';
import { Replica, type ReplicaConfig } from '../replica.js';

export class ManualClock {
  nowMs = 1_700_000_000_000;
  now(): number {
    return this.nowMs;
  }
}

export interface Node {
  readonly id: NodeId;
  readonly storage: MemoryStorage;
  replica: Replica;
}

export class TestCluster {
  readonly clock = new ManualClock();
  readonly nodes = new Map<NodeId, Node>();
  readonly #cut = new Set<string>();
  readonly #random = new Prng(1);
  readonly #extra: Partial<ReplicaConfig>;
  #inbox: Message[] = [];

  constructor(size: number, extra: Partial<ReplicaConfig> = {}) {
    this.#extra = extra;
    const ids = Array.from({ length: size }, (_, i) => i + 1);
    for (const id of ids) {
      const storage = MemoryStorage.withVoters(ids);
      this.nodes.set(nodeId(id), { id: nodeId(id), storage, replica: this.#replica(id, storage) });
    }
  }

  #replica(id: number, storage: MemoryStorage): Replica {
    const random = this.#random.fork();
    return new Replica({
      partition: partitionId(1),
      raft: { id: nodeId(id), storage, random: () => random.float(), electionTimeoutTicks: 10 },
      fsm: { types: primitiveTypes },
      clock: this.clock,
      ...this.#extra,
    });
  }

  node(id: number): Node {
    const node = this.nodes.get(nodeId(id));
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  replica(id: number): Replica {
    return this.node(id).replica;
  }

  /** Restarts a node from what its storage holds (everything is durable here). */
  restart(id: number): void {
    const node = this.node(id);
    node.replica = this.#replica(id, node.storage);
  }

  cut(a: number, b: number): void {
    this.#cut.add(`${a}>${b}`).add(`${b}>${a}`);
  }

  heal(): void {
    this.#cut.clear();
  }

  /** Runs every node's ready loop and delivers messages until nothing moves. */
  stabilize(): void {
    for (let round = 0; round < 10_000; round++) {
      let moved = false;
      for (const node of this.nodes.values()) moved = this.#handle(node) || moved;
      const inbox = this.#inbox;
      this.#inbox = [];
      for (const m of inbox) {
        moved = true;
        if (this.#cut.has(`${m.from}>${m.to}`)) continue;
        this.nodes.get(m.to)?.replica.step(m);
      }
      if (!moved) return;
    }
    throw new Error('cluster did not stabilize');
  }

  #handle(node: Node): boolean {
    const rd = node.replica.ready();
    if (rd === undefined) return false;
    if (rd.snapshot !== undefined) node.storage.applySnapshot(rd.snapshot);
    if (rd.entries.length > 0) node.storage.append(rd.entries);
    if (rd.hardState !== undefined) node.storage.setHardState(rd.hardState);
    if (rd.localSnapshot !== undefined) {
      const meta = rd.localSnapshot.meta;
      node.storage.createSnapshot(meta.index, rd.localSnapshot.data, meta.conf);
      node.storage.compact(meta.index);
    }
    this.#inbox.push(...rd.messages);
    node.replica.advance();
    if (rd.writeId !== 0) node.replica.persisted(rd.writeId);
    return true;
  }

  /** Ticks every node `n` times, stabilizing after each. */
  tick(n = 1): void {
    for (let i = 0; i < n; i++) {
      for (const node of this.nodes.values()) node.replica.tick();
      this.stabilize();
    }
  }

  /** Makes node `id` the leader. */
  elect(id: number): void {
    this.replica(id).campaign();
    this.stabilize();
    if (!this.replica(id).isLeader) throw new Error(`node ${id} did not win`);
  }
}

/** Records what a command's caller receives. */
export class RecordingCaller implements CommandCaller {
  readonly outputs: CommandOutput[] = [];
  readonly errors: Error[] = [];
  onOutput?: (output: CommandOutput) => void;
  output(output: CommandOutput): void {
    this.outputs.push(output);
    this.onOutput?.(output);
  }
  fail(error: Error): void {
    this.errors.push(error);
  }
  get last(): CommandOutput | undefined {
    return this.outputs[this.outputs.length - 1];
  }
}

/** Records what a query's caller receives. */
export class RecordingQuery implements QueryCaller {
  readonly results: { result: ServiceResult; index: number }[] = [];
  readonly errors: Error[] = [];
  ended = false;
  closed = false;
  next(result: ServiceResult, index: number): void {
    this.results.push({ result, index });
  }
  end(): void {
    this.ended = true;
  }
  fail(error: Error): void {
    this.errors.push(error);
  }
}

export const partitionInput = (
  input: MessageInitShape<typeof PartitionInputSchema>['input'],
): PartitionInput => create(PartitionInputSchema, { input });
