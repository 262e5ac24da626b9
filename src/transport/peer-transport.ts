// The TCP transport between nodes (docs/transport.md): one connection per node pair, dialed by the
// node with the lower id; messages queued per destination and flushed once per event-loop turn as
// one frame; bounded queues that drop at their limits; reconnection with jittered back-off;
// optional mutual TLS. Malformed frames and refused handshakes close that connection only.

import type { Socket } from 'node:net';
import {
  isIP,
  connect as netConnect,
  createServer as netCreateServer,
  type Server,
} from 'node:net';
import { connect as tlsConnect, createServer as tlsCreateServer } from 'node:tls';
import { assert, Backoff, type NodeId, type PartitionId } from '../common/index.js';
import type { Message } from '../raft/index.js';
import { MalformedFrameError } from './errors.js';
import {
  clusterIdBytesMax,
  encodeHandshakeFrame,
  encodePingFrame,
  FrameEncoder,
  frameHeaderBytes,
  type Handshake,
  type PartitionMessage,
  protocolVersion,
} from './frame-codec.js';
import {
  type PeerAddress,
  type TcpTransportOptions,
  type TransportLimits,
  type TransportTlsOptions,
  transportLimitsDefault,
} from './options.js';
import { type ConnectionEvents, type ConnectionRole, PeerConnection } from './peer-connection.js';
import { SendQueue } from './send-queue.js';
import {
  emptyTransportStats,
  type MessageHandler,
  silentTransportLogger,
  type Transport,
  type TransportLogger,
  type TransportStats,
} from './transport.js';

interface Peer {
  readonly id: NodeId;
  address: PeerAddress;
  readonly queue: SendQueue;
  /** The connection used to send: for a dialer also while it is handshaking. */
  conn: PeerConnection | undefined;
  /** Dials since the last successful handshake (the back-off exponent). */
  attempts: number;
  dialedBefore: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export interface PeerStatus {
  readonly connected: boolean;
  readonly queuedMessages: number;
  readonly queuedBytes: number;
}

export class TcpTransport implements Transport, AsyncDisposable {
  readonly nodeId: NodeId;
  readonly #clusterId: string;
  readonly #limits: TransportLimits;
  readonly #logger: TransportLogger;
  readonly #reconnectBackoff: Backoff;
  readonly #tls: TransportTlsOptions | undefined;
  readonly #server: Server;
  readonly #peers = new Map<NodeId, Peer>();
  readonly #connections = new Set<PeerConnection>();
  /** Inbound TCP sockets, from accept until close (TLS included: the raw socket). */
  readonly #inbound = new Set<Socket>();
  readonly #dirty = new Set<Peer>();
  readonly #encoder = new FrameEncoder();
  readonly #handshakeFrame: Uint8Array;
  readonly #stats = emptyTransportStats();
  readonly #events: ConnectionEvents;
  #handler: MessageHandler | undefined;
  #reachabilityListener: (() => void) | undefined;
  #immediate: ReturnType<typeof setImmediate> | undefined;
  #ticker: ReturnType<typeof setInterval> | undefined;
  readonly #pingFrame = encodePingFrame();
  #address: PeerAddress | undefined;
  #closed = false;

  /** Listens, then dials the peers of `options.peers` that this node dials. */
  static async start(options: TcpTransportOptions): Promise<TcpTransport> {
    const transport = new TcpTransport(options);
    await transport.#listen(options.listen.host ?? '127.0.0.1', options.listen.port);
    transport.#startTicker();
    for (const [id, address] of options.peers ?? []) transport.setPeer(id, address);
    return transport;
  }

