// The AtomicValue inside the real partition state machine: sessions, exactly-once commands, the
// Events stream with keep-alive acknowledgements, TTL expiry through tick entries, queries, and
// snapshot/restore equality. Uses only the fsm's public face.

import { create, toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { logIndex, term } from '../../common/index.js';
import {
  type ApplyOutput,
  type PartitionConfigInput,
  PartitionStateMachine,
  type ServiceResult,
} from '../../fsm/index.js';
import {
  type PartitionInput,
  PartitionInputSchema,
  SessionInputSchema,
} from '../../gen/atomix/multiraft/v1/fsm_pb.js';
import { LogEntrySchema } from '../../gen/multiraft/v1/log_pb.js';
import { type CommandOutput, QueryInputSchema, Status } from '../../gen/multiraft/v1/output_pb.js';
import { primitiveTypes } from '../index.js';
import { decode, duration, type Plain, wire } from '../testing/atomic-value-wire.js';
import { FakeSink } from '../testing/fake-host.js';
import { atomicValueService } from './index.js';

type Body = PartitionInput['input'];

/** Feeds log entries with increasing indexes and timestamps to a PartitionStateMachine. */
class Partition {
  readonly fsm: PartitionStateMachine;
  time = 1_000_000;

  constructor(config: Partial<PartitionConfigInput> = {}, fsm?: PartitionStateMachine) {
    this.fsm = fsm ?? new PartitionStateMachine({ types: primitiveTypes, ...config });
  }

  entry(body: Body | undefined, advanceMs = 1): ApplyOutput[] {
    this.time += advanceMs;
    const data = toBinary(
      LogEntrySchema,
      create(LogEntrySchema, {
        timestampMs: BigInt(this.time),
        entry:
          body === undefined
            ? { case: 'tick', value: {} }
            : { case: 'input', value: create(PartitionInputSchema, { input: body }) },
      }),
    );
    return this.fsm.apply({ index: logIndex(this.fsm.index + 1), term: term(1), data });
  }

  open(): number {
    const id = this.fsm.index + 1;
    const out = this.entry({ case: 'openSession', value: { timeoutMs: 60_000n } as never });
    expect(out[0]?.output.status).toBe(Status.OK);
    return id;
  }

  session(session: number, seq: number, input: Parameters<typeof sessionBody>[2], dt = 1) {
    return this.entry(sessionBody(session, seq, input), dt);
  }

  /** Creates (or attaches to) the AtomicValue `name`; returns its service id. */
  createValue(session: number, seq: number, name = 'v'): number {
    const value = { service: atomicValueService, namespace: '', name } as never;
    const out = this.session(session, seq, { case: 'createService', value });
    expect(out[0]?.output.status).toBe(Status.OK);
    const body = out[0]?.output.output?.output;
    const inner = body?.case === 'sessionOutput' ? body.value.output : undefined;
    expect(inner?.case).toBe('createService');
    return inner?.case === 'createService' ? Number(inner.value.serviceId) : 0;
  }

  call(session: number, seq: number, service: number, payload: Uint8Array, dt = 1) {
    const value = { serviceId: BigInt(service), payload } as never;
    return this.session(session, seq, { case: 'serviceInput', value }, dt);
  }

  keepAlive(session: number, last: number, acks: Record<string, bigint> = {}) {
    const value = {
      sessionId: BigInt(session),
      lastCommandSequenceNum: BigInt(last),
      pendingCommandsFilter: new Uint8Array(0),
      outputStreamSequenceNums: acks,
    } as never;
    return this.entry({ case: 'keepAlive', value });
  }

  query(service: number, payload: Uint8Array): FakeSink {
    const sink = new FakeSink(this.fsm.index);
    const input = create(QueryInputSchema, {
      sessionId: 0n,
      target: { case: 'serviceId', value: BigInt(service) },
      payload,
    });
    this.fsm.query(input, sink);
    return sink;
  }
}

function sessionBody(
  session: number,
  seq: number,
  input: ReturnType<typeof create<typeof SessionInputSchema>>['input'],
): Body {
  const value = create(SessionInputSchema, {
    sessionId: BigInt(session),
    sequenceNum: BigInt(seq),
    input,
  });
  return { case: 'sessionInput', value };
}

/** A routed command output as the AtomicValue result it carries, plus routing facts. */
function view(o: ApplyOutput): { route: string; seq: number; done: boolean; result: Plain } {
  const route = o.kind === 'entry' ? `@${o.index}` : `${o.session}/${o.seq}`;
  return {
    route,
    seq: Number(o.output.sequenceNum),
    done: o.output.done,
    // Entry answers (open, keep-alive, close-session) carry no AtomicValue output.
    result: o.kind === 'entry' ? { status: Status[o.output.status] } : decode(asResult(o.output)),
  };
}

function asResult(output: CommandOutput): ServiceResult {
  if (output.status !== Status.OK) {
    const current = output.current.length > 0 ? output.current : undefined;
    return { status: output.status, message: output.message, ...(current ? { current } : {}) };
  }
  const body = output.output?.output;
  const inner = body?.case === 'sessionOutput' ? body.value.output : undefined;
  expect(inner?.case).toBe('serviceOutput');
  const payload = inner?.case === 'serviceOutput' ? inner.value.payload : new Uint8Array();
  return { status: Status.OK, payload };
}

const results = (out: ApplyOutput[]) => out.map((o) => view(o).result);
const v = (value: string, index: number) => ({ value, index });

describe('AtomicValue in the partition state machine', () => {
  it('runs every operation through apply, with versions = entry indexes', () => {
    const p = new Partition();
    const s = p.open();
    const id = p.createValue(s, 1);
    expect(results(p.call(s, 2, id, wire.get()))).toEqual([{ status: 'NOT_FOUND' }]);
    const setAt = p.fsm.index + 1;
    expect(results(p.call(s, 3, id, wire.set('a')))).toEqual([
      { status: 'OK', output: { set: setAt } },
    ]);
    expect(results(p.call(s, 4, id, wire.update('b', 999)))).toEqual([
      { status: 'CONFLICT', current: v('a', setAt) },
    ]);
    expect(results(p.call(s, 5, id, wire.set('c', { ifAbsent: true })))).toEqual([
      { status: 'ALREADY_EXISTS', current: v('a', setAt) },
    ]);
    const updateAt = p.fsm.index + 1;
    expect(results(p.call(s, 6, id, wire.update('b', setAt)))).toEqual([
      { status: 'OK', output: { update: updateAt, prev: v('a', setAt) } },
    ]);
    expect(results(p.call(s, 7, id, wire.delete(updateAt)))).toEqual([
      { status: 'OK', output: { delete: v('b', updateAt) } },
    ]);
    expect(results(p.call(s, 8, id, Uint8Array.of(0xff)))).toEqual([{ status: 'INVALID' }]);
    expect(results(p.call(s, 9, id, wire.update('x', 2n ** 60n)))).toEqual([{ status: 'INVALID' }]);
  });

  it('executes a retried command once and replays its output', () => {
    const p = new Partition();
    const s = p.open();
    const id = p.createValue(s, 1);
    const first = results(p.call(s, 2, id, wire.set('a')));
    const again = results(p.call(s, 2, id, wire.set('a')));
    expect(again).toEqual(first);
    expect(decode(p.query(id, wire.get()).outputs[0]!)).toEqual({
      status: 'OK',
      output: { get: v('a', 3) },
    });
  });

  it('streams events with numbered outputs, acknowledged and cancelled through keep-alive', () => {
    const p = new Partition();
    const s = p.open();
    const id = p.createValue(s, 1);
    const ack = p.call(s, 2, id, wire.events()).map(view);
    expect(ack).toEqual([
      { route: `${s}/2`, seq: 1, done: false, result: { status: 'OK', output: { events: null } } },
    ]);
    const setOut = p.call(s, 3, id, wire.set('a')).map(view);
    expect(setOut.map((o) => [o.route, o.seq, o.result])).toEqual([
      [`${s}/2`, 2, { status: 'OK', output: { events: { created: v('a', 4) } } }],
      [`${s}/3`, 1, { status: 'OK', output: { set: 4 } }],
    ]);
    // Acknowledge the stream's outputs; keep the stream (2) pending, retire 1 and 3.
    const pending = Uint8Array.of(0x01, 0x02);
    const keep = {
      sessionId: BigInt(s),
      lastCommandSequenceNum: 3n,
      pendingCommandsFilter: pending,
      outputStreamSequenceNums: { '2': 2n },
    } as never;
    expect(p.entry({ case: 'keepAlive', value: keep })[0]?.output.status).toBe(Status.OK);
    const del = p.call(s, 4, id, wire.delete(0)).map(view);
    expect(del[0]).toMatchObject({ route: `${s}/2`, seq: 3 });
    expect(del[0]?.result).toEqual({
      status: 'OK',
      output: { events: { deleted: v('a', 4), expired: false } },
    });
    // A retried subscription replays only the unacknowledged outputs.
    expect(p.call(s, 2, id, wire.events()).map((o) => view(o).seq)).toEqual([3]);
    // Retiring the stream's number cancels it; the AtomicValue stops emitting to it.
    const cancelled = p.keepAlive(s, 4).map(view);
    expect(cancelled.find((o) => o.route === `${s}/2`)?.result).toEqual({ status: 'CANCELED' });
    const later = p.call(s, 5, id, wire.set('b'));
    expect(later.map((o) => view(o).route)).toEqual([`${s}/5`]);
  });

  it('cancels a stream beyond eventsUnackedMax and stops feeding it', () => {
    const p = new Partition({ eventsUnackedMax: 3 });
    const s = p.open();
    const id = p.createValue(s, 1);
    p.call(s, 2, id, wire.events());
    p.call(s, 3, id, wire.set('a'));
    p.call(s, 4, id, wire.set('b'));
    const out = p.call(s, 5, id, wire.set('c')).map(view);
    expect(out[0]).toMatchObject({ route: `${s}/2`, done: true });
    expect(out[0]?.result).toEqual({ status: 'RESOURCE_EXHAUSTED' });
    expect(p.call(s, 6, id, wire.set('d')).map((o) => view(o).route)).toEqual([`${s}/6`]);
  });

  it('expires a value by tick entries, never early, with Deleted{expired}', () => {
    const p = new Partition();
    const s = p.open();
    const id = p.createValue(s, 1);
    p.call(s, 2, id, wire.events());
    const setAt = p.fsm.index + 1;
    p.call(s, 3, id, wire.set('a', { ttl: duration(1, 1) }));
    const expireAt = p.time + 1001;
    expect(p.fsm.nextDeadline()).toBe(expireAt);
    expect(p.entry(undefined, 1000)).toEqual([]);
    expect(decode(p.query(id, wire.get()).outputs[0]!).status).toBe('OK');
    const expired = p.entry(undefined, 1).map(view);
    expect(expired).toEqual([
      {
        route: `${s}/2`,
        seq: 3,
        done: false,
        result: { status: 'OK', output: { events: { deleted: v('a', setAt), expired: true } } },
      },
    ]);
    expect(decode(p.query(id, wire.get()).outputs[0]!)).toEqual({ status: 'NOT_FOUND' });
  });

  it('ends the streams of a closed session', () => {
    const p = new Partition();
    const s = p.open();
    const t = p.open();
    const id = p.createValue(s, 1);
    expect(p.createValue(t, 1)).toBe(id);
    p.call(s, 2, id, wire.events());
    p.call(t, 2, id, wire.events());
    const closed = p.entry({ case: 'closeSession', value: { sessionId: BigInt(s) } as never });
    expect(closed.map(view).find((o) => o.route === `${s}/2`)?.result).toEqual({
      status: 'CANCELED',
    });
    expect(p.call(t, 3, id, wire.set('a')).map((o) => view(o).route)).toEqual([`${t}/2`, `${t}/3`]);
  });

  it('serves get and watch queries; restore ends watch sinks', () => {
    const p = new Partition();
    const s = p.open();
    const id = p.createValue(s, 1);
    const watch = p.query(id, wire.watch());
    p.call(s, 2, id, wire.set('a'));
    expect(watch.outputs.map((r) => decode(r))).toEqual([
      { status: 'OK', output: { watch: null } },
      { status: 'OK', output: { watch: v('a', 3) } },
    ]);
    expect(decode(p.query(id, wire.set('x')).outputs[0]!)).toEqual({ status: 'INVALID' });
    p.fsm.restore(p.fsm.snapshot());
    expect(watch.ended).toBe(true);
  });

  it('snapshot → restore → continue equals continuing, byte for byte', () => {
    const a = new Partition();
    const s = a.open();
    const id = a.createValue(s, 1);
    a.call(s, 2, id, wire.events());
    a.call(s, 3, id, wire.set('a', { ttl: duration(2) }));
    const bytes = a.fsm.snapshot();
    const b = new Partition();
    b.fsm.restore(bytes);
    b.time = a.time;
    expect(b.fsm.snapshot()).toEqual(bytes);
    const script = (p: Partition) => [
      ...p.call(s, 4, id, wire.update('b', 0, duration(1)), 10),
      ...p.call(s, 5, id, wire.get(), 500),
      ...p.entry(undefined, 600),
      ...p.call(s, 6, id, wire.set('c', { ifAbsent: true }), 1),
      ...p.call(s, 7, id, wire.delete(999), 1),
    ];
    const outA = script(a);
    const outB = script(b);
    expect(outB).toEqual(outA);
    expect(outA.map(view).some((o) => JSON.stringify(o.result).includes('"expired":true'))).toBe(
      true,
    );
    expect(b.fsm.snapshot()).toEqual(a.fsm.snapshot());
  });
});
