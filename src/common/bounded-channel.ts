// A bounded hand-over from callbacks to an async iterable: what a server stream's producer (outputs
// arriving from a partition) pushes and its consumer (the network) pulls. The bound has a policy:
// `fail` ends the channel with the overflow error (a stream that must not drop, such as events),
// `latest` keeps only the newest item (a stream that may skip to the current state, such as watch).

import { assert } from './assert.js';

export interface BoundedChannelOptions {
  /** Items buffered before the overflow policy applies. */
  readonly capacity: number;
  readonly overflow: 'fail' | 'latest';
  /** The error `fail` ends the channel with. */
  readonly overflowError?: () => Error;
  /** The consumer stopped iterating before the end (a `break` out of `for await`). */
  readonly onAbandon?: () => void;
}

export class BoundedChannel<T> implements AsyncIterable<T> {
  readonly #o: BoundedChannelOptions;
  readonly #items: T[] = [];
  #ended = false;
  #error: Error | undefined;
  #wake: (() => void) | undefined;

  constructor(options: BoundedChannelOptions) {
    assert(Number.isSafeInteger(options.capacity) && options.capacity > 0, 'capacity must be > 0');
    this.#o = options;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Hands `item` over; false when the channel has ended (or just ended by the overflow). */
  push(item: T): boolean {
    if (this.#ended) return false;
    if (this.#items.length >= this.#o.capacity) {
      if (this.#o.overflow === 'latest') {
        this.#items.splice(0, this.#items.length - this.#o.capacity + 1);
      } else {
        this.end(this.#o.overflowError?.() ?? new Error('channel overflow'));
        return false;
      }
    }
    this.#items.push(item);
    this.#signal();
    return true;
  }

  /** No more items; the consumer sees the buffered ones, then `error` (thrown) or the end. */
  end(error?: Error): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    // An error ends the stream now: what is buffered may be incomplete anyway.
    if (error !== undefined) this.#items.length = 0;
    this.#signal();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    try {
      for (;;) {
        if (this.#items.length > 0) {
          yield this.#items.shift() as T;
          continue;
        }
        if (this.#ended) {
          if (this.#error !== undefined) throw this.#error;
          return;
        }
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
      }
    } finally {
      if (!this.#ended) this.#o.onAbandon?.();
    }
  }

  #signal(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
