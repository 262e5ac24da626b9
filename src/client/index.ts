// The public face of src/client: the partition protocol's client side (docs/protocol.md).
export {
  CallGaveUpError,
  ClientClosedError,
  ClientError,
  ConnectionLostError,
  SendQueueFullError,
} from './errors.js';
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
