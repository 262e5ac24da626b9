import { describe, expect, it } from 'vitest';
import { encodePendingFilter } from './pending-filter.js';
import { Driver, show } from './testing/driver.js';

const setup = (config = {}) => {
  const d = new Driver(config);
  const s = d.open(); // 1
  d.createService(s, 1, 'x'); // service 2
  d.call(s, 2, 2, { op: 'stream' }); // stream 1/2, output #1
  return { d, s };
};

describe('stream commands', () => {
  it('numbers outputs, replays the unacknowledged ones, drops those acknowledged through A', () => {
    const { d, s } = setup();
    expect(show(d.call(s, 3, 2, { op: 'add' }))).toEqual([
      '1/2 #2 OK {"value":1}',
      '1/3 #1 OK {"value":1,"index":4} done',
    ]);
    d.call(s, 4, 2, { op: 'add' });
    expect(show(d.call(s, 2, 2, { op: 'stream' }))).toEqual([
      '1/2 #1 OK {"value":0}',
      '1/2 #2 OK {"value":1}',
      '1/2 #3 OK {"value":2}',
    ]);
    d.keepAlive(s, 4, encodePendingFilter([2]), { '2': 2n });
    expect(show(d.call(s, 2, 2, { op: 'stream' }))).toEqual(['1/2 #3 OK {"value":2}']);
    d.keepAlive(s, 4, encodePendingFilter([2]), { '2': 3n, '99': 1n });
    expect(show(d.call(s, 2, 2, { op: 'stream' }))).toEqual([]);
    expect(show(d.call(s, 5, 2, { op: 'add' }))[0]).toBe('1/2 #4 OK {"value":3}');
  });

  it('eventsUnackedMax: the next output cancels the stream with RESOURCE_EXHAUSTED', () => {
    const { d, s } = setup({ eventsUnackedMax: 3 });
    d.call(s, 3, 2, { op: 'add' });
    d.call(s, 4, 2, { op: 'add' });
    expect(show(d.call(s, 5, 2, { op: 'add' }))).toEqual([
      '1/2 #4 RESOURCE_EXHAUSTED done',
      '1/5 #1 OK {"value":3,"index":6} done',
    ]);
    expect(d.counter(2).state.closed).toEqual([[1, 2]]);
    expect(show(d.call(s, 6, 2, { op: 'add' }))).toEqual(['1/6 #1 OK {"value":4,"index":7} done']);
    // The final output stays cached even when acknowledged, so a replay still ends.
    d.keepAlive(s, 6, encodePendingFilter([2]), { '2': 4n });
    expect(show(d.call(s, 2, 2, { op: 'stream' }))).toEqual(['1/2 #4 RESOURCE_EXHAUSTED done']);
  });

  it('acknowledging keeps a stream below eventsUnackedMax', () => {
    const { d, s } = setup({ eventsUnackedMax: 2 });
    for (let seq = 3; seq < 10; seq++) {
      d.call(s, seq, 2, { op: 'add' });
      d.keepAlive(s, seq, encodePendingFilter([2]), { '2': BigInt(seq - 1) });
    }
    expect(show(d.call(s, 10, 2, { op: 'add' }))[0]).toBe('1/2 #9 OK {"value":8}');
  });

  it('a non-OK output from the service ends the stream without streamClosed', () => {
    const { d, s } = setup();
    expect(show(d.call(s, 3, 2, { op: 'end' }))).toEqual([
      '1/2 #2 CONFLICT done',
      '1/3 #1 OK {} done',
    ]);
    expect(d.counter(2).state.closed).toEqual([]);
    expect(show(d.call(s, 4, 2, { op: 'add' }))).toEqual(['1/4 #1 OK {"value":1,"index":5} done']);
  });

  it('a stream whose first output is an error ends at once and the service is told', () => {
    const { d, s } = setup();
    expect(show(d.call(s, 3, 2, { op: 'refuse' }))).toEqual(['1/3 #1 INVALID done']);
    expect(d.counter(2).state.closed).toEqual([[1, 3]]);
  });

  it('retiring a running stream cancels it', () => {
    const { d, s } = setup();
    expect(show(d.keepAlive(s, 2))).toEqual(['1/2 #2 CANCELED done', '@4 #1 OK done']);
    expect(d.counter(2).state.closed).toEqual([[1, 2]]);
    expect(show(d.call(s, 2, 2, { op: 'stream' }))).toEqual(['1/2 #1 STALE done']);
  });

  it('emits from a timer reach the stream before the entry that passes the deadline', () => {
    const { d, s } = setup();
    d.call(s, 3, 2, { op: 'alarm', tag: 7, at: d.time + 10 });
    expect(d.fsm.nextDeadline()).toBe(d.time + 9);
    expect(show(d.tick(5))).toEqual([]);
    expect(show(d.tick(5))).toEqual(['1/2 #2 OK {"value":1000}']);
  });

  it('an emit before the stream has its first output is ignored', () => {
    const { d, s } = setup();
    expect(show(d.call(s, 3, 2, { op: 'early' }))).toEqual(['1/3 #1 OK {"value":0}']);
  });
});
