// The bounded queue of messages waiting for one destination node. At either limit (messages or
// bytes) a new message is refused, never blocking: the caller drops and counts it, Raft retransmits.

import { assert, type PartitionId } from '../common/index.js';
import type { Message } from '../raft/index.js';
import { messageBytesEstimate } from './message-codec.js';

export interface QueuedMessage {
  readonly partitionId: PartitionId;
  readonly message: Message;
  readonly bytes: number;
}

export class SendQueue {
  readonly #messagesMax: number;
  readonly #bytesMax: number;
  #items: QueuedMessage[] = [];
  #head = 0;
  #bytes = 0;

  constructor(messagesMax: number, bytesMax: number) {
    assert(Number.isInteger(messagesMax) && messagesMax > 0, 'sendQueueMessagesMax must be > 0');
    assert(bytesMax > 0, 'sendQueueBytesMax must be > 0');
    this.#messagesMax = messagesMax;
    this.#bytesMax = bytesMax;
  }

  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Estimated encoded bytes queued (an upper bound). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Queues the message; false (nothing queued) when a limit would be passed. */
  push(partitionId: PartitionId, message: Message): boolean {
    const bytes = messageBytesEstimate(message);
    if (this.length >= this.#messagesMax || this.#bytes + bytes > this.#bytesMax) return false;
    this.#items.push({ partitionId, message, bytes });
    this.#bytes += bytes;
    return true;
  }

  peek(): QueuedMessage | undefined {
    return this.#items[this.#head];
  }

  shift(): QueuedMessage | undefined {
    const item = this.#items[this.#head];
    if (item === undefined) return undefined;
    this.#head++;
    this.#bytes -= item.bytes;
    if (this.#head === this.#items.length) this.clear();
    else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    // Invariant: the byte count is the sum over queued items, so it is 0 exactly when empty.
    assert(this.length > 0 || this.#bytes === 0, 'SendQueue byte count out of step');
    return item;
  }

  /** Empties the queue; returns how many messages it held. */
  clear(): number {
    const n = this.length;
    this.#items = [];
    this.#head = 0;
    this.#bytes = 0;
    return n;
  }
}
