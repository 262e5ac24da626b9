// The client side of the AtomicValue's payloads (DESIGN §4): inputs encoded for a command or query,
// and answers decoded into the primitive's output or a failure carrying the current value. The
// SDK and the server's gRPC gateway both speak it.

import type { ServiceResult } from '../fsm/index.js';
import type { AtomicValueOutput, Value } from '../gen/atomix/multiraft/atomic/value/v1/fsm_pb.js';
import { type CommandOutput, type QueryInput, Status } from '../gen/multiraft/v1/output_pb.js';
import { decodeResponse, decodeValue, encodeRequest, type RequestInit } from '../protocol/index.js';
import { type PrimitiveName, servicePayload } from '../session/index.js';

export type AtomicValueInput = RequestInit;

/** A query of the primitive by name (no session, no service id needed). */
export function primitiveQuery(primitive: PrimitiveName, payload: Uint8Array): QueryInput {
  const { service, namespace, name } = primitive;
  // A literal, not create(): every read builds one (see fsm/outputs.ts).
  return {
    $typeName: 'multiraft.v1.QueryInput',
    sessionId: 0n,
    target: {
      case: 'primitive',
      value: { $typeName: 'multiraft.v1.PrimitiveRef', service, namespace, name },
    },
    payload,
  };
}

export const getPayload = encodeRequest({ case: 'get', value: {} });
export const watchPayload = encodeRequest({ case: 'watch', value: {} });
export const eventsPayload = encodeRequest({ case: 'events', value: {} });

/** What the AtomicValue answered: its output, or a failed status with the current value. */
export type AtomicValueAnswer =
  | { readonly ok: true; readonly output: AtomicValueOutput['output'] }
  | {
      readonly ok: false;
      readonly status: Exclude<Status, Status.OK>;
      readonly message: string;
      /** For CONFLICT and ALREADY_EXISTS: the value as it is. */
      readonly current: Value | undefined;
    };

export function answerOf(result: ServiceResult): AtomicValueAnswer {
  if (result.status === Status.OK) {
    return { ok: true, output: decodeResponse(result.payload) };
  }
  const current = result.current?.length ? decodeValue(result.current) : undefined;
  return { ok: false, status: result.status, message: result.message, current };
}

/** A command's answer as a result of its primitive. */
export function resultOfCommand(out: CommandOutput): ServiceResult {
  if (out.status !== Status.OK) {
    return { status: out.status, message: out.message, current: out.current };
  }
  const payload = servicePayload(out);
  if (payload === undefined) {
    return { status: Status.INTERNAL, message: 'the answer carries no output' };
  }
  return { status: Status.OK, payload };
}
