// The simulated client's view of the AtomicValue: builds encoded inputs from history inputs and
// turns outputs back into the history's outputs, so what is recorded is exactly what was answered.

import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { DurationSchema } from '@bufbuild/protobuf/wkt';
import {
  AtomicValueInputSchema,
  AtomicValueOutputSchema,
  type Event,
  type Value,
  ValueSchema,
} from '../src/gen/atomix/multiraft/atomic/value/v1/fsm_pb.js';
import { Status } from '../src/gen/multiraft/v1/output_pb.js';
import type { OpInput, OpOutput } from './linearizability/index.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeOp(input: OpInput): Uint8Array {
  const ttl = (ms: number | undefined) =>
    ms === undefined
      ? undefined
      : create(DurationSchema, {
          seconds: BigInt(Math.floor(ms / 1000)),
          nanos: (ms % 1000) * 1_000_000,
        });
  let body: Parameters<typeof create<typeof AtomicValueInputSchema>>[1];
  switch (input.op) {
    case 'get':
      body = { input: { case: 'get', value: {} } };
      break;
    case 'set':
      body = {
        input: {
          case: 'set',
          value: {
            value: encoder.encode(input.value),
            ttl: ttl(input.ttl),
            ifAbsent: input.ifAbsent ?? false,
          },
        },
      };
      break;
    case 'update':
      body = {
        input: {
          case: 'update',
          value: {
            value: encoder.encode(input.value),
            prevIndex: BigInt(input.prevVersion ?? 0),
            ttl: ttl(input.ttl),
          },
        },
      };
      break;
    case 'delete':
      body = { input: { case: 'delete', value: { prevIndex: BigInt(input.prevVersion ?? 0) } } };
      break;
  }
  return toBinary(AtomicValueInputSchema, create(AtomicValueInputSchema, body));
}

export const eventsInput = (): Uint8Array =>
  toBinary(
    AtomicValueInputSchema,
    create(AtomicValueInputSchema, { input: { case: 'events', value: {} } }),
  );

export interface PlainValue {
  readonly value: string;
  readonly version: number;
}

export const plainValue = (v: Value | undefined): PlainValue | undefined =>
  v === undefined ? undefined : { value: decoder.decode(v.value), version: Number(v.index) };

/**
 * An answer as the history records it, or undefined for a status that is not a definite answer
 * about the value (the caller decides what it means for the call).
 */
export function decodeOp(
  status: Status,
  payload: Uint8Array | undefined,
  current: Uint8Array | undefined,
): OpOutput | undefined {
  if (status === Status.NOT_FOUND) return { error: 'NOT_FOUND' };
  if (status === Status.CONFLICT || status === Status.ALREADY_EXISTS) {
    const error = status === Status.CONFLICT ? 'CONFLICT' : 'ALREADY_EXISTS';
    const value =
      current === undefined || current.length === 0 ? undefined : fromBinary(ValueSchema, current);
    const plain = plainValue(value);
    return plain === undefined ? { error } : { error, current: plain };
  }
  if (status !== Status.OK || payload === undefined) return undefined;
  const output = fromBinary(AtomicValueOutputSchema, payload).output;
  switch (output.case) {
    case 'get': {
      const v = plainValue(output.value.value);
      return v === undefined ? { error: 'NOT_FOUND' } : { ok: true, ...v };
    }
    case 'set':
      return { ok: true, version: Number(output.value.index) };
    case 'update': {
      const prev = plainValue(output.value.prevValue);
      return {
        ok: true,
        version: Number(output.value.index),
        ...(prev ? { prevValue: prev.value } : {}),
      };
    }
    case 'delete': {
      const v = plainValue(output.value.value);
      return v === undefined ? { ok: true } : { ok: true, ...v };
    }
    default:
      return undefined;
  }
}

/** An Events output: the acknowledgement (no event) or one event. */
export function decodeEvent(payload: Uint8Array): Event | undefined {
  const output = fromBinary(AtomicValueOutputSchema, payload).output;
  if (output.case !== 'events') throw new Error(`not an events output: ${output.case}`);
  return output.value.event;
}
