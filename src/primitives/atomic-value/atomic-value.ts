// The AtomicValue state machine (DESIGN §4): one versioned value with set / update / delete by
// version, TTL expiry through the host's timers, replicated Events streams and node-local Watch
// sinks. Deterministic: replicated effects depend only on the input, the host's time and index,
// and this state. Never throws on bad input: every problem is an error result.

import { create } from '@bufbuild/protobuf';
import { assert, logIndex, safeNumber, timestampMs } from '../../common/index.js';
import type {
  QuerySink,
  Service,
  ServiceHost,
  ServiceResult,
  StreamId,
  StreamStart,
} from '../../fsm/index.js';
import {
  type DeleteInput,
  DeleteOutputSchema,
  type Event,
  EventSchema,
  EventsOutputSchema,
  type GetOutput,
  type SetInput,
  type SetOutput,
  type UpdateInput,
  type UpdateOutput,
  WatchOutputSchema,
} from '../../gen/atomix/multiraft/atomic/value/v1/fsm_pb.js';
import { Status } from '../../gen/multiraft/v1/output_pb.js';
import { failure, invalid, ok, requestOf, type StoredValue, valueMessage } from './codec.js';
import { type AtomicValueSnapshot, encodeSnapshot } from './snapshot.js';
import { StreamSet } from './streams.js';
import { ttlMs } from './ttl.js';
import { WatcherSet } from './watchers.js';

/** The service string the AtomicValue is registered under. */
export const atomicValueService = 'atomix.multiraft.atomic.value.v1.AtomicValue';

/** The tag of the one host timer an AtomicValue uses: the expiry of its value. */
export const expiryTimerTag = 1;

export class AtomicValue implements Service {
  readonly #host: ServiceHost;
  // Invariant: a host timer with expiryTimerTag is scheduled iff #current?.expireMs is defined.
  #current: StoredValue | undefined;
  readonly #streams = new StreamSet();
  readonly #watchers = new WatcherSet();

  constructor(host: ServiceHost, restored?: AtomicValueSnapshot) {
    this.#host = host;
    this.#current = restored?.current;
    for (const stream of restored?.streams ?? []) {
      assert(this.#streams.add(stream), 'restored streams are distinct');
    }
  }

  command(input: Uint8Array, caller: StreamId): ServiceResult | StreamStart {
    const request = requestOf(input);
    if (request === undefined) return invalid('malformed AtomicValueInput');
    switch (request.case) {
      case 'get':
        return this.#get();
      case 'set':
        return this.#set(request.value);
      case 'update':
        return this.#update(request.value);
      case 'delete':
        return this.#delete(request.value);
      case 'events':
        return this.#subscribe(caller);
      case 'watch':
        return invalid('watch is a query; it cannot go through the log');
      case undefined:
        return invalid('empty AtomicValueInput');
    }
  }

  query(input: Uint8Array, sink: QuerySink): void {
    if (sink.closed) return;
    const request = requestOf(input);
    if (request?.case === 'watch') {
      sink.next(this.#watchOutput());
      this.#watchers.add(sink);
      return;
    }
    if (request === undefined) sink.next(invalid('malformed AtomicValueInput'));
    else if (request.case === 'get') sink.next(this.#get());
    else if (request.case === undefined) sink.next(invalid('empty AtomicValueInput'));
    else sink.next(invalid(`${request.case} is a command; it must go through the log`));
    sink.end();
  }

  timer(tag: number): void {
    assert(tag === expiryTimerTag, `AtomicValue timer tag ${tag} is not its own`);
    const current = this.#current;
    // Invariant (above): the fsm fires only timers this value scheduled and did not cancel.
    assert(current?.expireMs !== undefined, 'expiry timer fired without an expiring value');
    if (this.#host.time() < current.expireMs) {
      // Never early in state-machine time: a timer that fires too soon waits again.
      this.#host.scheduleTimer(current.expireMs, expiryTimerTag);
      return;
    }
    this.#current = undefined;
    this.#publish(() => deletedEvent(current, true));
  }

  streamClosed(stream: StreamId): void {
    this.#streams.remove(stream);
  }

  detachSinks(): void {
    this.#watchers.endAll();
  }

  snapshot(): Uint8Array {
    return encodeSnapshot({ current: this.#current, streams: this.#streams.list() });
  }

  /** Node-local: the number of open Watch sinks (for tests and metrics). */
  get watcherCount(): number {
    return this.#watchers.size;
  }

  #get(): ServiceResult {
    const current = this.#current;
    if (current === undefined) return failure(Status.NOT_FOUND, 'no value');
    const output: GetOutput = {
      $typeName: 'atomix.multiraft.atomic.value.v1.GetOutput',
      value: valueMessage(current),
    };
    return ok({ case: 'get', value: output });
  }

  #set(input: SetInput): ServiceResult {
    const ttl = this.#checkValue(input.value, input.ttl);
    if (typeof ttl !== 'number') return ttl;
    const previous = this.#current;
    if (input.ifAbsent && previous !== undefined) {
      return failure(Status.ALREADY_EXISTS, 'a value exists', previous);
    }
    const next = this.#store(input.value, ttl);
    this.#publish(() =>
      previous === undefined ? createdEvent(next) : updatedEvent(next, previous),
    );
    const output: SetOutput = {
      $typeName: 'atomix.multiraft.atomic.value.v1.SetOutput',
      index: BigInt(next.index),
    };
    return ok({ case: 'set', value: output });
  }

  #update(input: UpdateInput): ServiceResult {
    const ttl = this.#checkValue(input.value, input.ttl);
    if (typeof ttl !== 'number') return ttl;
    const refused = this.#checkVersion(input.prevIndex);
    if (refused !== undefined) return refused;
    const previous = this.#current;
    assert(previous !== undefined, 'a guarded update has a previous value');
    const next = this.#store(input.value, ttl);
    this.#publish(() => updatedEvent(next, previous));
    const output: UpdateOutput = {
      $typeName: 'atomix.multiraft.atomic.value.v1.UpdateOutput',
      index: BigInt(next.index),
      prevValue: valueMessage(previous),
    };
    return ok({ case: 'update', value: output });
  }

  #delete(input: DeleteInput): ServiceResult {
    const refused = this.#checkVersion(input.prevIndex);
    if (refused !== undefined) return refused;
    const previous = this.#current;
    assert(previous !== undefined, 'a guarded delete has a previous value');
    this.#current = undefined;
    if (previous.expireMs !== undefined) this.#host.cancelTimer(expiryTimerTag);
    this.#publish(() => deletedEvent(previous, false));
    const output = create(DeleteOutputSchema, { value: valueMessage(previous) });
    return ok({ case: 'delete', value: output });
  }