  private constructor(options: TcpTransportOptions) {
    this.nodeId = options.nodeId;
    this.#clusterId = options.clusterId;
    this.#limits = { ...transportLimitsDefault, ...options.limits };
    this.#logger = options.logger ?? silentTransportLogger;
    this.#reconnectBackoff = new Backoff(options.random ?? Math.random, {
      baseMs: this.#limits.reconnectDelayMsMin,
      maxMs: this.#limits.reconnectDelayMsMax,
      jitter: 'equal',
    });
    this.#tls = options.tls;
    checkLimits(this.#limits);
    assert(isNodeId(options.nodeId), `bad node id ${options.nodeId}`);
    assert(
      new TextEncoder().encode(options.clusterId).length <= clusterIdBytesMax,
      'clusterId longer than 256 bytes',
    );
    this.#handshakeFrame = encodeHandshakeFrame({
      protocolVersion,
      clusterId: options.clusterId,
      nodeId: options.nodeId,
    });
    this.#events = {
      validate: (conn, h) => this.#validate(conn.role, conn.expectedPeer, h),
      ready: (conn) => this.#onReady(conn),
      batch: (conn, batch) => this.#onBatch(conn, batch),
      drain: (conn) => this.#onDrain(conn),
      closed: (conn, error) => this.#onClosed(conn, error),
    };
    this.#server = this.#createServer();
  }

  /** The address the transport listens on (the real port when started with port 0). */
  get address(): PeerAddress {
    assert(this.#address !== undefined, 'TcpTransport.address before start');
    return this.#address;
  }

  /** A copy of the counters. */
  stats(): TransportStats {
    return { ...this.#stats };
  }

  peerStatus(id: NodeId): PeerStatus | undefined {
    const peer = this.#peers.get(id);
    if (peer === undefined) return undefined;
    return {
      connected: peer.conn?.isReady ?? false,
      queuedMessages: peer.queue.length,
      queuedBytes: peer.queue.bytes,
    };
  }

  reachable(id: NodeId): boolean {
    return this.#peers.get(id)?.conn?.isReady ?? false;
  }

  onMessages(handler: MessageHandler): void {
    this.#handler = handler;
  }

  onReachabilityChange(listener: () => void): void {
    this.#reachabilityListener = listener;
  }

  /** Adds a peer or changes its address (the connection it dials is then re-established). */
  setPeer(id: NodeId, address: PeerAddress): void {
    assert(isNodeId(id) && id !== this.nodeId, `setPeer: bad peer id ${id}`);
    if (this.#closed) return;
    const existing = this.#peers.get(id);
    if (existing !== undefined) {
      if (existing.address.host === address.host && existing.address.port === address.port) return;
      existing.address = address;
      if (!this.#dials(id)) return;
      clearTimeout(existing.timer);
      existing.conn?.close();
      existing.conn = undefined;
      existing.attempts = 0;
      this.#dial(existing);
      this.#reachabilityListener?.();
      return;
    }
    const peer: Peer = {
      id,
      address,
      queue: new SendQueue(this.#limits.sendQueueMessagesMax, this.#limits.sendQueueBytesMax),
      conn: undefined,
      attempts: 0,
      dialedBefore: false,
      timer: undefined,
    };
    this.#peers.set(id, peer);
    if (this.#dials(id)) this.#dial(peer);
  }

  /** Forgets a peer: closes its connection and drops what was queued for it. */
  removePeer(id: NodeId): void {
    const peer = this.#peers.get(id);
    if (peer === undefined) return;
    this.#peers.delete(id);
    this.#dirty.delete(peer);
    clearTimeout(peer.timer);
    peer.conn?.close();
    this.#stats.messagesDropped += peer.queue.clear();
    this.#reachabilityListener?.();
  }

  send(to: NodeId, partitionId: PartitionId, message: Message): boolean {
    // A receiver closes the connection on a mismatch, so a wrong address is a bug of the caller.
    assert(message.to === to && message.from === this.nodeId, 'send: message from/to mismatch');
    const peer = this.#peers.get(to);
    if (this.#closed || peer === undefined || !peer.queue.push(partitionId, message)) {
      this.#stats.messagesDropped++;
      return false;
    }
    this.#dirty.add(peer);
    if (this.#immediate === undefined) {
      this.#immediate = setImmediate(() => {
        this.#immediate = undefined;
        this.flush();
      });
    }
    return true;
  }

  /** Writes every ready destination's queue as frames, up to the socket buffer limit. */
  flush(): void {
    const dirty = [...this.#dirty];
    this.#dirty.clear();
    for (const peer of dirty) {
      const conn = peer.conn;
      // A peer without a ready connection keeps its queue; the handshake flushes it.
      if (conn?.isReady) this.#flushPeer(peer, conn);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    clearInterval(this.#ticker);
    this.#immediate = undefined;
    for (const peer of this.#peers.values()) {
      clearTimeout(peer.timer);
      this.#stats.messagesDropped += peer.queue.clear();
    }
    this.#dirty.clear();
    for (const conn of this.#connections) conn.close();
    for (const socket of this.#inbound) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** For tests: destroys the socket to `id` as a network failure would. */
  dropConnection(id: NodeId): boolean {
    const conn = this.#peers.get(id)?.conn;
    conn?.destroySocket();
    return conn !== undefined;
  }

  #startTicker(): void {
    const { pingIntervalMs, idleTimeoutMs } = this.#limits;
    const idleTicksMax = Math.ceil(idleTimeoutMs / pingIntervalMs);
    this.#ticker = setInterval(() => {
      for (const conn of this.#connections) conn.tick(idleTicksMax, this.#pingFrame);
    }, pingIntervalMs);
  }

  /** The lower id dials: exactly one connection per node pair, no tie-break needed. */
  #dials(peer: NodeId): boolean {
    return this.nodeId < peer;
  }

  #flushPeer(peer: Peer, conn: PeerConnection): void {
    const { frameBytesMax, batchBytesMax, socketBufferBytesMax } = this.#limits;
    const enc = this.#encoder;
    while (peer.queue.length > 0 && conn.bufferedBytes < socketBufferBytesMax) {
      enc.beginBatch();
      for (let item = peer.queue.peek(); item !== undefined; item = peer.queue.peek()) {
        const bytes = enc.frameBytes;
        const count = enc.messageCount;
        enc.add(item.partitionId, item.message);
        if (enc.frameBytes > frameBytesMax) {
          enc.rollback(bytes, count);
          if (count > 0) break; // the frame is full; this message starts the next one
          peer.queue.shift();
          this.#stats.messagesDropped++;
          this.#logger.warn(`dropped a message to node ${peer.id} larger than frameBytesMax`);
          continue;
        }
        peer.queue.shift();
        if (enc.frameBytes >= batchBytesMax) break;
      }
      const n = enc.messageCount;
      if (n === 0) {
        enc.cancel();
        break;
      }
      conn.send(enc.finishBatch());
      this.#stats.messagesSent += n;
    }
    // Whatever is left waits for the socket's 'drain' event (see #onDrain).
    if (peer.queue.length > 0) {
      this.#logger.debug(`node ${this.nodeId}: socket to node ${peer.id} full, waiting for drain`);
    }
  }

  #validate(role: ConnectionRole, expected: NodeId | undefined, h: Handshake): string | undefined {
    if (h.protocolVersion !== protocolVersion) {
      return `protocol version ${h.protocolVersion}, expected ${protocolVersion}`;
    }
    if (h.clusterId !== this.#clusterId) {
      return `cluster id ${JSON.stringify(h.clusterId)}, expected ${JSON.stringify(this.#clusterId)}`;
    }
    if (role === 'dialer') {
      return h.nodeId === expected ? undefined : `dialed node ${expected}, answered by ${h.nodeId}`;
    }
    if (!this.#peers.has(h.nodeId)) return `unknown node ${h.nodeId}`;
    if (h.nodeId > this.nodeId) {
      return `node ${h.nodeId} dialed node ${this.nodeId}: the lower id dials`;
    }
    return undefined;
  }

  #onReady(conn: PeerConnection): void {
    const id = conn.peer;
    assert(id !== undefined, 'ready connection without a peer id');
    const peer = this.#peers.get(id);
    if (peer === undefined) {
      conn.close(); // removed during the handshake
      return;
    }
    if (conn.role === 'acceptor' && peer.conn !== conn) {
      // A new connection from the same node replaces the old one (likely half-open).
      peer.conn?.close();
      peer.conn = conn;
    }
    assert(peer.conn === conn, 'a ready dialed connection is the peer connection');
    peer.attempts = 0;
    this.#logger.info(`node ${this.nodeId}: connected to node ${id} (${conn.remoteAddress})`);
    if (peer.queue.length > 0) this.#flushPeer(peer, conn);
  }

  #onBatch(conn: PeerConnection, batch: PartitionMessage[]): void {
    const from = conn.peer;
    assert(from !== undefined, 'batch before the handshake');
    for (const { message } of batch) {
      if (message.from !== from || message.to !== this.nodeId) {
        this.#stats.malformedFrames++;
        conn.close(
          new MalformedFrameError(
            `malformed frame: node ${from} sent a message from ${message.from} to ${message.to}`,
          ),
        );
        return;
      }
    }
    this.#stats.messagesReceived += batch.length;
    this.#handler?.(from, batch);
  }

  #onDrain(conn: PeerConnection): void {
    const peer = conn.peer === undefined ? undefined : this.#peers.get(conn.peer);
    if (peer !== undefined && peer.conn === conn && conn.isReady && peer.queue.length > 0) {
      this.#flushPeer(peer, conn);
    }
  }

  #onClosed(conn: PeerConnection, error: Error | undefined): void {
    this.#connections.delete(conn);
    const id = conn.expectedPeer ?? conn.peer;
    const who = id === undefined ? conn.remoteAddress : `node ${id} (${conn.remoteAddress})`;
    const code = (error as { code?: unknown } | undefined)?.code;
    const why =
      error === undefined
        ? 'closed'
        : `closed${typeof code === 'string' ? ` (${code})` : ''}: ${error.message}`;
    if (this.#closed) this.#logger.debug(`node ${this.nodeId}: connection to ${who} ${why}`);
    else if (error === undefined)
      this.#logger.info(`node ${this.nodeId}: connection to ${who} ${why}`);
    else this.#logger.warn(`node ${this.nodeId}: connection to ${who} ${why}`);
    const peer = id === undefined ? undefined : this.#peers.get(id);
    if (peer === undefined || peer.conn !== conn) return;
    peer.conn = undefined;
    if (conn.role === 'dialer' && !this.#closed) this.#redialLater(peer);
    this.#reachabilityListener?.();
  }

  #redialLater(peer: Peer): void {
    const delay = this.#reconnectBackoff.delayMs(peer.attempts);
    clearTimeout(peer.timer);
    peer.timer = setTimeout(() => {
      peer.timer = undefined;
      this.#dial(peer);
    }, delay);
  }

  #dial(peer: Peer): void {
    if (this.#closed || this.#peers.get(peer.id) !== peer) return;
    assert(peer.conn === undefined, 'dial while a connection to the peer exists');
    if (peer.dialedBefore) this.#stats.reconnects++;
    peer.dialedBefore = true;
    peer.attempts++;
    this.#stats.connectionsDialed++;
    const { host, port } = peer.address;
    const socket = this.#tls
      ? tlsConnect({
          host,
          port,
          ca: toPem(this.#tls.ca),
          cert: toPem(this.#tls.cert),
          key: toPem(this.#tls.key),
          servername: isIP(host) === 0 ? host : undefined,
        })
      : netConnect({ host, port });
    peer.conn = this.#connection(socket, 'dialer', peer.id);
  }

  #connection(socket: Socket, role: ConnectionRole, expectedPeer?: NodeId): PeerConnection {
    const conn = new PeerConnection(
      socket,
      {
        role,
        expectedPeer,
        handshakeFrame: this.#handshakeFrame,
        frameBytesMax: this.#limits.frameBytesMax,
        handshakeTimeoutMs: this.#limits.handshakeTimeoutMs,
        keepAliveMs: this.#limits.keepAliveMs,
      },
      this.#events,
      this.#stats,
    );
    this.#connections.add(conn);
    return conn;
  }

  #createServer(): Server {
    const tls = this.#tls;
    if (tls === undefined) {
      const server = netCreateServer();
      server.on('connection', (socket) => {
        if (this.#admit(socket)) this.#accept(socket);
      });
      return server;
    }
    const server = tlsCreateServer({
      ca: toPem(tls.ca),
      cert: toPem(tls.cert),
      key: toPem(tls.key),
      requestCert: true,
      rejectUnauthorized: true,
      handshakeTimeout: this.#limits.handshakeTimeoutMs,
    });
    // 'connection' is the raw TCP socket, before TLS; 'secureConnection' an authenticated peer.
    server.on('connection', (socket) => this.#admit(socket));
    server.on('secureConnection', (socket) => this.#accept(socket));
    server.on('tlsClientError', (error, socket) => {
      this.#stats.tlsErrors++;
      const from = `${socket.remoteAddress}:${socket.remotePort}`;
      this.#logger.warn(`node ${this.nodeId}: TLS refused ${from}: ${error.message}`);
    });
    return server;
  }

  /**
   * Tracks an inbound TCP socket (close() destroys them all, authenticated or not) and refuses it
   * when `inboundHandshakesMax` connections are already waiting for their handshake.
   */
  #admit(socket: Socket): boolean {
    let ready = 0;
    for (const conn of this.#connections) if (conn.role === 'acceptor' && conn.isReady) ready++;
    if (this.#closed || this.#inbound.size - ready >= this.#limits.inboundHandshakesMax) {
      if (!this.#closed) {
        this.#stats.handshakesRefused++;
        this.#logger.warn(`node ${this.nodeId}: too many connections waiting for a handshake`);
      }
      socket.destroy();
      return false;
    }
    this.#inbound.add(socket);
    socket.once('close', () => this.#inbound.delete(socket));
    return true;
  }

  #accept(socket: Socket): void {
    if (this.#closed) {
      socket.destroy();
      return;
    }
    this.#stats.connectionsAccepted++;
    this.#connection(socket, 'acceptor');
  }

  async #listen(host: string, port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    this.#server.on('error', (error) => this.#logger.warn(`listener error: ${error.message}`));
    const bound = this.#server.address();
    assert(bound !== null && typeof bound === 'object', 'listening server has an address');
    this.#address = { host: bound.address, port: bound.port };
  }
}

/** Node ids are positive (0 means "none" in Raft's hard state). */
function isNodeId(id: number): boolean {
  return Number.isSafeInteger(id) && id > 0;
}

function toPem(v: string | Uint8Array): string | Buffer {
  return typeof v === 'string' ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

function checkLimits(l: TransportLimits): void {
  assert(l.frameBytesMax > frameHeaderBytes + 64, 'frameBytesMax too small');
  assert(l.batchBytesMax > 0 && l.batchBytesMax <= l.frameBytesMax, 'batchBytesMax out of range');
  assert(l.socketBufferBytesMax > 0, 'socketBufferBytesMax must be > 0');
  assert(l.handshakeTimeoutMs > 0, 'handshakeTimeoutMs must be > 0');
  assert(l.reconnectDelayMsMin > 0, 'reconnectDelayMsMin must be > 0');
  assert(l.reconnectDelayMsMax >= l.reconnectDelayMsMin, 'reconnectDelayMsMax < Min');
  assert(l.keepAliveMs > 0, 'keepAliveMs must be > 0');
  assert(l.inboundHandshakesMax > 0, 'inboundHandshakesMax must be > 0');
  assert(l.pingIntervalMs > 0, 'pingIntervalMs must be > 0');
  assert(l.idleTimeoutMs >= 2 * l.pingIntervalMs, 'idleTimeoutMs must be ≥ 2 × pingIntervalMs');
}
