// Exit codes of the commands that talk to a running cluster (`multiraft value …`, `status`), one
// per way a script reacts differently, and the one line on stderr that goes with them. 0–2 mean
// what they mean for `start`: ok, unexpected failure, usage.

import {
  AlreadyExistsError,
  ConflictError,
  InvalidArgumentError,
  type MultiraftError,
  NotFoundError,
  ValueDecodeError,
} from '../client/index.js';

export const clientExitCodes = {
  ok: 0,
  /** A bug or an error no other code covers (a stack trace on stderr), or a value not text. */
  unexpected: 1,
  /** A usage error or an invalid argument (bad flag, name, ttl, value too large). */
  usage: 2,
  /** The value does not exist (get, update, delete). */
  notFound: 3,
  /** `--if-version` is not the current version, or `--if-absent` found a value. */
  conflict: 4,
  /** Nothing happened (no endpoint or leader answered, a limit refused): a retry is safe. */
  unavailable: 5,
  /** The outcome is unknown (timeout, Ctrl-C or a lost session during a change): read first. */
  outcomeUnknown: 6,
} as const;
export type ClientExitCode = (typeof clientExitCodes)[keyof typeof clientExitCodes];

/** For `--help`, README and docs/client.md say the same. */
export const clientExitCodesHelp = [
  'Exit codes: 0 ok; 1 unexpected error or a stored value that is not UTF-8 text; 2 usage or',
  'invalid argument; 3 not found;',
  '4 conflict (--if-version) or already exists (--if-absent); 5 unavailable, nothing happened',
  '(retry is safe); 6 outcome unknown (a change may have happened). Errors print one line on',
  'stderr: CODE: message.',
].join('\n');

export function exitCodeOf(error: MultiraftError): ClientExitCode {
  if (error instanceof NotFoundError) return clientExitCodes.notFound;
  if (error instanceof ConflictError || error instanceof AlreadyExistsError) {
    return clientExitCodes.conflict;
  }
  if (error instanceof InvalidArgumentError) return clientExitCodes.usage;
  if (error instanceof ValueDecodeError) return clientExitCodes.unexpected;
  return error.mayHaveApplied ? clientExitCodes.outcomeUnknown : clientExitCodes.unavailable;
}

/** The stderr line of an error: `CODE: message`. */
export function errorLine(error: MultiraftError): string {
  return `${error.code}: ${error.message}`;
}
