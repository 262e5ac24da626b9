// The replicated state of one partition and the operations every input shares: routing outputs,
// caching a command's outputs, cancelling streams, and the host each service is handed.

import {
  assert,
  type LogIndex,
  logIndex,
  type SequenceNum,
  type SessionId,
  sequenceNum,
  sessionId,
  type TimestampMs,
  timestampMs,
} from '../common/index.js';
import type { SessionOutput } from '../gen/atomix/multiraft/v1/fsm_pb.js';
import { type CommandOutput, Status } from '../gen/multiraft/v1/output_pb.js';
import { CommandPhase, TimerKind } from '../gen/multiraft/v1/snapshot_pb.js';
import type { PartitionConfig } from './config.js';
import { type ApplyOutput, errorOutput, type OkWrap, SessionOutputs } from './outputs.js';
import type { ServiceHost, ServiceResult, StreamId } from './service.js';
import { ServiceTable } from './service-table.js';
import type { CommandRecord, Session } from './session.js';
import { TimerQueue } from './timer-queue.js';

export class PartitionState {
  readonly config: PartitionConfig;
  index = 0;
  term = 0;
  timeMs = 0;
  /** The term of the last timestamped entry (new-term grace). */
  timestampedTerm = 0;
  readonly sessions = new Map<number, Session>();
  readonly services = new ServiceTable();
  readonly timers: TimerQueue;
  /** The outputs of the entry being applied. Node-local, never snapshotted. */
  out: ApplyOutput[] = [];
  readonly #outputs = new SessionOutputs();

  constructor(config: PartitionConfig, nextTimerSeq = 1) {
    this.config = config;
    this.timers = new TimerQueue(nextTimerSeq);
  }

  /** Answers the entry itself (open, keep-alive, close-session, malformed entries). */
  answerEntry(output: CommandOutput): void {
    this.out.push({ kind: 'entry', index: logIndex(this.index), output });
  }

  /** Answers a session command without executing or caching it (STALE, SESSION_EXPIRED, …). */
  answerCommand(
    session: number,
    seq: number,
    status: Exclude<Status, Status.OK>,
    msg: string,
  ): void {
    const output = errorOutput({ index: this.index, outputSeq: 1, done: true }, status, msg);
    this.routeCommand(session, seq, output);
  }

  routeCommand(session: number, seq: number, output: CommandOutput): void {
    this.out.push({
      kind: 'command',
      session: sessionId(session) as SessionId,
      seq: sequenceNum(seq) as SequenceNum,
      output,
    });
  }

  /** Numbers, caches and routes the next output of a record. */
  addOutput(
    session: Session,
    record: CommandRecord,
    result: ServiceResult,
    done: boolean,
    ok: OkWrap = serviceOk,
  ): void {
    assert(record.phase === CommandPhase.RUNNING, 'only a running command gets outputs');
    record.lastOutputSeq += 1;
    const at = { index: this.index, outputSeq: record.lastOutputSeq, done };
    const output = this.#outputs.of(at, result, ok);
    record.outputs.push(output);
    if (done) record.phase = CommandPhase.COMPLETE;
    this.routeCommand(session.id, record.seq, output);
  }

  /**
   * Ends a running stream with a final error output and tells its service. The output is cached
   * in the record (the caller drops the record when the session or number goes away).
   */
  cancelStream(
    session: Session,
    record: CommandRecord,
    status: Exclude<Status, Status.OK>,
    msg: string,
  ): void {
    assert(record.phase === CommandPhase.RUNNING, 'only a running stream is cancelled');
    this.addOutput(session, record, { status, message: msg }, true);
    const service = this.services.get(record.serviceId);
    assert(service !== undefined, 'a running stream has a live service');
    service.instance.streamClosed(streamIdOf(session.id, record.seq));
  }

  /** Host.emit: adds an output to a running stream; ignored when the stream is not running. */
  emit(serviceId: number, stream: StreamId, result: ServiceResult): void {
    const session = this.sessions.get(stream.session);
    const record = session?.records.get(stream.seq);
    if (session === undefined || record === undefined) return;
    if (record.phase !== CommandPhase.RUNNING || record.serviceId !== serviceId) return;
    // A stream exists once its command returned its first output.
    if (record.lastOutputSeq === 0) return;
    if (record.outputs.length >= this.config.eventsUnackedMax) {
      const msg = `stream has ${record.outputs.length} unacknowledged outputs`;
      this.cancelStream(session, record, Status.RESOURCE_EXHAUSTED, msg);
      return;
    }
    // A non-OK output ends the stream: the service ended it itself (no streamClosed call).
    this.addOutput(session, record, result, result.status !== Status.OK);
  }

  hostFor(id: number, namespace: string, name: string): ServiceHost {
    return {
      id: id as ServiceHost['id'],
      namespace,
      name,
      limits: this.config.limits,
      time: (): TimestampMs => timestampMs(this.timeMs),
      index: (): LogIndex => logIndex(this.index),
      scheduleTimer: (deadline, tag) => this.timers.schedule(TimerKind.SERVICE, id, tag, deadline),
      cancelTimer: (tag) => this.timers.cancel(TimerKind.SERVICE, id, tag),
      emit: (stream, result) => this.emit(id, stream, result),
    };
  }
}

export const serviceOk = (payload: Uint8Array): SessionOutput['output'] => ({
  case: 'serviceOutput',
  value: { $typeName: 'atomix.multiraft.v1.ServiceOutput', payload },
});

export function streamIdOf(session: number, seq: number): StreamId {
  return { session: sessionId(session), seq: sequenceNum(seq) };
}
