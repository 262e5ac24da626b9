// Configuration of the TCP transport. Every limit is explicit; the defaults are in
// `transportLimitsDefault` and docs/transport.md.

import type { NodeId } from '../common/index.js';
import { frameBytesMaxDefault } from './frame-codec.js';
import type { TransportLogger } from './transport.js';

export interface PeerAddress {
  readonly host: string;
  readonly port: number;
}

/** PEM (or DER buffers) of the cluster's CA and this node's certificate and key. */
export interface TransportTlsOptions {
  readonly ca: string | Uint8Array;
  readonly cert: string | Uint8Array;
  readonly key: string | Uint8Array;
}

export interface TransportLimits {
  /** Largest frame sent or accepted, header included; must be the same on every node. */
  readonly frameBytesMax: number;
  /** A flush closes a frame once it holds this many bytes and starts the next one. */
  readonly batchBytesMax: number;
  /** Messages waiting per destination; beyond it new messages are dropped. */
  readonly sendQueueMessagesMax: number;
  /** Estimated bytes waiting per destination; beyond it new messages are dropped. */
  readonly sendQueueBytesMax: number;
  /** Bytes written to a socket and not yet sent before the flush waits for 'drain'. */
  readonly socketBufferBytesMax: number;
  /** From TCP connect until both handshakes are exchanged. */
  readonly handshakeTimeoutMs: number;
  readonly reconnectDelayMsMin: number;
  readonly reconnectDelayMsMax: number;
  /** TCP keep-alive probe delay. */
  readonly keepAliveMs: number;
  /** A ready connection with nothing else to send sends a ping frame this often. */
  readonly pingIntervalMs: number;
  /** A ready connection that received nothing (not even a ping) for this long is closed. */
  readonly idleTimeoutMs: number;
  /** Inbound connections still in their (TLS or transport) handshake; more are refused. */
  readonly inboundHandshakesMax: number;
}

export const transportLimitsDefault: TransportLimits = {
  frameBytesMax: frameBytesMaxDefault,
  batchBytesMax: 1024 * 1024,
  sendQueueMessagesMax: 10_000,
  sendQueueBytesMax: 64 * 1024 * 1024,
  socketBufferBytesMax: 16 * 1024 * 1024,
  handshakeTimeoutMs: 5_000,
  reconnectDelayMsMin: 50,
  reconnectDelayMsMax: 5_000,
  keepAliveMs: 10_000,
  inboundHandshakesMax: 64,
  pingIntervalMs: 1_000,
  idleTimeoutMs: 10_000,
};

export interface TcpTransportOptions {
  readonly nodeId: NodeId;
  /** Both ends of a connection must name the same cluster (≤ 256 UTF-8 bytes). */
  readonly clusterId: string;
  /** Where to listen; port 0 picks a free port (see `TcpTransport.address`). */
  readonly listen: { readonly host?: string; readonly port: number };
  /** The other nodes; can be changed later with setPeer/removePeer. */
  readonly peers?: Iterable<readonly [NodeId, PeerAddress]>;
  /** Mutual TLS: both sides present a certificate signed by `ca`; others are refused. */
  readonly tls?: TransportTlsOptions;
  readonly limits?: Partial<TransportLimits>;
  readonly logger?: TransportLogger;
  /** Jitter source for reconnection back-off, in [0, 1). Default Math.random. */
  readonly random?: () => number;
}
