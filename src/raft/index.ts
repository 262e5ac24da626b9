// The public face of src/raft: the pure Raft core (DESIGN §5).
export type { RaftConfig } from './config.js';
export * from './errors.js';
export * from './log-types.js';
export type { RaftLogger } from './logger.js';
export { silentLogger } from './logger.js';
export { MemoryStorage } from './memory-storage.js';
export * from './message.js';
export { ProgressState, progressStateName } from './progress.js';
export { roleName } from './raft.js';
export {
  type ProgressStatus,
  RawNode,
  type ReadState,
  type Ready,
  Role,
  type SoftState,
  type Status,
} from './raw-node.js';
export * from './storage.js';
