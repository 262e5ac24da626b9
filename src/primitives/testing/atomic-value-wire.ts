// Test helpers that speak the AtomicValue's wire protocol: build encoded inputs, decode outputs
// into plain objects that tests compare with toEqual.

import { create, fromBinary, type MessageInitShape, toBinary } from '@bufbuild/protobuf';
import { type Duration, DurationSchema } from '@bufbuild/protobuf/wkt';
import { assert } from '../../common/index.js';
import type { ServiceResult, StreamStart } from '../../fsm/index.js';
import {
  AtomicValueInputSchema,
  type AtomicValueOutput,
  AtomicValueOutputSchema,
  type Event,
  type Value,
  ValueSchema,
} from '../../gen/atomix/multiraft/atomic/value/v1/fsm_pb.js';
import { Status } from '../../gen/multiraft/v1/output_pb.js';

export function encodeInput(
  input: MessageInitShape<typeof AtomicValueInputSchema>['input'],
): Uint8Array {
  return toBinary(AtomicValueInputSchema, create(AtomicValueInputSchema, { input }));
}

export const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
export const text = (data: Uint8Array): string => new TextDecoder().decode(data);

export function duration(seconds: bigint | number, nanos = 0): Duration {
  return create(DurationSchema, { seconds: BigInt(seconds), nanos });
}

export const wire = {
  get: () => encodeInput({ case: 'get', value: {} }),
  set: (value: string | Uint8Array, options: { ttl?: Duration; ifAbsent?: boolean } = {}) =>
    encodeInput({
      case: 'set',
      value: { value: typeof value === 'string' ? bytes(value) : value, ...options },
    }),
  update: (value: string | Uint8Array, prevIndex: number | bigint, ttl?: Duration) =>
    encodeInput({
      case: 'update',
      value: {
        value: typeof value === 'string' ? bytes(value) : value,
        prevIndex: BigInt(prevIndex),
        ...(ttl === undefined ? {} : { ttl }),
      },
    }),
  delete: (prevIndex: number | bigint) =>
    encodeInput({ case: 'delete', value: { prevIndex: BigInt(prevIndex) } }),
  events: () => encodeInput({ case: 'events', value: {} }),
  watch: () => encodeInput({ case: 'watch', value: {} }),
  empty: () => encodeInput({ case: undefined }),
};

/** A value as tests write it: its text and version. */
export interface PlainValue {
  readonly value: string;
  readonly index: number;
}

function plain(value: Value | undefined): PlainValue | undefined {
  return value === undefined ? undefined : { value: text(value.value), index: Number(value.index) };
}

/** A result as tests compare it: status, and either the decoded output or the current value. */
export interface Plain {
  readonly status: string;
  readonly output?: unknown;
  readonly current?: PlainValue;
}

/** Decodes a ServiceResult (or a stream's first output) into a plain comparable object. */
export function decode(result: ServiceResult | StreamStart): Plain {
  const single = 'stream' in result ? result.first : result;
  if (single.status !== Status.OK) {
    const status = Status[single.status];
    if (single.current === undefined) return { status };
    return { status, current: plain(fromBinary(ValueSchema, single.current)) };
  }
  const output = fromBinary(AtomicValueOutputSchema, single.payload).output;
  return { status: 'OK', output: plainOutput(output) };
}

function plainOutput(output: AtomicValueOutput['output']): unknown {
  switch (output.case) {
    case 'get':
      return { get: plain(output.value.value) };
    case 'set':
      return { set: Number(output.value.index) };
    case 'update':
      return { update: Number(output.value.index), prev: plain(output.value.prevValue) };
    case 'delete':
      return { delete: plain(output.value.value) };
    case 'watch':
      return { watch: plain(output.value.value) ?? null };
    case 'events':
      return { events: plainEvent(output.value.event) };
    case undefined:
      assert(false, 'an OK output is never empty');
  }
}

function plainEvent(event: Event | undefined): unknown {
  if (event === undefined) return null;
  switch (event.event.case) {
    case 'created':
      return { created: plain(event.event.value.value) };
    case 'updated':
      return { updated: plain(event.event.value.value), prev: plain(event.event.value.prevValue) };
    case 'deleted':
      return { deleted: plain(event.event.value.value), expired: event.event.value.expired };
    case undefined:
      return { empty: true };
  }
}
