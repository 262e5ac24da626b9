// The host's Transport on the simulated network: Raft messages queued during one turn of a node
// leave together at the end of it (like the TCP transport's one frame per turn), each as its own
// Wire, so the network still delays, loses, duplicates and reorders them one by one. A peer is
// reachable while no cut separates the two nodes and it is up (the host lets partitions quiesce
// only with that knowledge, and wakes them when their leader becomes unreachable). Like the TCP
// transport, which learns of a lost peer from a closed socket or an idle timeout, it notices a peer
// turning unreachable within a detection interval and then tells the host.

import type { NodeId, PartitionId } from '../src/common/index.js';
import type { Message } from '../src/raft/index.js';
import type { MessageHandler, Transport } from '../src/transport/index.js';
import type { Scheduler } from './scheduler.js';
import type { Wire } from './wire.js';

export class SimTransport implements Transport {
  readonly #id: NodeId;
  readonly #scheduler: Scheduler;
  readonly #send: (from: NodeId, to: NodeId, wire: Wire) => void;
  readonly #reachable: (from: NodeId, to: NodeId) => boolean;
  readonly #peers: readonly NodeId[];
  readonly #detectMs: number;
  #reachabilityListener: (() => void) | undefined;
  #queue: { to: NodeId; wire: Wire }[] = [];
  #handler: MessageHandler | undefined;
  #closed = false;

  constructor(
    id: NodeId,
    scheduler: Scheduler,
    send: (from: NodeId, to: NodeId, wire: Wire) => void,
    reachable: (from: NodeId, to: NodeId) => boolean,
    peers: readonly NodeId[],
    detectMs: number,
  ) {
    this.#id = id;
    this.#scheduler = scheduler;
    this.#send = send;
    this.#reachable = reachable;
    this.#peers = peers;
    this.#detectMs = detectMs;
  }

  send(to: NodeId, partition: PartitionId, message: Message): void {
    if (this.#closed) return;
    if (this.#queue.length === 0) this.#scheduler.after(0, () => this.flush());
    this.#queue.push({ to, wire: { kind: 'raft', partition, message } });
  }

  flush(): void {
    const queue = this.#queue;
    this.#queue = [];
    if (this.#closed) return;
    for (const { to, wire } of queue) this.#send(this.#id, to, wire);
  }

  reachable(node: NodeId): boolean {
    return !this.#closed && this.#reachable(this.#id, node);
  }

  onMessages(handler: MessageHandler): void {
    this.#handler = handler;
  }

  onReachabilityChange(listener: () => void): void {
    const start = this.#reachabilityListener === undefined;
    this.#reachabilityListener = listener;
    if (start) this.#detect(new Set(this.#peers.filter((p) => this.reachable(p))));
  }

  /** Every detection interval: tells the listener when a peer reachable before no longer is. */
  #detect(reachableBefore: ReadonlySet<NodeId>): void {
    this.#scheduler.after(this.#detectMs, () => {
      if (this.#closed) return;
      const now = new Set(this.#peers.filter((p) => this.reachable(p)));
      const lost = [...reachableBefore].some((p) => !now.has(p));
      this.#detect(now);
      if (lost) this.#reachabilityListener?.();
    });
  }

  /** A Raft message arrived from the network. */
  receive(from: NodeId, partitionId: PartitionId, message: Message): void {
    if (!this.#closed) this.#handler?.(from, [{ partitionId, message }]);
  }

  /** Drops what is queued (a crashed node's last turn never left it) and stops receiving. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#queue = [];
    this.#handler = undefined;
  }
}