  #subscribe(caller: StreamId): StreamStart {
    // The fsm executes a command number once, so a stream id is never subscribed twice.
    assert(this.#streams.add(caller), 'an Events stream is subscribed once');
    return { stream: true, first: ok({ case: 'events', value: create(EventsOutputSchema) }) };
  }

  /** Checks the size and TTL of a value to write: its TTL in ms (0 = none), or an INVALID. */
  #checkValue(value: Uint8Array, ttl: SetInput['ttl']): number | ServiceResult {
    const { valueBytesMax, ttlMsMax } = this.#host.limits;
    if (value.length > valueBytesMax) {
      return invalid(`value of ${value.length} bytes is above ${valueBytesMax}`);
    }
    const checked = ttlMs(ttl, ttlMsMax);
    return checked.ok ? checked.ms : invalid(checked.message);
  }

  /** Checks prev_index (0 = any version) against the current value: undefined when it passes. */
  #checkVersion(prevIndex: bigint): ServiceResult | undefined {
    const index = safeNumber(prevIndex);
    if (index === undefined) return invalid(`prev_index ${prevIndex} out of range`);
    const current = this.#current;
    if (current === undefined) return failure(Status.NOT_FOUND, 'no value');
    if (index !== 0 && index !== current.index) {
      return failure(Status.CONFLICT, `version is ${current.index}, not ${index}`, current);
    }
    return undefined;
  }

  /** Writes a new value at this entry's index and keeps the expiry timer in step. */
  #store(bytes: Uint8Array, ttl: number): StoredValue {
    const previous = this.#current;
    const index = this.#host.index();
    assert(previous === undefined || index > previous.index, 'versions increase');
    assert(index >= 1, 'a version is a log index ≥ 1');
    const expireMs = ttl > 0 ? timestampMs(this.#host.time() + ttl) : undefined;
    // Copy: decoded bytes are views into the entry's buffer, which the caller may reuse.
    const next: StoredValue = { value: bytes.slice(), index: logIndex(index), expireMs };
    this.#current = next;
    if (expireMs !== undefined) this.#host.scheduleTimer(expireMs, expiryTimerTag);
    else if (previous?.expireMs !== undefined) this.#host.cancelTimer(expiryTimerTag);
    return next;
  }

  /**
   * Sends a change to every Events stream (in stream order) and every watcher. The outputs are
   * built only for someone: most writes have no listener, and encoding them was a tenth of a
   * replica's CPU per write (bench:profile).
   */
  #publish(event: () => Event): void {
    if (this.#streams.size > 0) {
      const result = ok({ case: 'events', value: create(EventsOutputSchema, { event: event() }) });
      for (const stream of this.#streams.list()) this.#host.emit(stream, result);
    }
    if (this.#watchers.size > 0) this.#watchers.send(this.#watchOutput());
  }

  #watchOutput(): ServiceResult {
    const current = this.#current;
    const output = create(WatchOutputSchema);
    if (current !== undefined) output.value = valueMessage(current);
    return ok({ case: 'watch', value: output });
  }
}

function createdEvent(value: StoredValue): Event {
  return create(EventSchema, {
    event: { case: 'created', value: { value: valueMessage(value) } },
  });
}

function updatedEvent(value: StoredValue, previous: StoredValue): Event {
  return create(EventSchema, {
    event: {
      case: 'updated',
      value: { value: valueMessage(value), prevValue: valueMessage(previous) },
    },
  });
}

function deletedEvent(value: StoredValue, expired: boolean): Event {
  return create(EventSchema, {
    event: { case: 'deleted', value: { value: valueMessage(value), expired } },
  });
}
