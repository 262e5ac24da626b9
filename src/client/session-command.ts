// A command on a partition session as a promise, for the SDK and the server's gateway: it settles
// by the deadline (the session layer keeps it) and rejects at once when `signal` aborts.

import type { PartitionId } from '../common/index.js';
import type { CommandOutput } from '../gen/multiraft/v1/output_pb.js';
import type { PartitionSessions, PrimitiveName, SessionCallFailure } from '../session/index.js';

/** Why the command ended without its answer. */
export type CommandFailure =
  | SessionCallFailure
  | { readonly code: 'ABORTED'; readonly mayHaveApplied: true; readonly reason: unknown };

/** The rejection of `runCommand`: what the caller maps to its own errors. */
export class CommandFailedError extends Error {
  override readonly name = 'CommandFailedError';
  constructor(readonly failure: CommandFailure) {
    super(`the command ended without an answer: ${failure.code}`);
  }
}

export function runCommand(
  sessions: PartitionSessions,
  target: { readonly partition: PartitionId; readonly primitive: PrimitiveName },
  payload: Uint8Array,
  deadline: number,
  signal?: AbortSignal,
): Promise<CommandOutput> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      call.cancel();
      // Once started, the change may have reached the leader.
      reject(
        new CommandFailedError({ code: 'ABORTED', mayHaveApplied: true, reason: signal?.reason }),
      );
    };
    const call = sessions.command(target.partition, target.primitive, payload, deadline, {
      output: (out) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(out);
      },
      failed: (failure) => {
        signal?.removeEventListener('abort', onAbort);
        reject(new CommandFailedError(failure));
      },
    });
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}
