// The AtomicValue for any language (DESIGN §7, proto/multiraft/v1/atomic_value.proto, docs/api.md):
// a gateway on every node. It validates a request, finds the partition of the name, and runs the
// call through the node's own session on that partition (PartitionSessions over the partition
// protocol, which follows the leader), so a change executes exactly once from this node to the
// leader however often the node retries it. Reads and watches are linearizable queries and need
// no session. Every answer maps to the status codes the .proto documents.

import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { type Duration, DurationSchema } from '@bufbuild/protobuf/wkt';
import {
  Code,
  ConnectError,
  type ConnectRouter,
  type HandlerContext,
  type ServiceImpl,
} from '@connectrpc/connect';
import {
  type AtomicValueAnswer,
  type AtomicValueInput,
  answerOf,
  eventsPayload,
  getPayload,
  primitiveQuery,
  resultOfCommand,
} from '../client/atomic-value-wire.js';
import { CallGaveUpError } from '../client/errors.js';
import type { PartitionClient } from '../client/partition-client.js';
import { CommandFailedError, type CommandFailure, runCommand } from '../client/session-command.js';
import { watchValue } from '../client/value-watch.js';
import { assert, BoundedChannel, type PartitionId, partitionOf } from '../common/index.js';
import { defaultServiceLimits, type ServiceResult } from '../fsm/index.js';
import type {
  Event as StateEvent,
  Value as StateValue,
} from '../gen/atomix/multiraft/atomic/value/v1/fsm_pb.js';
import {
  AtomicValue,
  type EventSchema,
  type EventsResponse,
  EventsResponseSchema,
  type Value,
  ValueSchema,
  type WatchResponse,
  WatchResponseSchema,
} from '../gen/multiraft/v1/atomic_value_pb.js';
import { type CommandOutput, Status } from '../gen/multiraft/v1/output_pb.js';
import { atomicValueService } from '../primitives/index.js';
import { encodeRequest } from '../protocol/index.js';
import {
  PartitionSessions,
  type PrimitiveName,
  type SessionCallFailure,
} from '../session/index.js';
import { earlyHeaders } from './early-headers.js';

export interface AtomicValueLimits {
  /** Bytes of a value (checked here, then again by the state machine). */
  readonly valueBytesMax: number;
  /** Bytes of a name and of a namespace. */
  readonly nameBytesMax: number;
  /** Longest ttl in ms. */
  readonly ttlMsMax: number;
  /** The gRPC receive limit of one request; above the value limit so the value check answers. */
  readonly requestBytesMax: number;
  /** Deadline of a call whose client set none, in ms. */
  readonly callTimeoutMs: number;
  /** Events produced and not yet sent to a slow subscriber; beyond it the stream ends. */
  readonly eventsBufferMax: number;
}

export const atomicValueLimitsDefault: AtomicValueLimits = {
  valueBytesMax: defaultServiceLimits.valueBytesMax,
  nameBytesMax: 256,
  ttlMsMax: defaultServiceLimits.ttlMsMax,
  requestBytesMax: 4 * 1024 * 1024,
  callTimeoutMs: 10_000,
  eventsBufferMax: 10_000,
};

export interface AtomicValueServiceOptions {
  /** Reaches every node's partition protocol (the local node included). */
  readonly client: PartitionClient;
  readonly partitions: number;
  /** Timeout of the node's sessions. Default 30 s. */
  readonly sessionTimeoutMs?: number;
  readonly limits?: Partial<AtomicValueLimits>;
}

const encoder = new TextEncoder();

export class AtomicValueService {
  readonly #client: PartitionClient;
  readonly #partitions: number;
  readonly #limits: AtomicValueLimits;
  readonly #sessions: PartitionSessions;
  readonly #streams = new Set<() => void>();
  #closed = false;

  readonly impl: ServiceImpl<typeof AtomicValue>;

