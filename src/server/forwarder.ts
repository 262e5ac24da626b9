// Forwarding (DESIGN §7): a call marked `forward` that reaches a node which does not lead its
// partition goes on to the leader over the partition protocol, and the leader's replies come back
// to the original caller. One hop only: forwarded calls are sent unmarked, so a leader that moved
// meanwhile answers NOT_LEADER, which the caller sees (with the new leader's address) and retries.

import { type ClientTlsOptions, PartitionConnection } from '../client/index.js';
import { logIndex, type NodeId, type PartitionId } from '../common/index.js';
import type { PartitionInput } from '../gen/atomix/multiraft/v1/fsm_pb.js';
import type { QueryInput } from '../gen/multiraft/v1/output_pb.js';
import { NotLeaderError } from '../raft/index.js';
import type { CommandCaller, QueryCaller } from '../replica/index.js';
import type { CallReply } from '../session/index.js';

type Forwarded =
  | { readonly kind: 'command'; readonly caller: CommandCaller }
  | { readonly kind: 'query'; readonly caller: QueryCaller };

/** The leader's answer to a forwarded call, failed with the leader's code and retry verdict. */
export class ForwardedCallError extends Error {
  override readonly name = 'ForwardedCallError';
  constructor(
    readonly code: string,
    readonly safeToRetry: boolean,
    leader: NodeId,
  ) {
    super(`forwarded to node ${leader}, which answered ${code}`);
  }
}

interface Link {
  readonly connection: PartitionConnection;
  readonly calls: Map<number, Forwarded & { readonly partition: PartitionId }>;
}

export class Forwarder {
  readonly #self: NodeId;
  readonly #addresses: ReadonlyMap<NodeId, string>;
  readonly #tls: ClientTlsOptions | undefined;
  readonly #links = new Map<NodeId, Link>();
  #nextCallId = 1;
  #closed = false;

  /** `tls`: how to dial the other nodes' API ports when they serve TLS. */
  constructor(self: NodeId, apiAddresses: ReadonlyMap<NodeId, string>, tls?: ClientTlsOptions) {
    this.#self = self;
    this.#addresses = apiAddresses;
    this.#tls = tls;
  }

  /** A caller that forwards the command to the leader when the local node is not it. */
  command(partition: PartitionId, input: PartitionInput, caller: CommandCaller): CommandCaller {
    return {
      output: (output) => caller.output(output),
      fail: (error) => {
        const leader = this.#target(error);
        if (leader === undefined) caller.fail(error);
        else this.#send(leader, partition, { kind: 'command', caller }, input);
      },
    };
  }

  /** A caller that forwards the query to the leader when the local node is not it. */
  query(partition: PartitionId, input: QueryInput, caller: QueryCaller): QueryCaller {
    return {
      next: (result, index) => caller.next(result, index),
      end: () => caller.end(),
      fail: (error) => {
        const leader = this.#target(error);
        if (leader === undefined) caller.fail(error);
        else this.#send(leader, partition, { kind: 'query', caller }, input);
      },
      get closed() {
        return caller.closed;
      },
    };
  }

  /** Ends every forwarded call (their callers fail, the outcome of commands unknown). */
  async close(): Promise<void> {
    this.#closed = true;
    const links = [...this.#links.values()];
    this.#links.clear();
    for (const link of links) await link.connection.close();
  }

  #target(error: Error): NodeId | undefined {
    if (this.#closed || !(error instanceof NotLeaderError)) return undefined;
    const leader = error.leaderHint;
    if (leader === 0 || leader === this.#self || !this.#addresses.has(leader)) return undefined;
    return leader;
  }

  #send(
    leader: NodeId,
    partition: PartitionId,
    call: Forwarded,
    input: PartitionInput | QueryInput,
  ): void {
    const link = this.#link(leader);
    const id = this.#nextCallId++;
    link.calls.set(id, { ...call, partition });
    try {
      link.connection.send(
        id,
        partition,
        call.kind === 'command'
          ? { kind: 'propose', input: input as PartitionInput }
          : { kind: 'query', input: input as QueryInput },
      );
    } catch (error) {
      link.calls.delete(id);
      call.caller.fail(error as Error);
    }
  }

  #link(leader: NodeId): Link {
    const existing = this.#links.get(leader);
    if (existing !== undefined) return existing;
    const calls: Link['calls'] = new Map();
    const connection = new PartitionConnection({
      address: this.#addresses.get(leader)!,
      tls: this.#tls,
      onReply: (reply) => this.#reply(leader, calls, reply),
      onLost: ({ error, unsent }) => {
        const notSent = new Set(unsent);
        const lost = [...calls];
        calls.clear();
        for (const [id, call] of lost) {
          call.caller.fail(
            notSent.has(id) ? new ForwardedCallError('UNAVAILABLE', true, leader) : error,
          );
        }
      },
    });
    const link = { connection, calls };
    this.#links.set(leader, link);
    return link;
  }

  #reply(leader: NodeId, calls: Link['calls'], reply: CallReply): void {
    const call = calls.get(reply.call);
    if (call === undefined) return;
    switch (reply.kind) {
      case 'output':
        if (call.kind !== 'command') return;
        if (reply.output.done) calls.delete(reply.call);
        call.caller.output(reply.output);
        return;
      case 'result':
        if (call.kind !== 'query') return;
        if (call.caller.closed) {
          // The original caller went away: stop the stream on the leader too.
          calls.delete(reply.call);
          this.#links.get(leader)?.connection.cancel(reply.call, call.partition);
          return;
        }
        call.caller.next(reply.result, logIndex(reply.index));
        return;
      case 'end':
        calls.delete(reply.call);
        if (call.kind === 'query') call.caller.end();
        return;
      case 'error':
        calls.delete(reply.call);
        call.caller.fail(
          reply.code === 'NOT_LEADER'
            ? new NotLeaderError(reply.leaderHint as NodeId | 0)
            : new ForwardedCallError(reply.code, reply.safeToRetry, leader),
        );
        return;
    }
  }
}
