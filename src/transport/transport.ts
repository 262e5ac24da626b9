// What the host depends on: a network that carries batches of Raft messages between nodes. The TCP
// transport implements it; the simulator swaps in its own faulty network.

import type { NodeId, PartitionId } from '../common/index.js';
import type { Message } from '../raft/index.js';
import type { PartitionMessage } from './frame-codec.js';

/**
 * Receives every batch that arrived in one frame from node `from`, in the order sent. The batch
 * may hold messages of many partitions. Called synchronously from the network callback.
 */
export type MessageHandler = (from: NodeId, batch: readonly PartitionMessage[]) => void;

export interface Transport {
  /**
   * Queues a Raft message for node `to`; never blocks. Messages queued in one event-loop turn leave
   * together in one frame per destination. At a queue limit, or when `to` is unknown, the message
   * is dropped and counted (Raft retransmits).
   */
  send(to: NodeId, partitionId: PartitionId, message: Message): void;
  /** Sends what is queued now instead of at the end of the event-loop turn. */
  flush?(): void;
  /**
   * Whether a working connection to `node` exists now. The host wakes quiet partitions whose
   * leader is on a node that became unreachable; without this method partitions never go quiet.
   */
  reachable?(node: NodeId): boolean;
  /**
   * Sets the function called whenever reachable() may have turned false for some node (a
   * connection closed, a peer removed or moved; calls without a change are allowed). With it the
   * host stops its tick while every partition is quiet, and checks their leaders on this call.
   */
  onReachabilityChange?(listener: () => void): void;
  /** Sets the receiver of incoming batches (replaces any earlier one). */
  onMessages(handler: MessageHandler): void;
  /** Stops listening, drops queued messages and closes every connection. */
  close(): Promise<void>;
}

/** The narrow logger the transport writes to (pino or a test logger behind it). */
export interface TransportLogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
}

export const silentTransportLogger: TransportLogger = {
  debug() {},
  info() {},
  warn() {},
};

/** Monotonic counters of one transport (the metrics issue exposes them). */
export interface TransportStats {
  bytesSent: number;
  bytesReceived: number;
  framesSent: number;
  framesReceived: number;
  messagesSent: number;
  messagesReceived: number;
  /** Dropped before sending: queue full, unknown destination, larger than a frame, or closed. */
  messagesDropped: number;
  connectionsDialed: number;
  connectionsAccepted: number;
  /** Dials after the first one to the same peer. */
  reconnects: number;
  /** Handshakes refused (wrong version or cluster, unknown node, wrong dialing direction). */
  handshakesRefused: number;
  /** Connections closed because a peer sent bytes that are not a valid frame or message. */
  malformedFrames: number;
  /** TLS handshakes that failed (for example a client without a valid certificate). */
  tlsErrors: number;
}

export function emptyTransportStats(): TransportStats {
  return {
    bytesSent: 0,
    bytesReceived: 0,
    framesSent: 0,
    framesReceived: 0,
    messagesSent: 0,
    messagesReceived: 0,
    messagesDropped: 0,
    connectionsDialed: 0,
    connectionsAccepted: 0,
    reconnects: 0,
    handshakesRefused: 0,
    malformedFrames: 0,
    tlsErrors: 0,
  };
}
