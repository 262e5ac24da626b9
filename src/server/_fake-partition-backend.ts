// Test helpers for the partition protocol: an in-memory PartitionBackend and a server on loopback.
// The backend answers commands with one done output and queries with one result and an end,
// unless told to hold them or to refuse as a follower. A query whose payload starts with byte 1
// is a watch: it stays open and the test feeds it.

import { setImmediate } from 'node:timers';
import { create } from '@bufbuild/protobuf';
import { type LogIndex, logIndex, type NodeId, type PartitionId } from '../common/index.js';
import type { PartitionInput } from '../gen/atomix/multiraft/v1/fsm_pb.js';
import {
  type CommandOutput,
  CommandOutputSchema,
  type QueryInput,
  Status,
} from '../gen/multiraft/v1/output_pb.js';
import { NotLeaderError } from '../raft/index.js';
import type { CommandCaller, QueryCaller } from '../replica/index.js';
import { unknownPartition } from './call-error.js';
import { listenGrpc } from './grpc-server.js';
import {
  type PartitionBackend,
  PartitionService,
  type PartitionServiceLimits,
} from './partition-service.js';

export const watchPayload = Uint8Array.of(1);

export class FakeBackend implements PartitionBackend {
  readonly partitions = new Set<number>([1, 2]);
  readonly addresses = new Map<NodeId, string>();
  /** Set: refuse everything with NOT_LEADER naming this node (0: none known). */
  notLeader: NodeId | 0 | undefined;
  /** Keep commands waiting instead of answering them. */
  hold = false;
  /** Bytes of service payload in each command output. */
  outputPayloadBytes = 0;
  readonly commands: { partition: PartitionId; input: PartitionInput; caller: CommandCaller }[] =
    [];
  readonly queries: { partition: PartitionId; input: QueryInput; caller: QueryCaller }[] = [];
  /** Event-loop turns in which calls arrived (one per request frame the node read). */
  turns = 0;
  #inTurn = false;
  #index = 0;

  propose(partition: PartitionId, input: PartitionInput, caller: CommandCaller): void {
    this.#turn();
    if (!this.partitions.has(partition)) return caller.fail(unknownPartition(partition));
    if (this.notLeader !== undefined) return caller.fail(new NotLeaderError(this.notLeader));
    this.commands.push({ partition, input, caller });
    if (!this.hold) caller.output(this.output());
  }

  query(partition: PartitionId, input: QueryInput, caller: QueryCaller): void {
    this.#turn();
    if (!this.partitions.has(partition)) return caller.fail(unknownPartition(partition));
    if (this.notLeader !== undefined) return caller.fail(new NotLeaderError(this.notLeader));
    this.queries.push({ partition, input, caller });
    caller.next({ status: Status.OK, payload: input.payload }, this.index());
    if (input.payload[0] !== watchPayload[0]) caller.end();
  }

  apiAddressOf(node: NodeId): string | undefined {
    return this.addresses.get(node);
  }

  index(): LogIndex {
    return logIndex(this.#index);
  }

  /** The next command output: applied at a new index, done. */
  output(): CommandOutput {
    return create(CommandOutputSchema, {
      index: BigInt(++this.#index),
      sequenceNum: 1n,
      status: Status.OK,
      done: true,
      output: {
        output: {
          case: 'sessionOutput',
          value: {
            output: {
              case: 'serviceOutput',
              value: { payload: new Uint8Array(this.outputPayloadBytes) },
            },
          },
        },
      },
    });
  }

  #turn(): void {
    if (this.#inTurn) return;
    this.#inTurn = true;
    this.turns++;
    setImmediate(() => {
      this.#inTurn = false;
    });
  }
}

export interface TestServer extends AsyncDisposable {
  readonly backend: FakeBackend;
  readonly service: PartitionService;
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

/** A partition server with a fake backend on 127.0.0.1 (port 0: a free one). */
export async function startTestServer(
  options: { port?: number; limits?: Partial<PartitionServiceLimits>; backend?: FakeBackend } = {},
): Promise<TestServer> {
  const backend = options.backend ?? new FakeBackend();
  const service = new PartitionService(backend, options.limits);
  const server = await listenGrpc({
    port: options.port ?? 0,
    routes: (router) => service.register(router),
    closeGraceMs: 200,
  });
  const close = async () => {
    service.close();
    await server.close();
  };
  return {
    backend,
    service,
    address: server.address,
    port: server.port,
    close,
    [Symbol.asyncDispose]: close,
  };
}