  constructor(options: AtomicValueServiceOptions) {
    this.#client = options.client;
    this.#partitions = options.partitions;
    this.#limits = { ...atomicValueLimitsDefault, ...options.limits };
    for (const [name, value] of Object.entries(this.#limits)) {
      assert(Number.isSafeInteger(value) && value > 0, `limit ${name} must be positive: ${value}`);
    }
    assert(
      this.#limits.requestBytesMax > this.#limits.valueBytesMax,
      'the request limit must stay above the value limit, so the value check answers',
    );
    this.#sessions = new PartitionSessions({
      host: options.client,
      sessionTimeoutMs: options.sessionTimeoutMs ?? 30_000,
      setupTimeoutMs: this.#limits.callTimeoutMs,
    });
    this.impl = {
      set: async (req, ctx) => {
        const target = this.#target(req);
        this.#checkValue(req.value);
        const ttl = this.#ttl(req.ttl);
        const input = { value: req.value, ttl, ifAbsent: req.ifAbsent };
        const out = await this.#command(target, { case: 'set', value: input }, ctx);
        return { version: out.case === 'set' ? out.value.index : 0n };
      },
      update: async (req, ctx) => {
        const target = this.#target(req);
        this.#checkValue(req.value);
        const ttl = this.#ttl(req.ttl);
        const input = { value: req.value, prevIndex: req.prevVersion, ttl };
        const out = await this.#command(target, { case: 'update', value: input }, ctx);
        if (out.case !== 'update') return {};
        return { version: out.value.index, prevValue: plainValueOf(out.value.prevValue) };
      },
      delete: async (req, ctx) => {
        const target = this.#target(req);
        const input = { prevIndex: req.prevVersion };
        const out = await this.#command(target, { case: 'delete', value: input }, ctx);
        return { value: out.case === 'delete' ? plainValueOf(out.value.value) : undefined };
      },
      get: async (req, ctx) => {
        const target = this.#target(req);
        const result = await this.#get(target, ctx);
        const out = decodeOutput(result);
        if (out.case !== 'get' || out.value.value === undefined) {
          throw new ConnectError(`'${target.primitive.name}' has no value`, Code.NotFound);
        }
        return { value: plainValueOf(out.value.value) };
      },
      watch: (req, ctx) => this.#watch(this.#target(req), ctx),
      events: (req, ctx) => this.#events(this.#target(req), ctx),
    };
  }

  get limits(): AtomicValueLimits {
    return this.#limits;
  }

  /** Sessions this gateway holds open (one per partition it has served a change for). */
  get sessionCount(): number {
    return this.#sessions.openCount;
  }

  /** Watch and Events streams open now. */
  get streamCount(): number {
    return this.#streams.size;
  }

  register(router: ConnectRouter): void {
    router.service(AtomicValue, this.impl, { readMaxBytes: this.#limits.requestBytesMax });
  }

  /** Ends every stream (UNAVAILABLE) and closes the node's sessions, waiting at most `timeoutMs`. */
  close(timeoutMs = 1_000): Promise<void> {
    this.#closed = true;
    for (const end of [...this.#streams]) end();
    return new Promise((resolve) => {
      this.#sessions.close(this.#client.timers.now + timeoutMs, resolve);
    });
  }

  #target(req: { readonly name: string; readonly namespace: string }): Target {
    if (this.#closed) throw new ConnectError('the node is shutting down', Code.Unavailable);
    const nameBytes = encoder.encode(req.name).length;
    if (nameBytes === 0 || nameBytes > this.#limits.nameBytesMax) {
      throw new ConnectError(
        `name must be 1 to ${this.#limits.nameBytesMax} bytes (got ${nameBytes})`,
        Code.InvalidArgument,
      );
    }
    if (encoder.encode(req.namespace).length > this.#limits.nameBytesMax) {
      throw new ConnectError(
        `namespace must be at most ${this.#limits.nameBytesMax} bytes`,
        Code.InvalidArgument,
      );
    }
    return {
      partition: partitionOf(req.name, this.#partitions),
      primitive: {
        service: atomicValueService,
        namespace: req.namespace === '' ? 'default' : req.namespace,
        name: req.name,
      },
    };
  }

  #checkValue(value: Uint8Array): void {
    if (value.length > this.#limits.valueBytesMax) {
      throw new ConnectError(
        `value of ${value.length} bytes is above the limit of ${this.#limits.valueBytesMax}`,
        Code.InvalidArgument,
      );
    }
  }

  /** The ttl as the state machine takes it, after the range check. */
  #ttl(ttl: Duration | undefined): Duration | undefined {
    if (ttl === undefined) return undefined;
    const negative = ttl.seconds < 0n || ttl.nanos < 0;
    // Whole ms, rounded up, as the state machine rounds.
    const ms = ttl.seconds * 1000n + BigInt(Math.ceil(ttl.nanos / 1_000_000));
    if (negative || ttl.nanos > 999_999_999 || ms > BigInt(this.#limits.ttlMsMax)) {
      throw new ConnectError(
        `ttl must be between 0 and ${this.#limits.ttlMsMax} ms`,
        Code.InvalidArgument,
      );
    }
    return create(DurationSchema, { seconds: ttl.seconds, nanos: ttl.nanos });
  }

  #deadlineMs(ctx: HandlerContext): number {
    const asked = ctx.timeoutMs();
    return Math.min(asked ?? this.#limits.callTimeoutMs, this.#limits.callTimeoutMs);
  }

  /** Runs a change on the node's session; resolves with the primitive's output when OK. */
  async #command(
    target: Target,
    input: AtomicValueInput,
    ctx: HandlerContext,
  ): Promise<ReturnType<typeof decodeOutput>> {
    const deadline = this.#client.timers.now + this.#deadlineMs(ctx);
    let out: CommandOutput;
    try {
      out = await runCommand(this.#sessions, target, encodeRequest(input), deadline, ctx.signal);
    } catch (error) {
      if (!(error instanceof CommandFailedError)) throw error;
      throw errorOfFailure(error.failure);
    }
    return decodeOutput(resultOfCommand(out));
  }

  async #get(target: Target, ctx: HandlerContext): Promise<ServiceResult> {
    const input = primitiveQuery(target.primitive, getPayload);
    try {
      const { result } = await this.#client.query(target.partition, input, {
        timeoutMs: this.#deadlineMs(ctx),
        signal: ctx.signal,
      });
      return result;
    } catch (error) {
      if (error instanceof CallGaveUpError) {
        // A read that gave up did nothing.
        const code = error.code === 'ABORTED' ? Code.Canceled : Code.DeadlineExceeded;
        throw new ConnectError(error.message, code);
      }
      throw error;
    }
  }

  async *#watch(target: Target, ctx: HandlerContext): AsyncIterable<WatchResponse> {
    // Only the newest value matters to a watcher: a slow one skips to it.
    const channel = new BoundedChannel<WatchResponse>({ capacity: 1, overflow: 'latest' });
    const createDeadline = this.#client.timers.now + this.#limits.callTimeoutMs;
    const watch = watchValue(this.#client, this.#sessions, target, createDeadline, {
      value: (v) => channel.push(create(WatchResponseSchema, { value: plainValueOf(v) })),
      ended: (why) => {
        if (why.kind === 'refused') channel.end(errorOfAnswer(why.answer));
        else if (why.kind === 'no-primitive') channel.end(errorOfFailure(why.failure));
        else channel.end(new ConnectError('the watch gave up', Code.Unavailable));
      },
    });
    const stop = (error?: Error) => {
      watch.stop();
      channel.end(error);
    };
    const onClose = () => stop(new ConnectError('the node is shutting down', Code.Unavailable));
    this.#streams.add(onClose);
    if (ctx.signal.aborted) stop();
    else ctx.signal.addEventListener('abort', () => stop(), { once: true });
    try {
      yield* channel;
    } finally {
      this.#streams.delete(onClose);
      stop();
    }
  }

  async *#events(target: Target, ctx: HandlerContext): AsyncIterable<EventsResponse> {
    const channel = new BoundedChannel<EventsResponse>({
      capacity: this.#limits.eventsBufferMax,
      overflow: 'fail',
      overflowError: () =>
        new ConnectError(
          `the subscriber fell ${this.#limits.eventsBufferMax} events behind`,
          Code.ResourceExhausted,
        ),
    });
    const sendHeaders = earlyHeaders(ctx);
    let subscribed = false;
    const stream = this.#sessions.stream(target.partition, target.primitive, eventsPayload, {
      output: (out) => {
        const answer = answerOf(resultOfCommand(out));
        const output = answer.ok ? answer.output : undefined;
        if (output?.case !== 'events') return;
        const event = output.value.event;
        if (event === undefined) {
          // The acknowledgement: the subscription is in place. It is not forwarded.
          if (!subscribed) sendHeaders();
          subscribed = true;
          return;
        }
        const response = create(EventsResponseSchema, { event: eventOf(event) });
        if (!channel.push(response)) stream.cancel();
      },
      ended: (status, message) =>
        channel.end(new ConnectError(message || Status[status] || 'ended', codeOfStatus(status))),
      failed: (failure) => channel.end(streamErrorOf(failure)),
    });
    const onClose = () => {
      stream.cancel();
      channel.end(new ConnectError('the node is shutting down', Code.Unavailable));
    };
    this.#streams.add(onClose);
    const cancel = () => {
      stream.cancel();
      channel.end();
    };
    if (ctx.signal.aborted) cancel();
    else ctx.signal.addEventListener('abort', cancel, { once: true });
    try {
      yield* channel;
    } finally {
      this.#streams.delete(onClose);
      stream.cancel();
    }
  }
}

