// One AtomicValue as the SDK offers it (issue 8, DESIGN §4): get, set, update and delete with typed
// errors, watch and events as async iterables. Changes run on the client's session of the value's
// partition, so a change retried across leader changes and lost connections happens once; reads
// and watches are linearizable queries on the leader.

import { create } from '@bufbuild/protobuf';
import { DurationSchema } from '@bufbuild/protobuf/wkt';
import { BoundedChannel, type PartitionId } from '../common/index.js';
import type { ServiceResult } from '../fsm/index.js';
import type { Event as StateEvent, Value } from '../gen/atomix/multiraft/atomic/value/v1/fsm_pb.js';
import { Status } from '../gen/multiraft/v1/output_pb.js';
import { atomicValueService } from '../primitives/index.js';
import { encodeRequest } from '../protocol/index.js';
import type { PartitionSessions, PrimitiveName, SessionCallFailure } from '../session/index.js';
import {
  type AtomicValueAnswer,
  type AtomicValueInput,
  answerOf,
  eventsPayload,
  getPayload,
  primitiveQuery,
  resultOfCommand,
} from './atomic-value-wire.js';
import type { Codec } from './codec.js';
import { CallGaveUpError } from './errors.js';
import type { PartitionClient } from './partition-client.js';
import { CommandFailedError, type CommandFailure, runCommand } from './session-command.js';
import { type Ttl, ttlMs } from './ttl.js';
import {
  AbortedError,
  AlreadyExistsError,
  ClosedError,
  ConflictError,
  InvalidArgumentError,
  type MultiraftError,
  NotFoundError,
  SessionExpiredError,
  StreamOverflowError,
  TimeoutError,
  UnavailableError,
  ValueDecodeError,
} from './value-errors.js';
import { watchValue } from './value-watch.js';

export interface CallOptions {
  readonly signal?: AbortSignal;
  /** Default the client's `timeoutMs`. */
  readonly timeoutMs?: number;
}

export interface Versioned<T> {
  readonly value: T;
  readonly version: number;
}

export type ValueEvent<T> =
  | { readonly type: 'created'; readonly value: T; readonly version: number }
  | {
      readonly type: 'updated';
      readonly value: T;
      readonly version: number;
      readonly prevValue: T;
      readonly prevVersion: number;
    }
  | {
      readonly type: 'deleted';
      /** The value that was removed. */
      readonly value: T;
      readonly version: number;
      /** Removed by its ttl rather than by a delete. */
      readonly expired: boolean;
    };

/** An events subscription: iterate it; `subscribed` resolves once every later change will show. */
export interface EventStream<T> extends AsyncIterable<ValueEvent<T>> {
  readonly subscribed: Promise<void>;
}

/** What an AtomicValue handle needs from its client. */
export interface AtomicValueContext {
  readonly calls: PartitionClient;
  readonly sessions: PartitionSessions;
  readonly timeoutMs: number;
  /** Items a stream buffers for a slow consumer (events fail beyond it, watch skips). */
  readonly streamBufferMax: number;
  partitionOf(name: string): PartitionId;
  /** Registers an open stream; the returned function unregisters it. */
  track(end: (error: MultiraftError) => void): () => void;
  readonly closed: boolean;
}

export class AtomicValueClient<T> {
  readonly name: string;
  readonly namespace: string;
  readonly #c: AtomicValueContext;
  readonly #codec: Codec<T>;
  readonly #partition: PartitionId;
  readonly #primitive: PrimitiveName;
  readonly #key: string;

  constructor(context: AtomicValueContext, name: string, namespace: string, codec: Codec<T>) {
    this.#c = context;
    this.name = name;
    this.namespace = namespace;
    this.#codec = codec;
    this.#partition = context.partitionOf(name);
    this.#primitive = { service: atomicValueService, namespace, name };
    this.#key = `${namespace}/${name}`;
  }

