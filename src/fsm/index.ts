/**
 * The partition state machine (DESIGN §3): sessions, services, exactly-once commands, time and
 * timers, queries and deterministic snapshots. Pure; primitives plug in through `service.ts`.
 *
 * Use:
 * ```ts
 * const fsm = new PartitionStateMachine({ types: [atomicValueType] });
 * for (const entry of committed) route(fsm.apply(entry));   // {index, term, data}, in order
 * fsm.query(queryInput, sink);                                // after the ReadIndex barrier
 * const due = fsm.nextDeadline();                             // propose a tick once passed
 * const bytes = fsm.snapshot(); other.restore(bytes);
 * ```
 *
 * Every committed index goes through `apply`, in order; Raft's own entries (the empty entry of a
 * new leader, configuration changes) go with empty `data`: they advance the index, not time.
 * `apply` never throws for any bytes; `restore` throws InvalidSnapshotError (nothing changed).
 *
 * Output routing. `apply` returns `ApplyOutput[]`, each a `CommandOutput` envelope
 * (index, output sequence number, status, message, output, current, done) with where it goes:
 * - `{kind: 'entry', index}`: the answer to the entry at `index`: open-session (the session id
 *   is `index`), keep-alive, close-session, and any entry too malformed to name a session and a
 *   sequence number (INVALID). The proposer keys its waiting caller by the entry index.
 * - `{kind: 'command', session, seq}`: every output of session command (session, seq): its
 *   first output, replays when the same number arrives again, a running stream's later outputs
 *   (emitted while applying other entries or timers), the stream's end (done: CANCELED,
 *   SESSION_EXPIRED, RESOURCE_EXHAUSTED), and answers given without executing (STALE,
 *   SESSION_EXPIRED, RESOURCE_EXHAUSTED). The proposer keys waiting callers by (session, seq);
 *   outputs nobody waits for (another node proposed the command) are dropped. A caller dedups
 *   by the output sequence number; `done` ends its wait.
 * The outputs of one `apply` are in the order they happened.
 */

export type { PartitionConfig, PartitionConfigInput } from './config.js';
export { defaultPartitionConfig, defaultServiceLimits } from './config.js';
export { type ErrorStatus, InvalidSnapshotError, Status, statusName } from './errors.js';
export { encodeInputEntry, encodeTickEntry } from './log-entry-codec.js';
export type { ApplyOutput } from './outputs.js';
export {
  type CommittedEntry,
  PartitionStateMachine,
  timestampMsMax,
} from './partition-state-machine.js';
export {
  decodePendingFilter,
  type EncodeOptions,
  encodePendingFilter,
  type PendingFilter,
  PendingFilterFormat,
} from './pending-filter.js';
export type * from './service.js';
export { snapshotFormatVersion, snapshotMagic } from './snapshot-codec.js';
