// Rate limit on snapshot chunks leaving this node, so installing a snapshot on a lagging follower
// cannot starve the replication traffic of every other partition. A token bucket refilled from the
// host's clock: chunks beyond the budget wait in a bounded queue (oldest first) and leave as the
// budget refills. Raft keeps the follower in its snapshot state meanwhile; a dropped chunk is sent
// again when Raft retries the snapshot.

import type { NodeId, PartitionId } from '../common/index.js';
import { type Message, MessageType } from '../raft/index.js';

export interface ThrottledChunk {
  readonly to: NodeId;
  readonly partition: PartitionId;
  readonly message: Message;
}

export class SnapshotThrottle {
  readonly #bytesPerSecond: number;
  readonly #burstBytes: number;
  readonly #queuedBytesMax: number;
  #tokens: number;
  #lastMs: number;
  #queue: ThrottledChunk[] = [];
  #queuedBytes = 0;
  dropped = 0;

  constructor(bytesPerSecond: number, queuedBytesMax: number, nowMs: number) {
    this.#bytesPerSecond = bytesPerSecond;
    // One second's worth, and at least one maximal chunk so any chunk can eventually leave.
    this.#burstBytes = Math.max(bytesPerSecond, 4 * 1024 * 1024);
    this.#queuedBytesMax = queuedBytesMax;
    this.#tokens = this.#burstBytes;
    this.#lastMs = nowMs;
  }

  static isChunk(message: Message): boolean {
    return message.type === MessageType.Snapshot;
  }

  get queued(): number {
    return this.#queue.length;
  }

  /** Queues a chunk; returns the chunks that may leave now (in order). */
  offer(chunk: ThrottledChunk, nowMs: number): ThrottledChunk[] {
    const bytes = chunkBytes(chunk);
    if (this.#queuedBytes + bytes > this.#queuedBytesMax) {
      this.dropped++;
      return this.release(nowMs);
    }
    this.#queue.push(chunk);
    this.#queuedBytes += bytes;
    return this.release(nowMs);
  }

  /** The queued chunks the budget lets leave now. */
  release(nowMs: number): ThrottledChunk[] {
    this.#refill(nowMs);
    const out: ThrottledChunk[] = [];
    while (this.#queue.length > 0) {
      const bytes = chunkBytes(this.#queue[0]!);
      if (bytes > this.#tokens) break;
      this.#tokens -= bytes;
      this.#queuedBytes -= bytes;
      out.push(this.#queue.shift()!);
    }
    return out;
  }

  #refill(nowMs: number): void {
    const elapsed = Math.max(0, nowMs - this.#lastMs);
    this.#lastMs = Math.max(this.#lastMs, nowMs);
    this.#tokens = Math.min(
      this.#burstBytes,
      this.#tokens + (elapsed * this.#bytesPerSecond) / 1000,
    );
  }
}

function chunkBytes(chunk: ThrottledChunk): number {
  return chunk.message.type === MessageType.Snapshot ? chunk.message.data.length : 0;
}
