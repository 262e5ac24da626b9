// Operating errors of the client side of the partition protocol. Each has a code and says whether
// the operation certainly did not happen (`safeToRetry`); `cause` chains what was caught.

export abstract class ClientError extends Error {
  abstract readonly code: string;
  abstract readonly safeToRetry: boolean;
}

/** The stream to a node broke or ended; calls in flight on it may have happened. */
export class ConnectionLostError extends ClientError {
  override readonly name = 'ConnectionLostError';
  readonly code = 'UNAVAILABLE';
  readonly safeToRetry = false;
  constructor(
    readonly address: string,
    options?: { cause?: unknown },
  ) {
    super(`the partition stream to ${address} was lost`, options);
  }
}

/** `unsentCallsMax` calls already wait to be written: back-pressure, nothing was sent. */
export class SendQueueFullError extends ClientError {
  override readonly name = 'SendQueueFullError';
  readonly code = 'RESOURCE_EXHAUSTED';
  readonly safeToRetry = true;
  constructor(
    readonly address: string,
    readonly unsentCallsMax: number,
  ) {
    super(`${unsentCallsMax} calls already wait to be sent to ${address}`);
  }
}

/** The connection or client was closed; nothing was sent. */
export class ClientClosedError extends ClientError {
  override readonly name = 'ClientClosedError';
  readonly code = 'CLOSED';
  readonly safeToRetry = true;
  constructor(what: string) {
    super(`${what} is closed`);
  }
}

/**
 * A call gave up: its deadline passed or its signal aborted. `mayHaveApplied` unless every attempt
 * certainly did not happen.
 */
export class CallGaveUpError extends ClientError {
  override readonly name = 'CallGaveUpError';
  readonly code: 'DEADLINE_EXCEEDED' | 'ABORTED';
  readonly safeToRetry: boolean;
  constructor(
    code: 'DEADLINE_EXCEEDED' | 'ABORTED',
    readonly mayHaveApplied: boolean,
    options?: { cause?: unknown },
  ) {
    super(
      code === 'ABORTED'
        ? `the call was aborted${mayHaveApplied ? '; it may have happened' : ''}`
        : `no answer before the deadline${mayHaveApplied ? '; the call may have happened' : ''}`,
      options,
    );
    this.code = code;
    this.safeToRetry = !mayHaveApplied;
  }
}
