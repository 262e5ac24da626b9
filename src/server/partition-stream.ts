// One client's partition stream on the server: request frames become backend calls, and the
// callers' outputs become reply frames. All replies produced during one event-loop turn leave in
// one frame (setImmediate, never a timer), split only when it grows past the frame size limit.
// Invariant: a call is in #calls exactly while it is open; a closed call sends nothing more.

import { setImmediate } from 'node:timers';
import { Code, ConnectError } from '@connectrpc/connect';
import { assert, type LogIndex, noBytes, partitionId, safeNumber } from '../common/index.js';
import type { ServiceResult } from '../fsm/index.js';
import { type CommandOutput, type QueryOutput, Status } from '../gen/multiraft/v1/output_pb.js';
import type {
  PartitionRequestFrame,
  PartitionResponseFrame,
} from '../gen/multiraft/v1/partition_frames_pb.js';
import type { PartitionCall, PartitionReply } from '../gen/multiraft/v1/partition_pb.js';
import { decodeCall, encodeReply } from '../protocol/index.js';
import type { CommandCaller, QueryCaller } from '../replica/index.js';
import { callErrorOf, PartitionCallError } from './call-error.js';
import type { PartitionBackend, PartitionServiceLimits } from './partition-service.js';

/** Bytes of a reply besides its payloads: ids, tags, lengths, small numbers. */
const replyOverheadBytes = 48;

export class PartitionStream {
  readonly #backend: PartitionBackend;
  readonly #limits: PartitionServiceLimits;
  readonly #signal: AbortSignal;
  readonly #calls = new Map<number, OpenCall>();
  #pending: PartitionReply[] = [];
  #pendingSizes: number[] = [];
  #pendingBytes = 0;
  /** Batches the writer took; a reply pushed during batch b is pending while b is current. */
  #batch = 0;
  #wakeScheduled = false;
  #wake: (() => void) | undefined;
  #ended = false;
  #failure: ConnectError | undefined;
  /** Replies produced before the failure still go out (a shutdown, not a broken client). */
  #flushBeforeFailure = false;

  constructor(backend: PartitionBackend, limits: PartitionServiceLimits, signal: AbortSignal) {
    this.#backend = backend;
    this.#limits = limits;
    this.#signal = signal;
  }

  get openCallCount(): number {
    return this.#calls.size;
  }

  get batch(): number {
    return this.#batch;
  }

  /** The node shuts down: pending replies go out, then the stream ends with UNAVAILABLE. */
  shutdown(): void {
    this.#end(new ConnectError('the node is shutting down', Code.Unavailable), true);
  }

