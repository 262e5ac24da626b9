// One open session: its timeout and last-seen time (state-machine time), the exact set of retired
// sequence numbers and the cached records of the commands it ran. Closed and expired sessions are
// dropped whole: every later input naming them answers SESSION_EXPIRED, a close answers OK.

import type { SessionInput } from '../gen/atomix/multiraft/v1/fsm_pb.js';
import type { CommandOutput } from '../gen/multiraft/v1/output_pb.js';
import type { CommandPhase } from '../gen/multiraft/v1/snapshot_pb.js';
import { RetiredSet } from './retired-set.js';

export interface CommandRecord {
  readonly seq: number;
  phase: CommandPhase.RUNNING | CommandPhase.COMPLETE;
  /** The command's input without its payload: enough to find a running stream's service. */
  readonly input: SessionInput;
  /** The service a running stream belongs to (0 when none). */
  readonly serviceId: number;
  /**
   * The outputs not yet acknowledged, in output order. Invariant: a COMPLETE record keeps its
   * final (done) output until it is retired, so a replay always ends its caller's wait.
   */
  outputs: CommandOutput[];
  lastOutputSeq: number;
}

export class Session {
  readonly id: number;
  readonly timeoutMs: number;
  lastSeenMs: number;
  readonly retired: RetiredSet;
  readonly records = new Map<number, CommandRecord>();
  /** The services this session is attached to (derived: rebuilt from services on restore). */
  readonly services = new Set<number>();

  constructor(id: number, timeoutMs: number, lastSeenMs: number, retired = new RetiredSet()) {
    this.id = id;
    this.timeoutMs = timeoutMs;
    this.lastSeenMs = lastSeenMs;
    this.retired = retired;
  }

  get expiresAtMs(): number {
    return this.lastSeenMs + this.timeoutMs;
  }

  /** Records in sequence-number order: every walk over records uses this order. */
  sortedRecords(): CommandRecord[] {
    return [...this.records.values()].sort((a, b) => a.seq - b.seq);
  }
}
