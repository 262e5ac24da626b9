// The server side of the partition protocol (DESIGN §7, docs/protocol.md):
// `multiraft.v1.Partition/Stream`, served through connect-es on the node's HTTP/2 port as frames
// of encoded calls and replies (src/protocol). It only adapts frames to a PartitionBackend (the
// node host) and back; it holds no business logic.

import type { ConnectRouter, ServiceImpl } from '@connectrpc/connect';
import { assert, type NodeId, type PartitionId } from '../common/index.js';
import type { PartitionInput } from '../gen/atomix/multiraft/v1/fsm_pb.js';
import type { QueryInput } from '../gen/multiraft/v1/output_pb.js';
import type { PartitionRequestFrame } from '../gen/multiraft/v1/partition_frames_pb.js';
import { PartitionFrames } from '../protocol/index.js';
import type { CommandCaller, QueryCaller } from '../replica/index.js';
import { PartitionStream } from './partition-stream.js';

/**
 * What the partition protocol needs from the node. Implementations report every failure through
 * the caller (`fail()`), never by throwing.
 */
export interface PartitionBackend {
  /**
   * Proposes on the local replica of `partition`; outputs and errors go to `caller`. With
   * `forward`, a node that does not lead the partition may forward the call to its leader.
   */
  propose(
    partition: PartitionId,
    input: PartitionInput,
    caller: CommandCaller,
    forward: boolean,
  ): void;
  /** A linearizable query on the local replica of `partition` (`forward` as for propose). */
  query(partition: PartitionId, input: QueryInput, caller: QueryCaller, forward: boolean): void;
  /** The advertised API address of a node, for NOT_LEADER replies. */
  apiAddressOf(node: NodeId): string | undefined;
}

/** Every limit of one stream; each has a stated overflow policy. */
export interface PartitionServiceLimits {
  /** Calls one request frame may carry; each call beyond it: RESOURCE_EXHAUSTED (cancels pass). */
  readonly callsPerFrameMax: number;
  /** Open calls per stream; a call beyond it: RESOURCE_EXHAUSTED, safe to retry. */
  readonly openCallsPerStreamMax: number;
  /** Reply frames are split at about this size; a single larger reply goes alone. */
  readonly replyFrameBytesMax: number;
  /**
   * Replies produced and not yet taken by a client that does not read: beyond it the stream ends
   * with RESOURCE_EXHAUSTED and its calls are closed (a slow consumer never grows memory).
   */
  readonly pendingReplyBytesMax: number;
  /** The gRPC receive limit of one request frame (the client splits frames well below it). */
  readonly requestFrameBytesMax: number;
}

export const partitionServiceLimitsDefault: PartitionServiceLimits = {
  callsPerFrameMax: 4_096,
  openCallsPerStreamMax: 16_384,
  replyFrameBytesMax: 1024 * 1024,
  pendingReplyBytesMax: 64 * 1024 * 1024,
  requestFrameBytesMax: 16 * 1024 * 1024,
};

export class PartitionService {
  readonly #backend: PartitionBackend;
  readonly #limits: PartitionServiceLimits;
  readonly #streams = new Set<PartitionStream>();
  #closed = false;

  /** The connect-es implementation; `register()` mounts it with the request size limit. */
  readonly impl: ServiceImpl<typeof PartitionFrames>;

  constructor(backend: PartitionBackend, limits: Partial<PartitionServiceLimits> = {}) {
    this.#backend = backend;
    this.#limits = { ...partitionServiceLimitsDefault, ...limits };
    for (const [name, value] of Object.entries(this.#limits)) {
      assert(Number.isSafeInteger(value) && value > 0, `limit ${name} must be positive: ${value}`);
    }
    this.impl = { stream: (requests, context) => this.#open(requests, context.signal) };
  }

  get limits(): PartitionServiceLimits {
    return this.#limits;
  }

  /** Streams currently open. */
  get streamCount(): number {
    return this.#streams.size;
  }

  /** Open calls over all streams. */
  get openCallCount(): number {
    let n = 0;
    for (const stream of this.#streams) n += stream.openCallCount;
    return n;
  }

  /** Mounts the service on a connect router (gRPC, gRPC-web and Connect protocols). */
  register(router: ConnectRouter): void {
    router.service(PartitionFrames, this.impl, {
      readMaxBytes: this.#limits.requestFrameBytesMax,
    });
  }

  /**
   * Ends every stream with UNAVAILABLE and closes its calls; later streams are refused the same
   * way. Call it before closing the HTTP/2 sessions: a bidirectional stream never ends by itself.
   */
  close(): void {
    this.#closed = true;
    for (const stream of [...this.#streams]) stream.shutdown();
  }

  #open(requests: AsyncIterable<PartitionRequestFrame>, signal: AbortSignal) {
    const stream = new PartitionStream(this.#backend, this.#limits, signal);
    if (this.#closed) stream.shutdown();
    this.#streams.add(stream);
    return stream.run(requests, () => this.#streams.delete(stream));
  }
}