  /** The response side of the stream; `onClose` runs once it is over, however it ends. */
  async *run(
    requests: AsyncIterable<PartitionRequestFrame>,
    onClose: () => void,
  ): AsyncGenerator<PartitionResponseFrame> {
    // The client went away, or the server shuts down through connect's `shutdownSignal`.
    const onAbort = () =>
      this.#end(ConnectError.from(this.#signal.reason ?? 'stream aborted', Code.Canceled), false);
    this.#signal.addEventListener('abort', onAbort, { once: true });
    if (this.#signal.aborted) onAbort();
    void this.#read(requests);
    try {
      for (;;) {
        if (this.#failure !== undefined && !this.#flushBeforeFailure) throw this.#failure;
        if (this.#pending.length > 0) {
          for (const frame of this.#takeFrames()) yield frame;
          continue;
        }
        if (this.#ended) {
          if (this.#failure !== undefined) throw this.#failure;
          return;
        }
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        this.#wake = undefined;
      }
    } finally {
      this.#signal.removeEventListener('abort', onAbort);
      this.#end(undefined, false);
      onClose();
    }
  }

  /** Queues one reply for the next frame. */
  push(reply: PartitionReply, bytes: number): void {
    if (this.#ended) return;
    this.#pending.push(reply);
    this.#pendingSizes.push(bytes);
    this.#pendingBytes += bytes;
    if (this.#pendingBytes > this.#limits.pendingReplyBytesMax) {
      this.#pending = [];
      this.#pendingSizes = [];
      this.#pendingBytes = 0;
      const max = this.#limits.pendingReplyBytesMax;
      const message = `more than ${max} bytes of replies wait for the client to read them`;
      this.#end(new ConnectError(message, Code.ResourceExhausted), false);
      return;
    }
    if (this.#wakeScheduled) return;
    this.#wakeScheduled = true;
    setImmediate(() => {
      this.#wakeScheduled = false;
      this.#wake?.();
    });
  }

  /** The call is over: it leaves the open set and sends nothing more after this reply. */
  release(call: OpenCall): void {
    call.close();
    this.#calls.delete(call.id);
  }

  errorReply(callId: bigint, error: Error): void {
    const e = callErrorOf(error);
    const leaderAddress =
      e.leaderHint === 0 ? '' : (this.#backend.apiAddressOf(e.leaderHint) ?? '');
    const value = {
      code: e.code,
      message: e.message,
      leaderId: BigInt(e.leaderHint),
      leaderAddress,
      safeToRetry: e.safeToRetry,
    };
    const bytes = replyOverheadBytes + e.code.length + e.message.length + leaderAddress.length;
    this.push(
      {
        $typeName: 'multiraft.v1.PartitionReply',
        callId,
        kind: { case: 'error', value: { $typeName: 'multiraft.v1.CallError', ...value } },
      },
      bytes,
    );
  }

  async #read(requests: AsyncIterable<PartitionRequestFrame>): Promise<void> {
    try {
      for await (const request of requests) {
        if (this.#ended) return;
        this.#frame(decodeCalls(request.calls));
      }
      // The client half-closed: it wants no more replies, so every call ends with the stream.
      this.#end(undefined, true);
    } catch (error) {
      this.#end(ConnectError.from(error), false);
    }
  }

  #end(failure: ConnectError | undefined, flush: boolean): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#failure = failure;
    this.#flushBeforeFailure = flush;
    for (const call of this.#calls.values()) call.close();
    this.#calls.clear();
    this.#wake?.();
  }

  #frame(calls: readonly PartitionCall[]): void {
    const max = this.#limits.callsPerFrameMax;
    for (let i = 0; i < calls.length && !this.#ended; i++) {
      const call = calls[i] as PartitionCall;
      if (i >= max && call.kind.case !== 'cancel') {
        const message = `more than ${max} calls in one frame`;
        this.errorReply(call.callId, new PartitionCallError('RESOURCE_EXHAUSTED', message));
      } else {
        this.#call(call);
      }
    }
  }

  #call(call: PartitionCall): void {
    const id = safeNumber(call.callId);
    if (call.kind.case === 'cancel') {
      const open = id === undefined ? undefined : this.#calls.get(id);
      // A call already over (its last reply may be on its way) has nothing to cancel.
      if (open !== undefined) this.release(open);
      return;
    }
    const refuse = (code: PartitionCallError['code'], message: string) =>
      this.errorReply(call.callId, new PartitionCallError(code, message));
    if (id === undefined || id === 0) return refuse('INVALID', 'call_id must be in 1..2^53 − 1');
    if (this.#calls.has(id)) return refuse('INVALID', `call ${id} is already open`);
    if (call.partitionId === 0) return refuse('INVALID', 'partition_id must be set');
    if (call.kind.case === undefined) return refuse('INVALID', 'the call has no command or query');
    if (this.#calls.size >= this.#limits.openCallsPerStreamMax) {
      const max = this.#limits.openCallsPerStreamMax;
      return refuse('RESOURCE_EXHAUSTED', `${max} calls are already open on this stream`);
    }
    const open = new OpenCall(this, id, call.callId);
    this.#calls.set(id, open);
    assert(this.#calls.size <= this.#limits.openCallsPerStreamMax, 'open-call limit passed');
    const partition = partitionId(call.partitionId);
    if (call.kind.case === 'command') {
      this.#backend.propose(partition, call.kind.value, open, call.forward);
    } else {
      this.#backend.query(partition, call.kind.value, open, call.forward);
    }
  }

  /** Takes every pending reply, cut into frames of about `replyFrameBytesMax`. */
  #takeFrames(): PartitionResponseFrame[] {
    const replies = this.#pending;
    const sizes = this.#pendingSizes;
    assert(replies.length > 0 && replies.length === sizes.length, 'bad pending replies');
    this.#pending = [];
    this.#pendingSizes = [];
    this.#pendingBytes = 0;
    this.#batch++;
    const frames: PartitionResponseFrame[] = [];
    let start = 0;
    let bytes = 0;
    for (let i = 0; i < replies.length; i++) {
      const size = sizes[i] as number;
      if (i > start && bytes + size > this.#limits.replyFrameBytesMax) {
        frames.push(responseFrame(replies.slice(start, i)));
        start = i;
        bytes = 0;
      }
      bytes += size;
    }
    frames.push(responseFrame(replies.slice(start)));
    return frames;
  }
}

/** One open command or query of a stream: the caller its replica answers. */
class OpenCall implements CommandCaller, QueryCaller {
  readonly #stream: PartitionStream;
  readonly id: number;
  readonly #wireId: bigint;
  #closed = false;
  #seq = 0;
  /** The last result sent, and the batch it went into (to mark it done if still pending). */
  #last: { readonly reply: PartitionReply; readonly batch: number } | undefined;

  constructor(stream: PartitionStream, id: number, wireId: bigint) {
    this.#stream = stream;
    this.id = id;
    this.#wireId = wireId;
  }

  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    this.#closed = true;
  }

  output(output: CommandOutput): void {
    if (this.#closed) return;
    if (output.done) this.#stream.release(this);
    const reply: PartitionReply = {
      $typeName: 'multiraft.v1.PartitionReply',
      callId: this.#wireId,
      kind: { case: 'output', value: output },
    };
    this.#stream.push(reply, commandOutputBytes(output));
  }

  next(result: ServiceResult, index: LogIndex): void {
    if (this.#closed) return;
    const ok = result.status === Status.OK;
    const value: QueryOutput = {
      $typeName: 'multiraft.v1.QueryOutput',
      index: BigInt(index),
      sequenceNum: BigInt(++this.#seq),
      status: result.status,
      message: ok ? '' : result.message,
      payload: ok ? result.payload : noBytes,
      current: (ok ? undefined : result.current) ?? noBytes,
      done: false,
    };
    const reply: PartitionReply = {
      $typeName: 'multiraft.v1.PartitionReply',
      callId: this.#wireId,
      kind: { case: 'result', value },
    };
    this.#last = { reply, batch: this.#stream.batch };
    const bytes =
      replyOverheadBytes + value.message.length + value.payload.length + value.current.length;
    this.#stream.push(reply, bytes);
  }

  end(): void {
    if (this.#closed) return;
    this.#stream.release(this);
    const last = this.#last;
    if (
      last !== undefined &&
      last.batch === this.#stream.batch &&
      last.reply.kind.case === 'result'
    ) {
      // Still in the frame being formed: the result carries the end (one reply, not two).
      last.reply.kind.value.done = true;
      return;
    }
    const reply: PartitionReply = {
      $typeName: 'multiraft.v1.PartitionReply',
      callId: this.#wireId,
      kind: { case: 'end', value: { $typeName: 'multiraft.v1.End' } },
    };
    this.#stream.push(reply, replyOverheadBytes);
  }

  fail(error: Error): void {
    if (this.#closed) return;
    this.#stream.release(this);
    this.#stream.errorReply(this.#wireId, error);
  }
}

/** An estimate of a command output's encoded size: its payloads plus a fixed overhead. */
function commandOutputBytes(output: CommandOutput): number {
  let bytes = replyOverheadBytes + output.message.length + output.current.length;
  const session = output.output?.output;
  if (session?.case === 'sessionOutput' && session.value.output.case === 'serviceOutput') {
    bytes += session.value.output.value.payload.length;
  }
  return bytes;
}

/** The calls of a request frame, all decoded before any runs: a malformed one ends the stream. */
function decodeCalls(encoded: readonly Uint8Array[]): PartitionCall[] {
  try {
    return encoded.map(decodeCall);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ConnectError(`malformed PartitionCall: ${message}`, Code.InvalidArgument);
  }
}

/** A response frame: the replies, each encoded. */
function responseFrame(replies: readonly PartitionReply[]): PartitionResponseFrame {
  return { $typeName: 'multiraft.v1.PartitionResponseFrame', replies: replies.map(encodeReply) };
}
