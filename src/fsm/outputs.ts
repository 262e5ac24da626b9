// What `apply` returns: outputs to route to waiting callers. See index.ts for the routing rules.
//
// Every replica builds these for every command, so they are message literals, not `create()`:
// the generated types require every field, and `create` walking the schema for defaults cost
// about 2.5 µs of the 3 per output (bench/profile, then a micro-benchmark).

import { type LogIndex, noBytes, type SequenceNum, type SessionId } from '../common/index.js';
import type { PartitionOutput, SessionOutput } from '../gen/atomix/multiraft/v1/fsm_pb.js';
import { type CommandOutput, Status } from '../gen/multiraft/v1/output_pb.js';
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
  return okOutputOf(at, { $typeName: 'atomix.multiraft.v1.PartitionOutput', output });
}

function okOutputOf(at: OutputFields, output: PartitionOutput): CommandOutput {
  return {
    $typeName: 'multiraft.v1.CommandOutput',
    index: BigInt(at.index),
    sequenceNum: BigInt(at.outputSeq),
    status: Status.OK,
    message: '',
    output,
    current: noBytes,
    done: at.done,
  };
}

/** An error output (never OK). */
export function errorOutput(
  at: OutputFields,
  status: Exclude<Status, Status.OK>,
  message: string,
  current?: Uint8Array,
): CommandOutput {
  return {
    $typeName: 'multiraft.v1.CommandOutput',
    index: BigInt(at.index),
    sequenceNum: BigInt(at.outputSeq),
    status,
    message,
    current: current ?? noBytes,
    done: at.done,
  };
}

/** How a service's OK payload becomes a session output (a service output, usually). */
export type OkWrap = (payload: Uint8Array) => SessionOutput['output'];

/**
 * Outputs of session commands: OK wraps `ok(payload)` in a SessionOutput, errors carry the status.
 * Consecutive outputs of one result share the wrapping: a service sends one change to each of its
 * streams as one result (an AtomicValue's events), and every replica caches each stream's output
 * until its client acknowledges it, so each holds one object of its own instead of six.
 */
export class SessionOutputs {
  #result: ServiceResult | undefined;
  #ok: OkWrap | undefined;
  #output: PartitionOutput | undefined;

  of(at: OutputFields, result: ServiceResult, ok: OkWrap): CommandOutput {
    if (result.status !== Status.OK) {
      return errorOutput(at, result.status, result.message, result.current);
    }
    if (result !== this.#result || ok !== this.#ok || this.#output === undefined) {
      this.#result = result;
      this.#ok = ok;
      this.#output = {
        $typeName: 'atomix.multiraft.v1.PartitionOutput',
        output: {
          case: 'sessionOutput',
          value: { $typeName: 'atomix.multiraft.v1.SessionOutput', output: ok(result.payload) },
        },
      };
    }
    return okOutputOf(at, this.#output);
  }
}
