import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { type QueryInput, QueryInputSchema, Status } from '../gen/multiraft/v1/output_pb.js';
import type { QuerySink, ServiceResult } from './service.js';
import { counterService, json, parse } from './testing/counter-service.js';
import { Driver } from './testing/driver.js';

class Sink implements QuerySink {
  readonly results: string[] = [];
  ended = false;
  closed = false;
  constructor(readonly index = 0 as QuerySink['index']) {}
  next(result: ServiceResult): void {
    this.results.push(
      result.status === Status.OK
        ? JSON.stringify(parse(result.payload))
        : (Status[result.status] ?? ''),
    );
  }
  end(): void {
    this.ended = true;
  }
}

const byId = (sessionId: bigint, id: bigint, op: unknown): QueryInput =>
  create(QueryInputSchema, {
    sessionId,
    target: { case: 'serviceId', value: id },
    payload: json(op),
  });

const byName = (
  name: string,
  namespace = '',
  service = counterService,
  op: unknown = { op: 'get' },
) =>
  create(QueryInputSchema, {
    target: { case: 'primitive', value: { service, namespace, name } },
    payload: json(op),
  });

const run = (d: Driver, input: QueryInput): Sink => {
  const sink = new Sink();
  d.fsm.query(input, sink);
  return sink;
};

describe('queries', () => {
  const setup = () => {
    const d = new Driver();
    const s = d.open(); // 1
    d.createService(s, 1, 'x'); // 2
    d.call(s, 2, 2, { op: 'add', n: 7 });
    return { d, s };
  };

  it('runs by service id and by primitive name without touching the log', () => {
    const { d, s } = setup();
    const index = d.fsm.index;
    const snapshot = d.fsm.snapshot();
    expect(run(d, byId(0n, 2n, { op: 'get' })).results).toEqual(['{"value":7}']);
    expect(run(d, byId(BigInt(s), 2n, { op: 'get' })).results).toEqual(['{"value":7}']);
    expect(run(d, byName('x')).results).toEqual(['{"value":7}']);
    expect(run(d, byName('x', 'default')).results).toEqual(['{"value":7}']);
    expect(d.fsm.index).toBe(index);
    expect(d.fsm.snapshot()).toEqual(snapshot);
  });

  it('answers NOT_FOUND for unknown names and ids, creating nothing', () => {
    const { d } = setup();
    const snapshot = d.fsm.snapshot();
    const sink = run(d, byName('nope'));
    expect(sink.results).toEqual(['NOT_FOUND']);
    expect(sink.ended).toBe(true);
    expect(run(d, byName('x', 'elsewhere')).results).toEqual(['NOT_FOUND']);
    expect(run(d, byId(0n, 99n, {})).results).toEqual(['NOT_FOUND']);
    expect(d.fsm.serviceCount).toBe(1);
    expect(d.fsm.snapshot()).toEqual(snapshot);
  });

  it('answers FORBIDDEN for another type, SESSION_EXPIRED for unknown sessions, INVALID otherwise', () => {
    const { d } = setup();
    expect(run(d, byName('x', '', 'test.Other')).results).toEqual(['FORBIDDEN']);
    expect(run(d, byId(42n, 2n, {})).results).toEqual(['SESSION_EXPIRED']);
    expect(run(d, byId(2n ** 64n - 1n, 2n, {})).results).toEqual(['INVALID']);
    expect(run(d, byId(0n, 2n ** 53n, {})).results).toEqual(['INVALID']);
    expect(run(d, create(QueryInputSchema, {})).results).toEqual(['INVALID']);
  });

  it('stream queries keep their sink; restore ends the sinks of the old instances', () => {
    const { d, s } = setup();
    const snapshot = d.fsm.snapshot();
    const sink = run(d, byName('x', '', counterService, { op: 'watch' }));
    d.call(s, 3, 2, { op: 'add', n: 1 });
    expect(sink.results).toEqual(['{"value":7}', '{"value":8}']);
    expect(sink.ended).toBe(false);
    d.fsm.restore(snapshot);
    expect(sink.ended).toBe(true);
    expect(run(d, byId(0n, 2n, { op: 'get' })).results).toEqual(['{"value":7}']);
  });

  it('a primitive that throws fails only that query with INTERNAL', () => {
    const { d } = setup();
    const sink = run(d, byId(0n, 2n, { op: 'throw' }));
    expect(sink.results).toEqual(['INTERNAL']);
    expect(sink.ended).toBe(true);
  });
});
