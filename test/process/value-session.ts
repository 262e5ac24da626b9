// The small test client of the real-process tests: one session on one partition, built on
// src/session (sequence numbers, keep-alives, expiry) over the partition protocol client. Every
// command keeps its sequence number across the client's retries, so it executes exactly once even
// when the leader is killed while it is in flight.

import type { PartitionClient } from '../../src/client/partition-client.js';
import type { PartitionId, SequenceNum } from '../../src/common/index.js';
import { type CommandOutput, Status } from '../../src/gen/multiraft/v1/output_pb.js';
import { decode, wire } from '../../src/primitives/testing/atomic-value-wire.js';
import { partitionInput } from '../../src/replica/testing/cluster.js';
import {
  callValue,
  type command,
  createValue,
  getByName,
  openSession,
  valueResult,
} from '../../src/replica/testing/inputs.js';
import { ClientSession, keepAliveInput } from '../../src/session/index.js';

const encoder = new TextEncoder();

export class ValueSession implements AsyncDisposable {
  readonly partition: PartitionId;
  readonly #client: PartitionClient;
  readonly #session: ClientSession;
  readonly #keepAlive: ReturnType<typeof setInterval>;
  #keepAliveInFlight = false;

  private constructor(client: PartitionClient, partition: PartitionId, session: ClientSession) {
    this.#client = client;
    this.partition = partition;
    this.#session = session;
    this.#keepAlive = setInterval(() => this.#sendKeepAlive(), 200);
  }

  static async open(
    client: PartitionClient,
    partition: PartitionId,
    timeoutMs = 15_000,
  ): Promise<ValueSession> {
    const opened = await client.propose(partition, openSession(timeoutMs));
    if (opened.status !== Status.OK) throw new Error(`open: ${Status[opened.status]}`);
    const session = new ClientSession(Number(opened.index) as ClientSession['id'], Date.now(), {
      timeoutMs,
    });
    return new ValueSession(client, partition, session);
  }

  /** Creates (or finds) the value `name`; returns its service id. */
  async create(name: string): Promise<number> {
    const out = await this.#command((seq) => createValue(this.#session.id, seq, name));
    if (out.status !== Status.OK) throw new Error(`create: ${Status[out.status]}`);
    return Number(out.index);
  }

  /** Sets the value; returns its new version. */
  async set(service: number, value: string): Promise<number> {
    const out = await this.#command((seq) =>
      callValue(this.#session.id, seq, service, wire.set(encoder.encode(value))),
    );
    const result = valueResult(out) as { status: string; output?: { set?: number } };
    if (result.status !== 'OK' || result.output?.set === undefined) {
      throw new Error(`set: ${JSON.stringify(result)}`);
    }
    return result.output.set;
  }

  /** A linearizable read of `name`: its text, or undefined when it has no value. */
  async get(name: string): Promise<string | undefined> {
    const { result } = await this.#client.query(this.partition, getByName(name));
    if (result.status !== Status.OK) throw new Error(`get: ${Status[result.status]}`);
    return (decode(result).output as { get?: { value: string } }).get?.value;
  }

  async close(): Promise<void> {
    clearInterval(this.#keepAlive);
    this.#session.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #command(build: (seq: SequenceNum) => ReturnType<typeof command>): Promise<CommandOutput> {
    const seq = this.#session.allocate();
    try {
      const out = await this.#client.propose(this.partition, build(seq));
      if (out.status === Status.SESSION_EXPIRED) this.#session.expired();
      return out;
    } finally {
      this.#session.finish(seq);
      this.#sendKeepAlive();
    }
  }

  #sendKeepAlive(): void {
    const now = Date.now();
    if (this.#keepAliveInFlight || !this.#session.keepAliveDue(now)) return;
    this.#keepAliveInFlight = true;
    const input = partitionInput({
      case: 'keepAlive',
      value: keepAliveInput(this.#session.keepAlive(now)),
    });
    this.#client
      .propose(this.partition, input)
      .then((out) => {
        if (out.status === Status.OK) this.#session.keepAliveSucceeded(now);
      })
      .catch(() => {})
      .finally(() => {
        this.#keepAliveInFlight = false;
      });
  }
}
