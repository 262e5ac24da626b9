// A client of the partition protocol over a set of nodes: the session layer's CallHost on real
// timers, one PartitionConnection per node, and a leader guess per partition. `call()` runs a
// session `Call` (retries, leader hints, back-off); `propose()` and `query()` wrap unary calls in
// promises with a timeout and an AbortSignal. Sessions themselves (ClientSession) stay with the
// caller, as in the simulator's client.

import { randomInt } from 'node:crypto';
import { assert, type NodeId, type PartitionId, Prng } from '../common/index.js';
import type { ServiceResult } from '../fsm/index.js';
import type { PartitionInput } from '../gen/atomix/multiraft/v1/fsm_pb.js';
import type { CommandOutput, QueryInput } from '../gen/multiraft/v1/output_pb.js';
import {
  Call,
  type CallHost,
  type CallPayload,
  type CallReply,
  type CallSpec,
  type Timers,
} from '../session/index.js';
import { CallGaveUpError, ClientClosedError, ClientError } from './errors.js';
import {
  type ClientTlsOptions,
  type ConnectionLost,
  PartitionConnection,
  type PartitionConnectionLimits,
} from './partition-connection.js';
import { realTimers } from './real-timers.js';

export interface PartitionClientOptions {
  /** Each node's API address (`host:port`), by node id. Nodes named in NOT_LEADER are added. */
  readonly nodes: ReadonlyMap<NodeId, string>;
  /** An attempt unanswered this long moves to the next node (it may have happened). Default 2 s. */
  readonly attemptTimeoutMs?: number;
  /** A stream call is re-sent after this much silence, to follow the leader. Default 1 s. */
  readonly refreshMs?: number;
  /** Default timeout of `propose()` and `query()`. Default 10 s. */
  readonly callTimeoutMs?: number;
  readonly timers?: Timers;
  /** Back-off jitter; default seeded from the OS. */
  readonly random?: Prng;
  readonly connection?: Partial<PartitionConnectionLimits>;
  /** Dial every node with TLS (docs/tls.md); default plain text. */
  readonly tls?: ClientTlsOptions;
  /**
   * Mark every call `forward`: a node that does not lead the partition forwards it to the leader
   * instead of answering NOT_LEADER (for a client that reaches only some of the nodes).
   */
  readonly forward?: boolean;
}

export interface CallOptions {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

interface Attempt {
  readonly node: NodeId;
  readonly partition: PartitionId;
  /** Whether the node still holds the call open (no last reply, no error, stream alive). */
  open: boolean;
}

export class PartitionClient implements CallHost, AsyncDisposable {
  readonly timers: Timers;
  readonly random: Prng;
  readonly attemptTimeoutMs: number;
  readonly refreshMs: number;
  readonly #callTimeoutMs: number;
  readonly #connectionLimits: Partial<PartitionConnectionLimits> | undefined;
  readonly #forward: boolean;
  readonly #tls: ClientTlsOptions | undefined;
  readonly #addresses = new Map<NodeId, string>();
  #nodes: NodeId[] = [];
  readonly #connections = new Map<NodeId, PartitionConnection>();
  readonly #leaders = new Map<PartitionId, NodeId>();
  /** Registered attempts, by call id: where each went. */
  readonly #attempts = new Map<number, Attempt>();
  readonly #calls = new Map<number, Call>();
  /** Calls not over yet, with the spec to give up on at close. */
  readonly #open = new Map<Call, CallSpec>();
  #callIds = 0;
  #closed = false;

  constructor(options: PartitionClientOptions) {
    assert(options.nodes.size > 0, 'a partition client needs at least one node');
    for (const [id, address] of options.nodes) this.#addNode(id, address);
    this.timers = options.timers ?? realTimers;
    this.random = options.random ?? new Prng(randomInt(2 ** 47));
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? 2_000;
    this.refreshMs = options.refreshMs ?? 1_000;
    this.#callTimeoutMs = options.callTimeoutMs ?? 10_000;
    this.#connectionLimits = options.connection;
    this.#forward = options.forward === true;
    this.#tls = options.tls;
  }

