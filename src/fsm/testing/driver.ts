// A test driver: builds log entries and feeds them to a PartitionStateMachine with increasing
// indexes, so scripted tests read as a list of inputs and the outputs they produce.

import { create, toBinary } from '@bufbuild/protobuf';
import { type LogIndex, logIndex, type Term, term } from '../../common/index.js';
import {
  type PartitionInput,
  PartitionInputSchema,
  type SessionInput,
  SessionInputSchema,
} from '../../gen/atomix/multiraft/v1/fsm_pb.js';
import { LogEntrySchema } from '../../gen/multiraft/v1/log_pb.js';
import { type CommandOutput, Status } from '../../gen/multiraft/v1/output_pb.js';
import type { PartitionConfigInput } from '../config.js';
import type { ApplyOutput } from '../outputs.js';
import { type CommittedEntry, PartitionStateMachine } from '../partition-state-machine.js';
import {
  type Counter,
  counterService,
  json,
  parse,
  trackedCounterType,
} from './counter-service.js';

export type Input = PartitionInput['input'];

export function entryBytes(timestampMs: number | bigint, input?: Input): Uint8Array {
  return toBinary(
    LogEntrySchema,
    create(LogEntrySchema, {
      timestampMs: BigInt(timestampMs),
      entry:
        input === undefined
          ? { case: 'tick', value: {} }
          : { case: 'input', value: create(PartitionInputSchema, { input }) },
    }),
  );
}

export const sessionInput = (
  session: number | bigint,
  seq: number | bigint,
  body: SessionInput['input'],
): Input => ({
  case: 'sessionInput',
  value: create(SessionInputSchema, {
    sessionId: BigInt(session),
    sequenceNum: BigInt(seq),
    input: body,
  }),
});

export class Driver {
  readonly fsm: PartitionStateMachine;
  time = 1_000_000;
  term: Term = term(1);

  /** The live counter instances by service id. */
  readonly counters = new Map<number, Counter>();

  constructor(config?: Partial<PartitionConfigInput>) {
    const types = [
      trackedCounterType(this.counters),
      trackedCounterType(this.counters, 'test.Other'),
    ];
    this.fsm = new PartitionStateMachine({ types, ...config });
  }

  counter(id: number): Counter {
    const counter = this.counters.get(id);
    if (counter === undefined) throw new Error(`no counter ${id}`);
    return counter;
  }

  get next(): LogIndex {
    return logIndex(this.fsm.index + 1);
  }

  /** Every entry applied, to replay on other replicas. */
  readonly log: CommittedEntry[] = [];

  raw(data: Uint8Array): ApplyOutput[] {
    const entry = { index: this.next, term: this.term, data };
    this.log.push(entry);
    return this.fsm.apply(entry);
  }

  input(input: Input, advanceMs = 1): ApplyOutput[] {
    this.time += advanceMs;
    return this.raw(entryBytes(this.time, input));
  }

  tick(advanceMs: number): ApplyOutput[] {
    this.time += advanceMs;
    return this.raw(entryBytes(this.time));
  }

  empty(): ApplyOutput[] {
    return this.raw(new Uint8Array(0));
  }

  /** Opens a session and returns its id. */
  open(timeoutMs = 0): number {
    const id = this.next;
    const out = this.input({
      case: 'openSession',
      value: { timeoutMs: BigInt(timeoutMs) } as never,
    });
    if (out[0]?.output.status !== Status.OK) throw new Error(`open failed: ${show(out)}`);
    return id;
  }

  keepAlive(
    session: number,
    last: number,
    filter: Uint8Array = new Uint8Array(0),
    acks: Record<string, bigint> = {},
  ) {
    return this.input({
      case: 'keepAlive',
      value: {
        sessionId: BigInt(session),
        lastCommandSequenceNum: BigInt(last),
        pendingCommandsFilter: filter,
        outputStreamSequenceNums: acks,
      } as never,
    });
  }

  close(session: number): ApplyOutput[] {
    return this.input({ case: 'closeSession', value: { sessionId: BigInt(session) } as never });
  }

  createService(
    session: number,
    seq: number,
    name = 'c',
    namespace = '',
    service = counterService,
  ) {
    return this.input(
      sessionInput(session, seq, {
        case: 'createService',
        value: { service, namespace, name } as never,
      }),
    );
  }

  closeService(session: number, seq: number, serviceId: number | bigint): ApplyOutput[] {
    return this.input(
      sessionInput(session, seq, {
        case: 'closeService',
        value: { serviceId: BigInt(serviceId) } as never,
      }),
    );
  }

  call(
    session: number,
    seq: number,
    serviceId: number | bigint,
    op: unknown,
    advanceMs = 1,
  ): ApplyOutput[] {
    return this.input(
      sessionInput(session, seq, {
        case: 'serviceInput',
        value: { serviceId: BigInt(serviceId), payload: json(op) } as never,
      }),
      advanceMs,
    );
  }
}

/** A compact, comparable view of outputs: route, status name, seq, done, payload. */
export function show(outputs: readonly ApplyOutput[]): string[] {
  return outputs.map((o) => {
    const route = o.kind === 'entry' ? `@${o.index}` : `${o.session}/${o.seq}`;
    return `${route} ${describe(o.output)}`;
  });
}

export function describe(output: CommandOutput): string {
  const status = Status[output.status] ?? String(output.status);
  const parts = [`#${output.sequenceNum}`, status];
  const body = output.output?.output;
  if (body?.case === 'sessionOutput') {
    const inner = body.value.output;
    if (inner.case === 'serviceOutput') parts.push(JSON.stringify(parse(inner.value.payload)));
    else if (inner.case === 'createService') parts.push(`service=${inner.value.serviceId}`);
    else if (inner.case !== undefined) parts.push(inner.case);
  } else if (body?.case === 'openSession') parts.push(`session=${body.value.sessionId}`);
  if (output.done) parts.push('done');
  return parts.join(' ');
}