  /** The value and its version; NotFoundError when there is none. */
  async get(options: CallOptions = {}): Promise<Versioned<T>> {
    const answer = await this.#query(options);
    if (!answer.ok) throw this.#failed(answer, 0);
    if (answer.output.case !== 'get' || answer.output.value.value === undefined) {
      throw new NotFoundError(this.#key);
    }
    return this.#versioned(answer.output.value.value);
  }

  /** Sets the value; with `ifAbsent`, AlreadyExistsError (and nothing changes) if there is one. */
  async set(
    value: T,
    options: CallOptions & { readonly ttl?: Ttl; readonly ifAbsent?: boolean } = {},
  ): Promise<{ readonly version: number }> {
    const answer = await this.#command(
      {
        case: 'set',
        value: {
          value: this.#codec.encode(value),
          ttl: this.#ttl(options.ttl),
          ifAbsent: options.ifAbsent === true,
        },
      },
      options,
    );
    if (!answer.ok) throw this.#failed(answer, 0);
    if (answer.output.case !== 'set') throw unexpected(answer);
    return { version: Number(answer.output.value.index) };
  }

  /**
   * Replaces an existing value (NotFoundError if none); with `ifVersion`, only at that version
   * (ConflictError carrying the current value otherwise). A ttl left out clears an earlier one.
   */
  async update(
    value: T,
    options: CallOptions & { readonly ifVersion?: number; readonly ttl?: Ttl } = {},
  ): Promise<{ readonly version: number; readonly prevValue: T }> {
    const ifVersion = this.#version(options.ifVersion);
    const answer = await this.#command(
      {
        case: 'update',
        value: {
          value: this.#codec.encode(value),
          prevIndex: BigInt(ifVersion),
          ttl: this.#ttl(options.ttl),
        },
      },
      options,
    );
    if (!answer.ok) throw this.#failed(answer, ifVersion);
    if (answer.output.case !== 'update' || answer.output.value.prevValue === undefined) {
      throw unexpected(answer);
    }
    return {
      version: Number(answer.output.value.index),
      prevValue: this.#decode(answer.output.value.prevValue.value),
    };
  }

  /** Removes the value and returns it; `ifVersion` as for update. */
  async delete(options: CallOptions & { readonly ifVersion?: number } = {}): Promise<Versioned<T>> {
    const ifVersion = this.#version(options.ifVersion);
    const answer = await this.#command(
      { case: 'delete', value: { prevIndex: BigInt(ifVersion) } },
      options,
    );
    if (!answer.ok) throw this.#failed(answer, ifVersion);
    if (answer.output.case !== 'delete' || answer.output.value.value === undefined) {
      throw unexpected(answer);
    }
    return this.#versioned(answer.output.value.value);
  }

  /**
   * The current value (null when there is none), then the value after every change. A slow
   * consumer skips to the newest; after a leader change the current value comes again. Ends when
   * `signal` aborts or the client closes.
   */
  watch(options: { readonly signal?: AbortSignal } = {}): AsyncIterable<Versioned<T> | null> {
    const c = this.#c;
    const channel = new BoundedChannel<Versioned<T> | null>({
      capacity: 1,
      overflow: 'latest',
      onAbandon: () => end(),
    });
    let ended = false;
    let watch: { stop(): void } | undefined;
    const end = (error?: MultiraftError) => {
      if (ended) return;
      ended = true;
      untrack();
      watch?.stop();
      channel.end(error);
      options.signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => end();
    const untrack = c.track((error) => end(error));
    if (c.closed) end(new ClosedError());
    else if (options.signal?.aborted) end();
    if (ended) return channel;
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const target = { partition: this.#partition, primitive: this.#primitive };
    watch = watchValue(c.calls, c.sessions, target, Number.POSITIVE_INFINITY, {
      value: (v) => channel.push(v === undefined ? null : this.#versioned(v)),
      ended: (why) => {
        if (why.kind === 'refused') end(this.#failed(why.answer, 0));
        else if (why.kind === 'no-primitive') end(this.#streamFailure(why.failure));
        else end(new UnavailableError('the watch gave up'));
      },
    });
    return channel;
  }

  /**
   * Every change in log order, exactly once while the session lives; SessionExpiredError if it
   * expires (changes may have been missed: read again and subscribe again), StreamOverflowError
   * if the consumer falls `streamBufferMax` events behind. Subscribes at once; `subscribed`
   * resolves when the subscription is in place.
   */
  events(options: { readonly signal?: AbortSignal } = {}): EventStream<T> {
    const c = this.#c;
    const channel = new BoundedChannel<ValueEvent<T>>({
      capacity: c.streamBufferMax,
      overflow: 'fail',
      overflowError: () => new StreamOverflowError(c.streamBufferMax),
      onAbandon: () => end(),
    });
    let resolveSubscribed!: () => void;
    let rejectSubscribed!: (error: Error) => void;
    const subscribed = new Promise<void>((resolve, reject) => {
      resolveSubscribed = resolve;
      rejectSubscribed = reject;
    });
    // Awaiting it is optional: a failure also ends the iteration.
    subscribed.catch(() => {});
    let ended = false;
    const end = (error?: MultiraftError) => {
      if (ended) return;
      ended = true;
      untrack();
      stream.cancel();
      channel.end(error);
      rejectSubscribed(error ?? new ClosedError());
      options.signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => end();
    const untrack = c.track((error) => end(error));
    const stream = c.sessions.stream(this.#partition, this.#primitive, eventsPayload, {
      output: (out) => {
        const answer = answerOf(resultOfCommand(out));
        if (!answer.ok || answer.output.case !== 'events') return;
        const event = answer.output.value.event;
        // The first output acknowledges the subscription; it is no event.
        if (event === undefined) return resolveSubscribed();
        const decoded = this.#event(event.event);
        if (decoded !== undefined && !channel.push(decoded)) end();
      },
      ended: (status, message) =>
        end(this.#failed({ ok: false, status, message, current: undefined }, 0)),
      failed: (failure) => end(this.#streamFailure(failure)),
    });
    if (c.closed) end(new ClosedError());
    else if (options.signal?.aborted) end();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    return { subscribed, [Symbol.asyncIterator]: () => channel[Symbol.asyncIterator]() };
  }

  async #command(input: AtomicValueInput, options: CallOptions): Promise<AtomicValueAnswer> {
    const c = this.#c;
    if (c.closed) throw new ClosedError();
    const timeoutMs = options.timeoutMs ?? c.timeoutMs;
    const { signal } = options;
    if (signal?.aborted) throw new AbortedError(false, signal.reason);
    const target = { partition: this.#partition, primitive: this.#primitive };
    const deadline = c.calls.timers.now + timeoutMs;
    try {
      const out = await runCommand(c.sessions, target, encodeRequest(input), deadline, signal);
      return answerOf(resultOfCommand(out));
    } catch (error) {
      if (!(error instanceof CommandFailedError)) throw error;
      throw this.#callFailure(error.failure, timeoutMs);
    }
  }

  async #query(options: CallOptions): Promise<AtomicValueAnswer> {
    const c = this.#c;
    if (c.closed) throw new ClosedError();
    const timeoutMs = options.timeoutMs ?? c.timeoutMs;
    let result: ServiceResult;
    try {
      ({ result } = await c.calls.query(
        this.#partition,
        primitiveQuery(this.#primitive, getPayload),
        {
          timeoutMs,
          ...(options.signal === undefined ? {} : { signal: options.signal }),
        },
      ));
    } catch (error) {
      if (!(error instanceof CallGaveUpError)) throw error;
      if (c.closed) throw new ClosedError();
      // A read that gave up did nothing.
      if (error.code === 'ABORTED') throw new AbortedError(false, options.signal?.reason);
      throw new TimeoutError(timeoutMs, false);
    }
    return answerOf(result);
  }

  #ttl(ttl: Ttl | undefined) {
    if (ttl === undefined) return undefined;
    const ms = ttlMs(ttl);
    return create(DurationSchema, {
      seconds: BigInt(Math.floor(ms / 1000)),
      nanos: (ms % 1000) * 1_000_000,
    });
  }

  #version(version: number | undefined): number {
    if (version === undefined) return 0;
    if (!Number.isSafeInteger(version) || version <= 0) {
      throw new InvalidArgumentError(`ifVersion must be a positive integer, not ${version}`);
    }
    return version;
  }

  /** A stored value in the caller's type; bytes another codec wrote are a typed error. */
  #decode(bytes: Uint8Array): T {
    try {
      return this.#codec.decode(bytes);
    } catch (error) {
      throw new ValueDecodeError(this.#key, error);
    }
  }

  #versioned(v: Value): Versioned<T> {
    return { value: this.#decode(v.value), version: Number(v.index) };
  }

  #event(e: StateEvent['event']): ValueEvent<T> | undefined {
    switch (e.case) {
      case 'created':
        return e.value.value && { type: 'created', ...this.#versioned(e.value.value) };
      case 'updated': {
        const { value, prevValue } = e.value;
        if (value === undefined || prevValue === undefined) return undefined;
        return {
          type: 'updated',
          ...this.#versioned(value),
          prevValue: this.#decode(prevValue.value),
          prevVersion: Number(prevValue.index),
        };
      }
      case 'deleted':
        return (
          e.value.value && {
            type: 'deleted',
            ...this.#versioned(e.value.value),
            expired: e.value.expired,
          }
        );
      case undefined:
        return undefined;
    }
  }

  /** The typed error of a failed answer; `expected` is the version a conditional change named. */
  #failed(answer: Extract<AtomicValueAnswer, { ok: false }>, expected: number): MultiraftError {
    const current = answer.current && this.#versioned(answer.current);
    switch (answer.status) {
      case Status.NOT_FOUND:
        return new NotFoundError(this.#key);
      case Status.ALREADY_EXISTS:
        if (current !== undefined) return new AlreadyExistsError(this.#key, current);
        break;
      case Status.CONFLICT:
        if (current !== undefined) return new ConflictError(this.#key, expected, current);
        break;
      case Status.INVALID:
        return new InvalidArgumentError(answer.message);
      case Status.RESOURCE_EXHAUSTED:
      case Status.UNAVAILABLE:
        return new UnavailableError(answer.message || Status[answer.status]!);
      case Status.SESSION_EXPIRED:
        return new SessionExpiredError(true);
    }
    return new UnavailableError(`${Status[answer.status]}: ${answer.message}`);
  }

  #callFailure(failure: CommandFailure, timeoutMs: number): MultiraftError {
    switch (failure.code) {
      case 'ABORTED':
        return new AbortedError(failure.mayHaveApplied, failure.reason);
      case 'UNAVAILABLE':
        return new UnavailableError('no session could be opened on the partition in time');
      case 'RESOURCE_EXHAUSTED':
        return new UnavailableError('too many calls in flight on the session');
      case 'DEADLINE_EXCEEDED':
        return new TimeoutError(timeoutMs, failure.mayHaveApplied);
      case 'SESSION_EXPIRED':
        return new SessionExpiredError(failure.mayHaveApplied);
      case 'CLOSED':
        return new ClosedError(failure.mayHaveApplied);
    }
  }

  #streamFailure(failure: SessionCallFailure): MultiraftError {
    return failure.code === 'SESSION_EXPIRED'
      ? new SessionExpiredError(false)
      : this.#callFailure(failure, 0);
  }
}

/** An answer the operation cannot have produced: a bug somewhere, reported as such. */
function unexpected(answer: AtomicValueAnswer): Error {
  return new Error(`unexpected answer: ${answer.ok ? answer.output.case : answer.status}`);
}
