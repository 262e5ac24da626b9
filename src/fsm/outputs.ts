// What `apply` returns: outputs to route to waiting callers. See index.ts for the routing rules.

import { create } from '@bufbuild/protobuf';
import type { LogIndex, SequenceNum, SessionId } from '../common/index.js';
import {
  type PartitionOutput,
  PartitionOutputSchema,
  type SessionOutput,
  SessionOutputSchema,
} from '../gen/atomix/multiraft/v1/fsm_pb.js';
import { type CommandOutput, CommandOutputSchema, Status } from '../gen/multiraft/v1/output_pb.js';
import type { ServiceResult } from './service.js';

/**
 * One output of `apply`:
 * - `entry`: the answer to the entry at `index` itself (open-session, keep-alive, close-session,
 *   and any entry too malformed to name a session and sequence number);
 * - `command`: an output of the session command (session, seq): its first output, a replay, a
 *   later stream output, a stream's end, or an answer given without executing (STALE,
 *   SESSION_EXPIRED, RESOURCE_EXHAUSTED).
 */
export type ApplyOutput =
  | { readonly kind: 'entry'; readonly index: LogIndex; readonly output: CommandOutput }
  | {
      readonly kind: 'command';
      readonly session: SessionId;
      readonly seq: SequenceNum;
      readonly output: CommandOutput;
    };

export interface OutputFields {
  readonly index: number;
  readonly outputSeq: number;
  readonly done: boolean;
}

/** An OK output carrying a partition output. */
export function okOutput(at: OutputFields, output: PartitionOutput['output']): CommandOutput {
  return create(CommandOutputSchema, {
    index: BigInt(at.index),
    sequenceNum: BigInt(at.outputSeq),
    status: Status.OK,
    output: create(PartitionOutputSchema, { output }),
    done: at.done,
  });
}

/** An error output (never OK). */
export function errorOutput(
  at: OutputFields,
  status: Exclude<Status, Status.OK>,
  message: string,
  current?: Uint8Array,
): CommandOutput {
  return create(CommandOutputSchema, {
    index: BigInt(at.index),
    sequenceNum: BigInt(at.outputSeq),
    status,
    message,
    current: current ?? new Uint8Array(0),
    done: at.done,
  });
}

/** An output of a session command: OK wraps `ok` in a SessionOutput, errors carry the status. */
export function sessionOutput(
  at: OutputFields,
  result: ServiceResult,
  ok: (payload: Uint8Array) => SessionOutput['output'],
): CommandOutput {
  if (result.status === Status.OK) {
    return okOutput(at, {
      case: 'sessionOutput',
      value: create(SessionOutputSchema, { output: ok(result.payload) }),
    });
  }
  return errorOutput(at, result.status, result.message, result.current);
}
