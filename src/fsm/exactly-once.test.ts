import { describe, expect, it } from 'vitest';
import { encodePendingFilter } from './pending-filter.js';
import { Driver, sessionInput, show } from './testing/driver.js';

const setup = (config = {}) => {
  const d = new Driver(config);
  const s = d.open(); // 1
  d.createService(s, 1, 'x'); // service 2
  return { d, s };
};

describe('exactly-once commands', () => {
  it('replays the cached output of a retried number and never executes it again', () => {
    const { d, s } = setup();
    expect(show(d.call(s, 2, 2, { op: 'add' }))).toEqual(['1/2 #1 OK {"value":1,"index":3} done']);
    expect(show(d.call(s, 2, 2, { op: 'add' }))).toEqual(['1/2 #1 OK {"value":1,"index":3} done']);
    expect(show(d.call(s, 2, 2, { op: 'get' }))).toEqual(['1/2 #1 OK {"value":1,"index":3} done']);
    expect(show(d.createService(s, 1, 'other'))).toEqual(['1/1 #1 OK service=2 done']);
    expect(d.counter(2).state.value).toBe(1);
    expect(d.fsm.serviceCount).toBe(1);
  });

  it('a number above L that was never seen simply executes', () => {
    const { d, s } = setup();
    d.keepAlive(s, 1);
    expect(show(d.call(s, 7, 2, { op: 'add' }))).toEqual(['1/7 #1 OK {"value":1,"index":4} done']);
  });

  it('keep-alive retires numbers ≤ L not in the filter; a retired number is STALE', () => {
    const { d, s } = setup();
    d.call(s, 2, 2, { op: 'add' }); // 3
    d.call(s, 3, 2, { op: 'add' }); // 4
    d.call(s, 5, 2, { op: 'add' }); // 5
    // 3 and 4 are pending (4 never sent): only 1, 2 and 5 retire; 6 is above L.
    d.keepAlive(s, 5, encodePendingFilter([3, 4]));
    expect(show(d.call(s, 1, 2, { op: 'add' }))).toEqual(['1/1 #1 STALE done']);
    expect(show(d.call(s, 2, 2, { op: 'add' }))).toEqual(['1/2 #1 STALE done']);
    expect(show(d.call(s, 5, 2, { op: 'add' }))).toEqual(['1/5 #1 STALE done']);
    expect(show(d.call(s, 3, 2, { op: 'add' }))).toEqual(['1/3 #1 OK {"value":2,"index":4} done']);
    expect(show(d.call(s, 4, 2, { op: 'add' }))).toEqual(['1/4 #1 OK {"value":4,"index":11} done']);
    // A number retired without ever being seen never executes either.
    d.keepAlive(s, 9, encodePendingFilter([3, 4]));
    expect(show(d.call(s, 8, 2, { op: 'add' }))).toEqual(['1/8 #1 STALE done']);
    // 3 and 4 finish: the gaps retire, the watermark moves up to 9.
    d.keepAlive(s, 9);
    expect(show(d.call(s, 3, 2, { op: 'add' }))).toEqual(['1/3 #1 STALE done']);
    expect(show(d.call(s, 10, 2, { op: 'add' }))).toEqual([
      '1/10 #1 OK {"value":5,"index":16} done',
    ]);
    expect(d.counter(2).state.value).toBe(5);
  });

  it('retires with a Bloom filter: false positives only delay the clean-up', () => {
    const { d, s } = setup();
    for (let seq = 2; seq <= 40; seq++) d.call(s, seq, 2, { op: 'add' });
    const pending = [7, 21, 33];
    d.keepAlive(s, 40, encodePendingFilter(pending, { format: 'bloom' }));
    for (const seq of pending) {
      expect(show(d.call(s, seq, 2, { op: 'get' }))[0]).toMatch(/OK .* done$/);
    }
    expect(show(d.call(s, 8, 2, { op: 'get' }))).toEqual(['1/8 #1 STALE done']);
    expect(d.counter(2).state.value).toBe(39);
  });

  it('a malformed filter or an out-of-range number is INVALID and retires nothing', () => {
    const { d, s } = setup();
    d.call(s, 2, 2, { op: 'add' });
    const bad = [
      Uint8Array.of(9),
      Uint8Array.of(1, 0x80),
      Uint8Array.of(1, 0),
      Uint8Array.of(2, 0, 0xff),
      Uint8Array.of(2, 17, 0xff),
      Uint8Array.of(2, 3),
      Uint8Array.of(1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f),
    ];
    for (const filter of bad) {
      expect(show(d.keepAlive(s, 2, filter))).toEqual([`@${d.fsm.index} #1 INVALID done`]);
    }
    const over = (last: bigint, acks: Record<string, bigint>) =>
      d.input({
        case: 'keepAlive',
        value: {
          sessionId: BigInt(s),
          lastCommandSequenceNum: last,
          outputStreamSequenceNums: acks,
        } as never,
      });
    expect(show(over(2n ** 53n, {}))).toEqual([`@${d.fsm.index} #1 INVALID done`]);
    expect(show(over(2n ** 64n - 1n, {}))).toEqual([`@${d.fsm.index} #1 INVALID done`]);
    expect(show(over(2n, { [String(2n ** 53n)]: 1n }))).toEqual([
      `@${d.fsm.index} #1 INVALID done`,
    ]);
    expect(show(over(2n, { '2': 2n ** 64n - 1n }))).toEqual([`@${d.fsm.index} #1 INVALID done`]);
    expect(show(d.call(s, 2, 2, { op: 'add' }))).toEqual(['1/2 #1 OK {"value":1,"index":3} done']);
  });

  it('session and sequence numbers out of range or zero are INVALID, routed by the entry', () => {
    const { d, s } = setup();
    for (const [session, seq] of [
      [BigInt(s), 0n],
      [BigInt(s), 2n ** 53n],
      [2n ** 64n - 1n, 1n],
      [0n, 1n],
    ] as const) {
      const out = d.input(sessionInput(session, seq, { case: 'serviceInput', value: {} as never }));
      expect(show(out)).toEqual([`@${d.fsm.index} #1 INVALID done`]);
    }
    const empty = d.input(sessionInput(s, 9, { case: undefined }));
    expect(show(empty)).toEqual(['1/9 #1 INVALID done']);
    // Not cached: the number is still free.
    expect(show(d.call(s, 9, 2, { op: 'get' }))).toEqual(['1/9 #1 OK {"value":0} done']);
  });

  it('commandsPerSessionMax: new numbers beyond it are RESOURCE_EXHAUSTED until retirement', () => {
    const { d, s } = setup({ commandsPerSessionMax: 3 });
    d.call(s, 2, 2, { op: 'add' });
    d.call(s, 3, 2, { op: 'add' });
    expect(show(d.call(s, 4, 2, { op: 'add' }))).toEqual(['1/4 #1 RESOURCE_EXHAUSTED done']);
    expect(show(d.call(s, 3, 2, { op: 'add' }))).toEqual(['1/3 #1 OK {"value":2,"index":4} done']);
    d.keepAlive(s, 3);
    expect(show(d.call(s, 4, 2, { op: 'add' }))).toEqual(['1/4 #1 OK {"value":3,"index":8} done']);
  });

  it('retireScanMax bounds one keep-alive; the next one continues', () => {
    const { d, s } = setup({ retireScanMax: 2 });
    for (let seq = 2; seq <= 5; seq++) d.call(s, seq, 2, { op: 'add' });
    d.keepAlive(s, 5);
    expect(show(d.call(s, 2, 2, {}))).toEqual(['1/2 #1 STALE done']);
    expect(show(d.call(s, 3, 2, {}))[0]).toMatch(/OK/);
    d.keepAlive(s, 5);
    expect(show(d.call(s, 4, 2, {}))).toEqual(['1/4 #1 STALE done']);
  });

  it('retiredRunsMax bounds the runs; records above the bound wait', () => {
    const { d, s } = setup({ retiredRunsMax: 2 });
    for (let seq = 2; seq <= 9; seq++) d.call(s, seq, 2, { op: 'add' });
    // Pending 2, 4, 6, 8: the retired numbers 3, 5, 7, 9 would form four runs.
    d.keepAlive(s, 9, encodePendingFilter([2, 4, 6, 8]));
    expect(show(d.call(s, 3, 2, {}))).toEqual(['1/3 #1 STALE done']);
    expect(show(d.call(s, 5, 2, {}))).toEqual(['1/5 #1 STALE done']);
    expect(show(d.call(s, 7, 2, {}))[0]).toMatch(/OK/);
    d.keepAlive(s, 9);
    expect(show(d.call(s, 7, 2, {}))).toEqual(['1/7 #1 STALE done']);
  });
});