  // CallHost
  get nodes(): readonly NodeId[] {
    return this.#nodes;
  }
  send(to: NodeId, call: number, partition: PartitionId, payload: CallPayload): void {
    this.#attempts.set(call, { node: to, partition, open: true });
    const connection = this.#connection(to);
    if (connection === undefined) {
      // A leader hint naming a node with no known address: refused, so the call rotates on.
      return this.#refuseLater(call, 'NOT_LEADER', true);
    }
    try {
      connection.send(call, partition, this.#forward ? { ...payload, forward: true } : payload);
    } catch (error) {
      if (!(error instanceof ClientError)) throw error;
      this.#refuseLater(call, error.code, error.safeToRetry);
    }
  }
  register(callId: number, call: Call): void {
    this.#calls.set(callId, call);
  }
  unregister(callId: number): void {
    const call = this.#calls.get(callId);
    // A call its owner abandoned is over without a reply or a give-up: forget it here too.
    if (call?.over) this.#open.delete(call);
    this.#calls.delete(callId);
    const attempt = this.#attempts.get(callId);
    if (attempt === undefined) return;
    this.#attempts.delete(callId);
    // An attempt superseded by a retry, or a stream the caller stops: the node stops it too.
    if (attempt.open) this.#connections.get(attempt.node)?.cancel(callId, attempt.partition);
  }
  nextCallId(): number {
    return ++this.#callIds;
  }
  leaderOf(partition: PartitionId): NodeId {
    return this.#leaders.get(partition) ?? (this.#nodes[0] as NodeId);
  }
  setLeader(partition: PartitionId, node: NodeId): void {
    this.#leaders.set(partition, node);
  }

  /** Calls not over yet. */
  get openCallCount(): number {
    return this.#open.size;
  }

  /** The address a node is reached at. */
  addressOf(node: NodeId): string | undefined {
    return this.#addresses.get(node);
  }

  /**
   * Starts a call; it retries until answered or past its deadline. Calls still open at `close()`
   * give up with `mayHaveApplied` true.
   */
  call(spec: CallSpec): Call {
    if (this.#closed) throw new ClientClosedError('the partition client');
    const tracked: CallSpec = {
      ...spec,
      onReply: (reply) => {
        const over = spec.onReply(reply);
        if (over) this.#open.delete(call);
        return over;
      },
      onGiveUp: (mayHaveApplied) => {
        this.#open.delete(call);
        spec.onGiveUp(mayHaveApplied);
      },
    };
    const call: Call = new Call(this, tracked);
    if (!call.over) this.#open.set(call, spec);
    return call;
  }

  /** A unary command: resolves with its output (any status), rejects with CallGaveUpError. */
  propose(
    partition: PartitionId,
    input: PartitionInput,
    options: CallOptions = {},
  ): Promise<CommandOutput> {
    return this.#unary(partition, { kind: 'propose', input }, options, (reply) =>
      reply.kind === 'output' ? reply.output : undefined,
    );
  }

  /** A unary query: resolves with its result (any status) and the index it ran at. */
  query(
    partition: PartitionId,
    input: QueryInput,
    options: CallOptions = {},
  ): Promise<{ readonly result: ServiceResult; readonly index: number }> {
    return this.#unary(partition, { kind: 'query', input }, options, (reply) =>
      reply.kind === 'result' ? { result: reply.result, index: reply.index } : undefined,
    );
  }

