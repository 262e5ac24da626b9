// The package's public face. Layers add their exports here as they become public API.

// The TypeScript SDK (docs/client.md): `connect()`, AtomicValue handles, typed errors, codecs.
export {
  AbortedError,
  AlreadyExistsError,
  type AtomicValueClient,
  type AtomicValueOptions,
  ClosedError,
  type ClusterShape,
  type Codec,
  type CodecName,
  ConflictError,
  type ConnectOptions,
  type CurrentValue,
  codecs,
  connect,
  discover,
  type EventStream,
  InvalidArgumentError,
  MultiraftClient,
  MultiraftError,
  NotFoundError,
  SessionExpiredError,
  StreamOverflowError,
  TimeoutError,
  type Ttl,
  UnavailableError,
  type ValueCallOptions,
  ValueDecodeError,
  type ValueEvent,
  type Versioned,
} from './client/index.js';
export type { ClientTlsOptions } from './client/partition-connection.js';
export type {
  LogIndex,
  NodeId,
  PartitionId,
  SequenceNum,
  ServiceId,
  SessionId,
  Term,
} from './common/index.js';
