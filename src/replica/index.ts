// The public face of src/replica: the pure driver of one partition (DESIGN §1).
export type { CommandCaller } from './callers.js';
export * from './errors.js';
export type { QueryCaller } from './read-queue.js';
export { Replica, type ReplicaConfig, type ReplicaReady, type WallClock } from './replica.js';
