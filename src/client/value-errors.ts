// The SDK's errors (issue 8): one class per outcome a caller handles differently, each with a
// stable `code` and whether the call may have happened (`mayHaveApplied`: false means it certainly
// did not, so a retry is safe; true means its outcome is unknown).

export abstract class MultiraftError extends Error {
  abstract readonly code: string;
  readonly mayHaveApplied: boolean;
  constructor(message: string, mayHaveApplied: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.mayHaveApplied = mayHaveApplied;
  }
}

/** A value as it is, carried by the errors of conditional changes. */
export interface CurrentValue<T> {
  readonly value: T;
  readonly version: number;
}

/** There is no value (get, update, delete). Nothing changed. */
export class NotFoundError extends MultiraftError {
  override readonly name = 'NotFoundError';
  readonly code = 'NOT_FOUND';
  constructor(readonly key: string) {
    super(`${key} has no value`, false);
  }
}

/** `set` with `ifAbsent` found a value: `current`. Nothing changed. */
export class AlreadyExistsError<T = unknown> extends MultiraftError {
  override readonly name = 'AlreadyExistsError';
  readonly code = 'ALREADY_EXISTS';
  constructor(
    readonly key: string,
    readonly current: CurrentValue<T>,
  ) {
    super(`${key} already has a value (version ${current.version})`, false);
  }
}

/** `ifVersion` is not the current version; `current` is the value as it is. Nothing changed. */
export class ConflictError<T = unknown> extends MultiraftError {
  override readonly name = 'ConflictError';
  readonly code = 'CONFLICT';
  constructor(
    readonly key: string,
    readonly expected: number,
    readonly current: CurrentValue<T>,
  ) {
    super(`${key} is at version ${current.version}, not ${expected}`, false);
  }
}

/** The request is malformed or over a limit (name, value size, ttl). Nothing changed. */
export class InvalidArgumentError extends MultiraftError {
  override readonly name = 'InvalidArgumentError';
  readonly code = 'INVALID_ARGUMENT';
  constructor(message: string) {
    super(message, false);
  }
}

/** No leader answered, or a limit refused the call: nothing happened, a retry is safe. */
export class UnavailableError extends MultiraftError {
  override readonly name = 'UnavailableError';
  readonly code = 'UNAVAILABLE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, false, options);
  }
}

/** The call's deadline passed; a change may have happened (`mayHaveApplied`). */
export class TimeoutError extends MultiraftError {
  override readonly name = 'TimeoutError';
  readonly code = 'DEADLINE_EXCEEDED';
  constructor(timeoutMs: number, mayHaveApplied: boolean) {
    super(
      `no answer within ${timeoutMs} ms${mayHaveApplied ? '; the change may have happened' : ''}`,
      mayHaveApplied,
    );
  }
}

/** The call's signal aborted it; a change may have happened (`mayHaveApplied`). */
export class AbortedError extends MultiraftError {
  override readonly name = 'AbortedError';
  readonly code = 'ABORTED';
  constructor(mayHaveApplied: boolean, reason: unknown) {
    super(`aborted${mayHaveApplied ? '; the change may have happened' : ''}`, mayHaveApplied, {
      cause: reason,
    });
  }
}

/**
 * The client's session on the partition expired: a stream may have missed changes (read again and
 * subscribe again); a change in flight may have happened. Later calls use a new session.
 */
export class SessionExpiredError extends MultiraftError {
  override readonly name = 'SessionExpiredError';
  readonly code = 'SESSION_EXPIRED';
  constructor(mayHaveApplied: boolean) {
    super('the session expired; changes may have been missed', mayHaveApplied);
  }
}

/** The client was closed; a change in flight may have happened (`mayHaveApplied`). */
export class ClosedError extends MultiraftError {
  override readonly name = 'ClosedError';
  readonly code = 'CLOSED';
  constructor(mayHaveApplied = false) {
    super('the client is closed', mayHaveApplied);
  }
}

/** A stream's consumer fell behind its buffer: it ended (events are never dropped). */
export class StreamOverflowError extends MultiraftError {
  override readonly name = 'StreamOverflowError';
  readonly code = 'RESOURCE_EXHAUSTED';
  constructor(bufferMax: number) {
    super(`the consumer fell ${bufferMax} events behind; read again and subscribe again`, false);
  }
}

/** The stored value does not decode with this handle's codec (another codec wrote it). */
export class ValueDecodeError extends MultiraftError {
  override readonly name = 'ValueDecodeError';
  readonly code = 'DECODE_FAILED';
  constructor(key: string, cause: unknown) {
    super(`${key} holds a value this codec cannot decode: ${(cause as Error).message}`, false, {
      cause,
    });
  }
}
