import { assert, type LogIndex, type Term } from '../common/index.js';
import type { Message } from './message.js';

/** One Ready's write: what it persisted, so its durability report can move durableIndex. */
export interface PendingWrite {
  readonly writeId: number;
  /** The last entry (or snapshot) written, 0 for a hard-state-only write. */
  readonly lastIndex: LogIndex;
  readonly lastTerm: Term;
}

/**
 * Tracks the caller's writes (one per Ready that persists something) and the messages that may
 * leave only once a write is durable: a follower's acknowledgement of entries, a vote grant
 * (including a candidate's vote for itself). Writes become durable in order.
 */
export class Durability {
  // Invariant: durableWriteId <= lastWriteId; writes hold ids in (durableWriteId, lastWriteId].
  lastWriteId = 0;
  durableWriteId = 0;
  readonly #writes: PendingWrite[] = [];
  // Invariant: waiting messages are in order of their writeId.
  readonly #waiting: { writeId: number; message: Message }[] = [];

  /** Registers the write of the Ready being built; returns its id. */
  newWrite(lastIndex: LogIndex, lastTerm: Term): number {
    this.lastWriteId++;
    this.#writes.push({ writeId: this.lastWriteId, lastIndex, lastTerm });
    return this.lastWriteId;
  }

  /**
   * Holds `message` until the write that covers the current state is durable. `stateUnwritten`:
   * the state the message depends on is not in any Ready yet, so the next write covers it.
   * Returns false when that write is durable already (send the message now).
   */
  hold(message: Message, stateUnwritten: boolean): boolean {
    const writeId = stateUnwritten ? this.lastWriteId + 1 : this.lastWriteId;
    if (writeId <= this.durableWriteId) return false;
    this.#waiting.push({ writeId, message });
    return true;
  }

  /** Writes up to `writeId` are durable: returns those writes and the messages released. */
  markDurable(writeId: number): { writes: PendingWrite[]; released: Message[] } {
    assert(writeId <= this.lastWriteId, `write ${writeId} reported durable was never issued`);
    if (writeId <= this.durableWriteId) return { writes: [], released: [] };
    this.durableWriteId = writeId;
    const writes: PendingWrite[] = [];
    while (this.#writes.length > 0 && this.#writes[0]!.writeId <= writeId) {
      writes.push(this.#writes.shift()!);
    }
    const released: Message[] = [];
    while (this.#waiting.length > 0 && this.#waiting[0]!.writeId <= writeId) {
      released.push(this.#waiting.shift()!.message);
    }
    return { writes, released };
  }

  get waitingCount(): number {
    return this.#waiting.length;
  }
}
