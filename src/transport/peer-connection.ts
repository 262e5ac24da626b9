// One TCP (or TLS) connection to a peer node: framing, the handshake in both directions, the
// handshake timeout, pings and the idle timeout. The transport decides what a connection is for;
// this class only speaks the protocol on one socket and reports events through `ConnectionEvents`.

import type { Socket } from 'node:net';
import { assert, type NodeId } from '../common/index.js';
import { HandshakeError, IdleTimeoutError, MalformedFrameError } from './errors.js';
import { FrameDecoder, FrameType, type Handshake, type PartitionMessage } from './frame-codec.js';
import type { TransportStats } from './transport.js';

export type ConnectionRole = 'dialer' | 'acceptor';

export interface ConnectionEvents {
  /** Checks the peer's handshake; returns why it is refused, or undefined to accept it. */
  validate(conn: PeerConnection, handshake: Handshake): string | undefined;
  ready(conn: PeerConnection): void;
  batch(conn: PeerConnection, batch: PartitionMessage[]): void;
  drain(conn: PeerConnection): void;
  /** Called once, after the socket closed; `error` says why when it was not a clean close. */
  closed(conn: PeerConnection, error: Error | undefined): void;
}

export interface ConnectionOptions {
  readonly role: ConnectionRole;
  /** For a dialer: the node it dialed, which must answer the handshake. */
  readonly expectedPeer: NodeId | undefined;
  /** Our handshake frame, sent first by the dialer and in reply by the acceptor. */
  readonly handshakeFrame: Uint8Array;
  readonly frameBytesMax: number;
  readonly handshakeTimeoutMs: number;
  readonly keepAliveMs: number;
}

export class PeerConnection {
  readonly role: ConnectionRole;
  readonly expectedPeer: NodeId | undefined;
  readonly #socket: Socket;
  readonly #options: ConnectionOptions;
  readonly #events: ConnectionEvents;
  readonly #stats: TransportStats;
  readonly #decoder: FrameDecoder;
  #state: 'handshaking' | 'ready' | 'closing' | 'closed' = 'handshaking';
  #peer: NodeId | undefined;
  #error: Error | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Ping intervals since bytes last arrived; and whether we wrote since the last interval. */
  #idleTicks = 0;
  #wroteSinceTick = false;
  #remote: string;

  constructor(
    socket: Socket,
    options: ConnectionOptions,
    events: ConnectionEvents,
    stats: TransportStats,
  ) {
    this.role = options.role;
    this.expectedPeer = options.expectedPeer;
    assert((options.role === 'dialer') === (options.expectedPeer !== undefined), 'dialer peer');
    this.#socket = socket;
    this.#options = options;
    this.#events = events;
    this.#stats = stats;
    this.#decoder = new FrameDecoder(options.frameBytesMax);
    this.#remote = remoteOf(socket);
    socket.once('connect', () => {
      this.#remote = remoteOf(socket);
    });
    socket.setNoDelay(true);
    socket.setKeepAlive(true, options.keepAliveMs);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('drain', () => this.#events.drain(this));
    socket.on('error', (error) => this.close(error));
    socket.on('close', () => this.#onClose());
    this.#timer = setTimeout(
      () => this.close(new HandshakeError('handshake timed out')),
      options.handshakeTimeoutMs,
    );
    if (options.role === 'dialer') this.#write(options.handshakeFrame);
  }

  /** The peer's node id, known once its handshake arrived. */
  get peer(): NodeId | undefined {
    return this.#peer;
  }

  get isReady(): boolean {
    return this.#state === 'ready';
  }

  get isOpen(): boolean {
    return this.#state === 'handshaking' || this.#state === 'ready';
  }

  /** Bytes handed to the socket and not yet sent to the kernel. */
  get bufferedBytes(): number {
    return this.#socket.writableLength;
  }

  /** host:port of the other end, as seen when the connection was made. */
  get remoteAddress(): string {
    return this.#remote;
  }

  /** Writes a frame; only on a ready connection. */
  send(frame: Uint8Array): void {
    assert(this.#state === 'ready', 'PeerConnection.send before the handshake');
    this.#write(frame);
  }

  /** Closes the socket at once; `error` is reported to `closed` (the first one wins). */
  close(error?: Error): void {
    if (this.#state === 'closing' || this.#state === 'closed') return;
    this.#state = 'closing';
    this.#error = error;
    clearTimeout(this.#timer);
    this.#socket.destroy();
  }

  /**
   * Called every ping interval: closes the connection when nothing arrived for more than
   * `idleTicksMax` intervals, and sends `pingFrame` when nothing else was sent in the last one.
   */
  tick(idleTicksMax: number, pingFrame: Uint8Array): void {
    if (this.#state !== 'ready') return;
    this.#idleTicks++;
    if (this.#idleTicks > idleTicksMax) {
      this.close(new IdleTimeoutError(`nothing received for ${idleTicksMax} ping intervals`));
      return;
    }
    if (!this.#wroteSinceTick) this.#write(pingFrame);
    this.#wroteSinceTick = false;
  }

  /** For tests: drops the socket as a network failure would. */
  destroySocket(): void {
    this.#socket.destroy();
  }

  #write(frame: Uint8Array): void {
    this.#stats.bytesSent += frame.length;
    this.#stats.framesSent++;
    this.#wroteSinceTick = true;
    this.#socket.write(frame);
  }

  #onData(chunk: Buffer): void {
    if (!this.isOpen) return;
    this.#stats.bytesReceived += chunk.length;
    this.#idleTicks = 0;
    const result = this.#decoder.push(chunk);
    if (!result.ok) {
      this.#stats.malformedFrames++;
      this.close(result.error);
      return;
    }
    for (const frame of result.value) {
      if (!this.isOpen) return;
      this.#stats.framesReceived++;
      if (this.#state === 'handshaking') {
        if (frame.type !== FrameType.Handshake) {
          this.#refuse('the first frame is not a handshake');
        } else {
          this.#onHandshake(frame.handshake);
        }
      } else if (frame.type === FrameType.Batch) {
        this.#events.batch(this, frame.batch);
      } else if (frame.type === FrameType.Ping) {
        // Nothing to do: any bytes received reset the idle count.
      } else {
        this.#stats.malformedFrames++;
        this.close(new MalformedFrameError('malformed frame: a second handshake'));
      }
    }
  }

  #onHandshake(handshake: Handshake): void {
    const refused = this.#events.validate(this, handshake);
    if (refused !== undefined) {
      this.#refuse(refused);
      return;
    }
    this.#peer = handshake.nodeId;
    if (this.role === 'acceptor') this.#write(this.#options.handshakeFrame);
    this.#state = 'ready';
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#events.ready(this);
  }

  #refuse(why: string): void {
    this.#stats.handshakesRefused++;
    this.close(new HandshakeError(`handshake refused: ${why}`));
  }

  #onClose(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    clearTimeout(this.#timer);
    this.#events.closed(this, this.#error);
  }
}

function remoteOf(socket: Socket): string {
  return `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
}
