// The public face of src/client: the partition protocol's client side (docs/protocol.md).

export type {
  AtomicValueClient,
  CallOptions as ValueCallOptions,
  EventStream,
  ValueEvent,
  Versioned,
} from './atomic-value-client.js';
export { type Codec, type CodecName, codecs } from './codec.js';
export {
  CallGaveUpError,
  ClientClosedError,
  ClientError,
  ConnectionLostError,
  SendQueueFullError,
} from './errors.js';
export {
  type AtomicValueOptions,
  type ClusterShape,
  type ConnectOptions,
  connect,
  type DiscoverOptions,
  describeCluster,
  discover,
  MultiraftClient,
} from './multiraft-client.js';
export {
  type CallOptions,
  PartitionClient,
  type PartitionClientOptions,
} from './partition-client.js';
export {
  type ClientTlsOptions,
  type ConnectionLost,
  PartitionConnection,
  type PartitionConnectionLimits,
  type PartitionConnectionOptions,
  partitionConnectionLimitsDefault,
} from './partition-connection.js';
export { realTimers } from './real-timers.js';
export { type Ttl, ttlMs } from './ttl.js';
export {
  AbortedError,
  AlreadyExistsError,
  ClosedError,
  ConflictError,
  type CurrentValue,
  InvalidArgumentError,
  MultiraftError,
  NotFoundError,
  SessionExpiredError,
  StreamOverflowError,
  TimeoutError,
  UnavailableError,
  ValueDecodeError,
} from './value-errors.js';
