import { assert, type LogIndex, type TimestampMs } from '../../common/index.js';
import type { ServiceResult } from '../../fsm/index.js';
import type { AtomicValueInput, Value } from '../../gen/atomix/multiraft/atomic/value/v1/fsm_pb.js';
import { Status } from '../../gen/multiraft/v1/output_pb.js';
import {
  decodeRequest,
  type Response,
  writeResponse,
  writeValueMessage,
} from '../../protocol/index.js';

/** The one value an AtomicValue holds. Invariant: `index` ≥ 1; `expireMs` absent = no expiry. */
export interface StoredValue {
  readonly value: Uint8Array;
  readonly index: LogIndex;
  readonly expireMs: TimestampMs | undefined;
}

/** A decoded request: one case of the AtomicValueInput oneof (case undefined when it is empty). */
export type Request = AtomicValueInput['input'];

/** Decodes an encoded AtomicValueInput; undefined when the bytes are not a valid message. */
export function requestOf(bytes: Uint8Array): Request | undefined {
  try {
    return decodeRequest(bytes);
  } catch {
    return undefined;
  }
}

/** The wire form of a stored value (its bytes and version). */
export function valueMessage(stored: StoredValue): Value {
  assert(stored.index >= 1, 'a stored value has a version ≥ 1');
  return {
    $typeName: 'atomix.multiraft.atomic.value.v1.Value',
    value: stored.value,
    index: BigInt(stored.index),
  };
}

/** The encoded Value carried as `current` by CONFLICT and ALREADY_EXISTS. */
export function encodeCurrent(stored: StoredValue): Uint8Array {
  return writeValueMessage(valueMessage(stored));
}

/** An OK result carrying the encoded AtomicValueOutput. */
export function ok(response: Response): ServiceResult {
  return { status: Status.OK, payload: writeResponse(response) };
}

/** An error result; `current` only for CONFLICT and ALREADY_EXISTS. */
export function failure(
  status: Exclude<Status, Status.OK>,
  message: string,
  current?: StoredValue,
): ServiceResult {
  assert(
    (current !== undefined) === (status === Status.CONFLICT || status === Status.ALREADY_EXISTS),
    'current accompanies exactly CONFLICT and ALREADY_EXISTS',
  );
  if (current === undefined) return { status, message };
  return { status, message, current: encodeCurrent(current) };
}

export function invalid(message: string): ServiceResult {
  return failure(Status.INVALID, message);
}