  /** Gives up every open call, then closes every connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const [call, spec] of [...this.#open]) {
      call.abandon();
      spec.onGiveUp(true);
    }
    this.#open.clear();
    const connections = [...this.#connections.values()];
    this.#connections.clear();
    await Promise.all(connections.map((c) => c.close()));
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #unary<T>(
    partition: PartitionId,
    payload: CallPayload,
    options: CallOptions,
    answer: (reply: Exclude<CallReply, { kind: 'error' }>) => T | undefined,
  ): Promise<T> {
    const { signal } = options;
    const timeoutMs = options.timeoutMs ?? this.#callTimeoutMs;
    // Only a command can have happened without an answer; a read that gave up did nothing.
    const mayHave = payload.kind === 'propose';
    return new Promise<T>((resolve, reject) => {
      if (signal?.aborted) return reject(new CallGaveUpError('ABORTED', false));
      let timer: { cancel(): void } | undefined;
      let call: Call | undefined;
      const settle = () => {
        timer?.cancel();
        signal?.removeEventListener('abort', onAbort);
      };
      const giveUp = (code: 'ABORTED' | 'DEADLINE_EXCEEDED') => {
        if (call === undefined || call.over) return;
        call.abandon();
        this.#open.delete(call);
        settle();
        reject(new CallGaveUpError(code, mayHave, { cause: signal?.reason }));
      };
      const onAbort = () => giveUp('ABORTED');
      try {
        call = this.call({
          partition,
          payload,
          deadline: this.timers.now + timeoutMs,
          onReply: (reply) => {
            const value = answer(reply);
            if (value === undefined) return false;
            settle();
            resolve(value);
            return true;
          },
          onGiveUp: (mayHaveApplied) => {
            settle();
            if (!this.#closed)
              return reject(new CallGaveUpError('DEADLINE_EXCEEDED', mayHaveApplied));
            const cause = new ClientClosedError('the partition client');
            reject(new CallGaveUpError('ABORTED', mayHaveApplied, { cause }));
          },
        });
      } catch (error) {
        return reject(error);
      }
      if (call.over) return;
      // The Call checks its deadline only between attempts; this timer keeps the promise's word.
      timer = this.timers.after(timeoutMs, () => giveUp('DEADLINE_EXCEEDED'));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  #addNode(id: NodeId, address: string): void {
    assert(Number.isSafeInteger(id) && id > 0, `bad node id ${id}`);
    if (!this.#addresses.has(id)) this.#nodes = [...this.#nodes, id];
    this.#addresses.set(id, address);
  }

  #connection(node: NodeId): PartitionConnection | undefined {
    if (this.#closed) return undefined;
    const existing = this.#connections.get(node);
    if (existing !== undefined) return existing;
    const address = this.#addresses.get(node);
    if (address === undefined) return undefined;
    const connection = new PartitionConnection({
      address,
      onReply: (reply) => this.#reply(reply),
      onLost: (lost) => this.#lost(node, lost),
      onLeaderAddress: (leader, leaderAddress) => {
        // Configured addresses win: the client may reach nodes through a proxy.
        if (!this.#addresses.has(leader)) this.#addNode(leader, leaderAddress);
      },
      limits: this.#connectionLimits,
      tls: this.#tls,
    });
    this.#connections.set(node, connection);
    return connection;
  }

  #reply(reply: CallReply): void {
    const attempt = this.#attempts.get(reply.call);
    if (attempt === undefined) return;
    if (
      reply.kind === 'error' ||
      reply.kind === 'end' ||
      (reply.kind === 'output' && reply.output.done)
    ) {
      attempt.open = false;
    }
    this.#calls.get(reply.call)?.reply(reply);
  }

  /** Every call sent on the lost stream is refused; its partitions' leader guess moves on. */
  #lost(node: NodeId, lost: ConnectionLost): void {
    const unsent = new Set(lost.unsent);
    const moved = new Set<PartitionId>();
    const refused: { id: number; safe: boolean }[] = [];
    for (const [id, attempt] of this.#attempts) {
      if (attempt.node !== node || !attempt.open) continue;
      attempt.open = false;
      refused.push({ id, safe: unsent.has(id) });
      if (!moved.has(attempt.partition) && this.leaderOf(attempt.partition) === node) {
        moved.add(attempt.partition);
        const i = this.#nodes.indexOf(node);
        this.setLeader(attempt.partition, this.#nodes[(i + 1) % this.#nodes.length] as NodeId);
      }
    }
    for (const { id, safe } of refused) {
      this.#calls.get(id)?.reply({
        kind: 'error',
        call: id,
        code: lost.error.code,
        leaderHint: 0,
        safeToRetry: safe,
      });
    }
  }

  /** Refuses attempt `call` on a later turn: a Call never hears back inside its own send. */
  #refuseLater(call: number, code: string, safeToRetry: boolean): void {
    const attempt = this.#attempts.get(call);
    if (attempt !== undefined) attempt.open = false;
    this.timers.after(0, () => {
      this.#calls.get(call)?.reply({ kind: 'error', call, code, leaderHint: 0, safeToRetry });
    });
  }
}
