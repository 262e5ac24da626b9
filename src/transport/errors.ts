// Operating errors of the transport. Each has a `code` and may carry a `cause`. Raft messages are
// fire-and-forget, so these never reach a client: they close one connection and are logged and
// counted. Assertion failures (src/common) are bugs and never take this form.

export class TransportError extends Error {
  override readonly name: string = 'TransportError';
  readonly code: string = 'TRANSPORT';
}

/** Bytes from a peer that are not a valid frame: bad length, checksum, type or body. */
export class MalformedFrameError extends TransportError {
  override readonly name: string = 'MalformedFrameError';
  override readonly code: string = 'MALFORMED_FRAME';
}

/** A frame header announced more than `frameBytesMax` bytes; nothing was allocated for it. */
export class FrameTooLargeError extends MalformedFrameError {
  override readonly name = 'FrameTooLargeError';
  override readonly code = 'FRAME_TOO_LARGE';
  constructor(
    readonly frameBytes: number,
    readonly frameBytesMax: number,
  ) {
    super(`frame of ${frameBytes} bytes is larger than the limit of ${frameBytesMax}`);
  }
}

/** The peer's handshake was refused: other protocol version or cluster, unknown or wrong node. */
export class HandshakeError extends TransportError {
  override readonly name = 'HandshakeError';
  override readonly code = 'HANDSHAKE_REFUSED';
}

/** Nothing (not even a ping) arrived on a ready connection for `idleTimeoutMs`: it is closed. */
export class IdleTimeoutError extends TransportError {
  override readonly name = 'IdleTimeoutError';
  override readonly code = 'IDLE_TIMEOUT';
}