interface Target {
  readonly partition: PartitionId;
  readonly primitive: PrimitiveName;
}

/** The primitive's output of an OK answer; any other status becomes the documented error. */
function decodeOutput(result: ServiceResult) {
  const answer = answerOf(result);
  if (answer.ok) return answer.output;
  throw errorOfAnswer(answer);
}

/** The gRPC error of a failed answer, with the current value in the details when there is one. */
function errorOfAnswer(answer: Extract<AtomicValueAnswer, { ok: false }>): ConnectError {
  const error = new ConnectError(messageOf(answer), codeOfStatus(answer.status));
  const current = plainValueOf(answer.current);
  if (current !== undefined) error.details.push({ desc: ValueSchema, value: current });
  return error;
}

/**
 * The message of a failed result. The common answers get fixed wording: grpc-js leaves the
 * percent-encoding connect-es gives reserved characters (',', '/', ':') in place, so state
 * machine texts such as "version is 5, not 1" would reach such clients garbled.
 */
function messageOf(result: Extract<AtomicValueAnswer, { ok: false }>): string {
  switch (result.status) {
    case Status.NOT_FOUND:
      return 'no value';
    case Status.CONFLICT:
      return 'version conflict (the current value is in the details)';
    case Status.ALREADY_EXISTS:
      return 'a value exists (it is in the details)';
    default:
      return result.message || Status[result.status] || 'failed';
  }
}

