// An in-process network of hosts for tests: messages queued in one turn are delivered together on
// the next (like the TCP transport's per-turn frames). Links can be cut to isolate a node.

import type { NodeId, PartitionId } from '../../common/index.js';
import type { Message } from '../../raft/index.js';
import type { MessageHandler, PartitionMessage, Transport } from '../../transport/index.js';

export class LoopbackNetwork {
  readonly #handlers = new Map<NodeId, MessageHandler>();
  readonly #down = new Set<NodeId>();
  readonly #reachabilityListeners = new Map<NodeId, () => void>();
  delivered = 0;

  transport(id: NodeId): Transport {
    const queues = new Map<NodeId, PartitionMessage[]>();
    let scheduled = false;
    const flush = () => {
      scheduled = false;
      for (const [to, batch] of queues) {
        queues.delete(to);
        if (this.#down.has(id) || this.#down.has(to)) continue;
        this.delivered += batch.length;
        this.#handlers.get(to)?.(id, batch);
      }
    };
    return {
      send: (to: NodeId, partitionId: PartitionId, message: Message) => {
        const queue = queues.get(to) ?? [];
        if (queue.length === 0) queues.set(to, queue);
        queue.push({ partitionId, message });
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      },
      reachable: (to: NodeId) =>
        !this.#down.has(id) && !this.#down.has(to) && this.#handlers.has(to),
      onMessages: (handler) => this.#handlers.set(id, handler),
      onReachabilityChange: (listener) => this.#reachabilityListeners.set(id, listener),
      close: async () => {
        this.#handlers.delete(id);
        this.#reachabilityListeners.delete(id);
        this.#reachabilityChanged();
      },
    };
  }

  /** Cuts (or restores) every link of node `id`. */
  setDown(id: NodeId, down: boolean): void {
    if (down) this.#down.add(id);
    else this.#down.delete(id);
    this.#reachabilityChanged();
  }

  #reachabilityChanged(): void {
    for (const listener of [...this.#reachabilityListeners.values()]) listener();
  }
}
