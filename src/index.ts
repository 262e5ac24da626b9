// The package's public face. Layers add their exports here as they become public API.
export type {
  LogIndex,
  NodeId,
  PartitionId,
  SequenceNum,
  ServiceId,
  SessionId,
  Term,
} from './common/index.js';
