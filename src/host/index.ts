// The public face of src/host: many partitions in one process over real storage and network.
export { HostError, HostStoppedError, StorageBusyError, UnknownPartitionError } from './errors.js';
export { Host, type PartitionStatus } from './host.js';
export type { HostObserver } from './observer.js';
export {
  type HostClock,
  type HostLimits,
  type HostLogger,
  type HostOptions,
  type HostRaftOptions,
  hostLimitsDefault,
  silentHostLogger,
  systemClock,
} from './options.js';
export { type Placement, partitionsOf, placePartitions } from './placement.js';
