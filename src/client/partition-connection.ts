// The client end of one partition stream (DESIGN §7, docs/protocol.md): one bidirectional gRPC
// stream to one node. Calls and cancels sent during one event-loop turn leave in one frame
// (setImmediate, never a timer); replies come back as the session layer's CallReply. When the
// stream breaks the owner hears of it once, and the next send opens a new stream.
// Invariant: #unsent holds exactly the calls and cancels not yet handed to the stream's writer.

import type { SecureClientSessionOptions } from 'node:http2';
import { setImmediate } from 'node:timers';
import { type Client, createClient } from '@connectrpc/connect';
import { createGrpcTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { assert, type NodeId, nodeId, type PartitionId, safeNumber } from '../common/index.js';
import type { ServiceResult } from '../fsm/index.js';
import { type QueryOutput, Status } from '../gen/multiraft/v1/output_pb.js';
import type {
  PartitionRequestFrame,
  PartitionResponseFrame,
} from '../gen/multiraft/v1/partition_frames_pb.js';
import type { PartitionReply } from '../gen/multiraft/v1/partition_pb.js';
import { decodeReply, encodeCall, PartitionFrames } from '../protocol/index.js';
import type { CallPayload, CallReply } from '../session/index.js';
import { ClientClosedError, ConnectionLostError, SendQueueFullError } from './errors.js';

export interface PartitionConnectionLimits {
  /** Calls and cancels waiting to be written; a send beyond it throws SendQueueFullError. */
  readonly unsentCallsMax: number;
  /** Calls per request frame; at most the server's `callsPerFrameMax`. */
  readonly callsPerFrameMax: number;
  /** Request frames are cut at about this size (a single larger call goes alone). */
  readonly requestFrameBytesMax: number;
  /** The gRPC receive limit of one reply frame (the server splits frames well below it). */
  readonly replyFrameBytesMax: number;
  /** HTTP/2 PING interval while a stream is open: how soon a silent dead node is noticed. */
  readonly pingIntervalMs: number;
  /** How long `close()` waits for the node to end the stream before resetting it. */
  readonly closeGraceMs: number;
}

export const partitionConnectionLimitsDefault: PartitionConnectionLimits = {
  unsentCallsMax: 65_536,
  callsPerFrameMax: 4_096,
  requestFrameBytesMax: 1024 * 1024,
  replyFrameBytesMax: 16 * 1024 * 1024,
  pingIntervalMs: 10_000,
  closeGraceMs: 1_000,
};

/**
 * TLS to a node's API port (docs/tls.md). The node's certificate must chain to `ca` (default the
 * system's roots) and name the host dialed; `cert` and `key` are presented to a node that asks for
 * a client certificate.
 */
export interface ClientTlsOptions {
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
}

/** How a stream ended, reported once per stream. */
export interface ConnectionLost {
  readonly error: ConnectionLostError;
  /** Calls that certainly never reached the node: they were still queued. */
  readonly unsent: readonly number[];
}

export interface PartitionConnectionOptions {
  /** `host:port`, or a URL such as `http://host:port` or `https://host:port`. */
  readonly address: string;
  /** Dial `host:port` with TLS (an `https://` address uses TLS with the system's roots). */
  readonly tls?: ClientTlsOptions;
  readonly onReply: (reply: CallReply) => void;
  /** The stream broke or the node ended it; every call sent on it is over on the node. */
  readonly onLost: (lost: ConnectionLost) => void;
  /** A NOT_LEADER reply named the leader's API address. */
  readonly onLeaderAddress?: (leader: NodeId, address: string) => void;
  readonly limits?: Partial<PartitionConnectionLimits>;
  /** Aborting it closes the connection. */
  readonly signal?: AbortSignal;
}

/** A call or cancel waiting to be written, already encoded. */
interface UnsentCall {
  readonly id: number;
  readonly cancel: boolean;
  readonly encoded: Uint8Array;
}

interface StreamState {
  readonly abort: AbortController;
  /** The writer waits here for the next frame. */
  wake: (() => void) | undefined;
  /** The client half-closed: the writer returns once the queue is empty. */
  ending: boolean;
  readonly finished: Promise<void>;
}

export class PartitionConnection implements AsyncDisposable {
  readonly address: string;
  readonly #o: PartitionConnectionOptions;
  readonly #limits: PartitionConnectionLimits;
  readonly #sessions: Http2SessionManager;
  readonly #client: Client<typeof PartitionFrames>;
  #unsent: UnsentCall[] = [];
  #flushScheduled = false;
  #stream: StreamState | undefined;
  #closed = false;
  #onAbort: (() => void) | undefined;

  constructor(options: PartitionConnectionOptions) {
    this.#o = options;
    this.#limits = { ...partitionConnectionLimitsDefault, ...options.limits };
    for (const [name, value] of Object.entries(this.#limits)) {
      assert(Number.isSafeInteger(value) && value > 0, `limit ${name} must be positive: ${value}`);
    }
    this.address = options.address;
    const scheme = options.tls === undefined ? 'http' : 'https';
    const baseUrl = options.address.includes('://')
      ? options.address
      : `${scheme}://${options.address}`;
    assert(
      options.tls === undefined || baseUrl.startsWith('https://'),
      `TLS options given for a plain-text address: ${options.address}`,
    );
    this.#sessions = new Http2SessionManager(
      baseUrl,
      { pingIntervalMs: this.#limits.pingIntervalMs },
      options.tls === undefined ? undefined : secureOptions(options.tls),
    );
    const transport = createGrpcTransport({
      baseUrl,
      sessionManager: this.#sessions,
      readMaxBytes: this.#limits.replyFrameBytesMax,
      // Replies are small or carry already compressed user values; compression costs CPU.
      acceptCompression: [],
    });
    this.#client = createClient(PartitionFrames, transport);
    const signal = options.signal;
    if (signal !== undefined) {
      this.#onAbort = () => void this.close();
      signal.addEventListener('abort', this.#onAbort, { once: true });
      if (signal.aborted) this.#closed = true;
    }
  }

  /** Calls and cancels waiting to be written. */
  get unsentCount(): number {
    return this.#unsent.length;
  }

  /** Whether a stream is open (or opening). */
  get connected(): boolean {
    return this.#stream !== undefined;
  }

  /** Queues call `callId` for the next frame, opening a stream if none is open. */
  send(callId: number, partition: PartitionId, payload: CallPayload): void {
    if (this.#closed) throw new ClientClosedError(`the connection to ${this.address}`);
    if (this.#unsent.length >= this.#limits.unsentCallsMax) {
      throw new SendQueueFullError(this.address, this.#limits.unsentCallsMax);
    }
    const kind =
      payload.kind === 'propose'
        ? ({ case: 'command', value: payload.input } as const)
        : ({ case: 'query', value: payload.input } as const);
    const encoded = encodeCall({
      $typeName: 'multiraft.v1.PartitionCall',
      callId: BigInt(callId),
      partitionId: partition,
      kind,
      forward: payload.forward === true,
    });
    this.#queue({ id: callId, cancel: false, encoded });
  }

  /**
   * Ends call `callId` on the node: no further replies. Dropped when no stream is open (the node
   * ended every call of a broken stream) or when the queue is full (the call ends on its own).
   */
  cancel(callId: number, partition: PartitionId): void {
    if (this.#closed || this.#stream === undefined) return;
    if (this.#unsent.length >= this.#limits.unsentCallsMax) return;
    const encoded = encodeCall({
      $typeName: 'multiraft.v1.PartitionCall',
      callId: BigInt(callId),
      partitionId: partition,
      kind: { case: 'cancel', value: { $typeName: 'multiraft.v1.Cancel' } },
      forward: false,
    });
    this.#queue({ id: callId, cancel: true, encoded });
  }

  /**
   * Sends what is queued, half-closes the stream (the node ends every call of it) and waits for
   * the node to end it, at most `closeGraceMs`. Later sends throw ClientClosedError.
   */
  async close(): Promise<void> {
    if (this.#onAbort !== undefined) this.#o.signal?.removeEventListener('abort', this.#onAbort);
    this.#closed = true;
    const state = this.#stream;
    if (state !== undefined) {
      state.ending = true;
      state.wake?.();
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.#limits.closeGraceMs);
      });
      await Promise.race([state.finished, grace]);
      clearTimeout(timer);
      state.abort.abort();
    }
    this.#stream = undefined;
    this.#unsent = [];
    this.#sessions.abort();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #queue(call: UnsentCall): void {
    this.#unsent.push(call);
    const state = this.#stream ?? this.#open();
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      state.wake?.();
    });
  }

  #open(): StreamState {
    const abort = new AbortController();
    let finish = () => {};
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const state: StreamState = { abort, wake: undefined, ending: false, finished };
    this.#stream = state;
    const replies = this.#client.stream(this.#requests(state), { signal: abort.signal });
    void this.#read(state, replies).finally(finish);
    return state;
  }

  /** The request side: one frame per wake-up, as connect pulls them. */
  async *#requests(state: StreamState): AsyncGenerator<PartitionRequestFrame> {
    while (this.#stream === state) {
      // Calls queued in this turn wait for its end, so they share one frame.
      if (this.#unsent.length > 0 && !this.#flushScheduled) {
        yield this.#takeFrame();
        continue;
      }
      if (state.ending && this.#unsent.length === 0) return;
      await new Promise<void>((resolve) => {
        state.wake = resolve;
      });
      state.wake = undefined;
    }
  }

  #takeFrame(): PartitionRequestFrame {
    let n = 0;
    let bytes = 0;
    while (n < this.#unsent.length && n < this.#limits.callsPerFrameMax) {
      const size = (this.#unsent[n] as UnsentCall).encoded.length;
      if (n > 0 && bytes + size > this.#limits.requestFrameBytesMax) break;
      bytes += size;
      n++;
    }
    assert(n > 0, 'a frame is taken only when calls wait');
    const calls = this.#unsent.splice(0, n).map((call) => call.encoded);
    return { $typeName: 'multiraft.v1.PartitionRequestFrame', calls };
  }

  async #read(state: StreamState, replies: AsyncIterable<PartitionResponseFrame>) {
    let cause: unknown;
    try {
      for await (const frame of replies) {
        // Decoded whole before any is delivered: a malformed frame breaks the stream, as before.
        for (const reply of frame.replies.map(decodeReply)) this.#deliver(reply);
      }
    } catch (error) {
      cause = error;
    }
    if (this.#stream !== state) return;
    this.#stream = undefined;
    state.abort.abort();
    const unsent: number[] = [];
    for (const call of this.#unsent) {
      if (!call.cancel) unsent.push(call.id);
    }
    this.#unsent = [];
    state.wake?.();
    if (this.#closed) return;
    const error = new ConnectionLostError(this.address, { cause: cause ?? 'the node ended it' });
    this.#o.onLost({ error, unsent });
  }

  #deliver(reply: PartitionReply): void {
    const call = safeNumber(reply.callId);
    if (call === undefined) return;
    const kind = reply.kind;
    switch (kind.case) {
      case 'output':
        this.#o.onReply({ kind: 'output', call, output: kind.value });
        return;
      case 'result': {
        const index = safeNumber(kind.value.index) ?? 0;
        this.#o.onReply({ kind: 'result', call, result: serviceResult(kind.value), index });
        if (kind.value.done) this.#o.onReply({ kind: 'end', call });
        return;
      }
      case 'end':
        this.#o.onReply({ kind: 'end', call });
        return;
      case 'error': {
        const e = kind.value;
        const leader = safeNumber(e.leaderId) ?? 0;
        if (leader !== 0 && e.leaderAddress !== '') {
          this.#o.onLeaderAddress?.(nodeId(leader), e.leaderAddress);
        }
        const { code, safeToRetry } = e;
        this.#o.onReply({ kind: 'error', call, code, leaderHint: leader, safeToRetry });
        return;
      }
      default:
        // A reply kind of a newer node: nothing this client can act on.
        return;
    }
  }
}

function serviceResult(output: QueryOutput): ServiceResult {
  if (output.status === Status.OK) return { status: Status.OK, payload: output.payload };
  return {
    status: output.status,
    message: output.message,
    ...(output.current.length > 0 ? { current: output.current } : {}),
  };
}

/** node:tls options (an absent `ca` keeps Node's default roots). */
export function secureOptions({ ca, cert, key }: ClientTlsOptions): SecureClientSessionOptions {
  const list = ca === undefined || typeof ca === 'string' || Buffer.isBuffer(ca) ? ca : [...ca];
  return { ca: list, cert, key };
}
