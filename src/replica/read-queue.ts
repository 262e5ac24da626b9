// Linearizable reads on the leader: each query waits for its ReadIndex (the leader's commit index
// once a quorum confirmed its leadership), then for the replica to apply up to it, and only then
// runs against the state machine. Raft shares one quorum round among concurrent requests.

import { assert, type LogIndex } from '../common/index.js';
import type { ServiceResult } from '../fsm/index.js';
import type { QueryInput } from '../gen/multiraft/v1/output_pb.js';

/** Receives a query's outputs: one for get, a stream for watch. Node-local. */
export interface QueryCaller {
  /** One output, read at applied index `index`. */
  next(result: ServiceResult, index: LogIndex): void;
  /** The query is over (a unary query after its one output). */
  end(): void;
  /** The query failed before running or while streaming; the error says whether to retry. */
  fail(error: Error): void;
  /** Whether the consumer is gone (a stream stops feeding it). */
  readonly closed: boolean;
}

export interface PendingRead {
  readonly input: QueryInput;
  readonly caller: QueryCaller;
}

export class ReadQueue {
  #nextId = 1;
  /** Sent to Raft, waiting for their read index. */
  readonly #waiting = new Map<number, PendingRead>();
  /** Read index known, waiting for the replica to apply up to it; ascending by index. */
  #released: { readonly index: LogIndex; readonly read: PendingRead }[] = [];

  get size(): number {
    return this.#waiting.size + this.#released.length;
  }

  /** Registers a read and returns the ReadIndex context to hand to Raft. */
  add(read: PendingRead): number {
    const id = this.#nextId++;
    this.#waiting.set(id, read);
    return id;
  }

  /** Raft refused the read: it is forgotten. */
  remove(id: number): PendingRead | undefined {
    const read = this.#waiting.get(id);
    this.#waiting.delete(id);
    return read;
  }

  /** Raft released read `id` at `index`. Unknown ids (already failed) are ignored. */
  release(id: number, index: LogIndex): void {
    const read = this.#waiting.get(id);
    if (read === undefined) return;
    this.#waiting.delete(id);
    const last = this.#released[this.#released.length - 1];
    if (last === undefined || last.index <= index) {
      this.#released.push({ index, read });
    } else {
      this.#released.push({ index, read });
      this.#released.sort((a, b) => a.index - b.index);
    }
  }

  /** Removes and returns the reads whose index is at or below `applied`, in index order. */
  runnable(applied: LogIndex): PendingRead[] {
    let n = 0;
    while (
      n < this.#released.length &&
      (this.#released[n]?.index ?? Number.POSITIVE_INFINITY) <= applied
    )
      n++;
    if (n === 0) return [];
    const ready = this.#released.slice(0, n).map((r) => r.read);
    this.#released = this.#released.slice(n);
    assert(ready.length === n, 'runnable reads lost');
    return ready;
  }

  /** Every read fails (leadership lost, replica closed). */
  failAll(error: () => Error): void {
    const reads = [...this.#waiting.values(), ...this.#released.map((r) => r.read)];
    this.#waiting.clear();
    this.#released = [];
    for (const read of reads) read.caller.fail(error());
  }
}