function plainValueOf(v: StateValue | undefined): Value | undefined {
  return v === undefined ? undefined : create(ValueSchema, { value: v.value, version: v.index });
}

function eventOf(event: StateEvent): MessageInitShape<typeof EventSchema> | undefined {
  const e = event.event;
  switch (e.case) {
    case 'created':
      return { event: { case: 'created', value: { value: plainValueOf(e.value.value) } } };
    case 'updated': {
      const { value, prevValue } = e.value;
      return {
        event: {
          case: 'updated',
          value: { value: plainValueOf(value), prevValue: plainValueOf(prevValue) },
        },
      };
    }
    case 'deleted': {
      const { value, expired } = e.value;
      return { event: { case: 'deleted', value: { value: plainValueOf(value), expired } } };
    }
    case undefined:
      return undefined;
  }
}

/** The gRPC code of a state machine status (DESIGN §7). */
export function codeOfStatus(status: Status): Code {
  switch (status) {
    case Status.NOT_FOUND:
      return Code.NotFound;
    case Status.ALREADY_EXISTS:
      return Code.AlreadyExists;
    case Status.CONFLICT:
      return Code.Aborted;
    case Status.INVALID:
      return Code.InvalidArgument;
    case Status.FORBIDDEN:
      return Code.FailedPrecondition;
    case Status.RESOURCE_EXHAUSTED:
      return Code.ResourceExhausted;
    case Status.UNAVAILABLE:
      return Code.Unavailable;
    case Status.CANCELED:
      return Code.Canceled;
    // The node's session expired with the change in flight: it may have happened.
    case Status.SESSION_EXPIRED:
      return Code.Unknown;
    default:
      return Code.Internal;
  }
}

/** The gRPC error of a call that got no answer: UNAVAILABLE only when nothing happened. */
function errorOfFailure(failure: CommandFailure): ConnectError {
  if (failure.code === 'ABORTED') {
    return new ConnectError('cancelled (the change may have happened)', Code.Canceled);
  }
  if (!failure.mayHaveApplied) {
    return failure.code === 'RESOURCE_EXHAUSTED'
      ? new ConnectError('too many calls in flight on this node', Code.ResourceExhausted)
      : new ConnectError('no leader answered and nothing happened', Code.Unavailable);
  }
  switch (failure.code) {
    case 'DEADLINE_EXCEEDED':
      return new ConnectError(
        'no answer in time (the change may have happened)',
        Code.DeadlineExceeded,
      );
    case 'SESSION_EXPIRED':
      return new ConnectError('the node lost its session and the outcome is unknown', Code.Unknown);
    default:
      return new ConnectError('the node is shutting down and the outcome is unknown', Code.Unknown);
  }
}

/** The gRPC error that ends an events stream: the subscriber may have missed changes. */
function streamErrorOf(failure: SessionCallFailure): ConnectError {
  switch (failure.code) {
    case 'SESSION_EXPIRED':
      return new ConnectError(
        "the node's session expired and changes may have been missed (read again and resubscribe)",
        Code.Unavailable,
      );
    case 'RESOURCE_EXHAUSTED':
      return new ConnectError('too many calls in flight on this node', Code.ResourceExhausted);
    default:
      return new ConnectError(
        'the subscription ended (read again and resubscribe)',
        Code.Unavailable,
      );
  }
}
