import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { term } from '../common/index.js';
import { Driver } from './testing/driver.js';

describe('time and timers (properties)', () => {
  it('an election gap longer than every session timeout expires no session', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 50, max: 60_000 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(5000), { maxLength: 10 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.nat(3),
        (timeouts, before, extraGap, empties) => {
          const d = new Driver({ sessionTimeoutMsMax: 60_000 });
          for (const t of timeouts) d.open(t);
          for (const ms of before) {
            for (const id of [...Array(timeouts.length).keys()].map((i) => i + 1)) {
              d.keepAlive(id, 0);
            }
            d.tick(Math.min(ms, Math.min(...timeouts) - timeouts.length - 1));
          }
          const alive = d.fsm.sessionCount;
          d.term = term(d.term + 1);
          for (let i = 0; i < empties; i++) d.empty();
          d.tick(Math.max(...timeouts) + extraGap);
          expect(d.fsm.sessionCount).toBe(alive);
          expect(alive).toBe(timeouts.length);
          expect(d.fsm.nextDeadline()).toBe(d.time + Math.min(...timeouts));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('timers never fire before their deadline, fire in order, and none is left overdue', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(5), fc.nat(10_000), fc.boolean()), { maxLength: 40 }),
        fc.array(fc.nat(3000), { maxLength: 30 }),
        (alarms, ticks) => {
          const d = new Driver();
          const s = d.open(3_600_000);
          d.createService(s, 1, 'x'); // 2
          let seq = 2;
          const plan = alarms.map((a, i) => ({
            a,
            tick: ticks[i % Math.max(1, ticks.length)] ?? 0,
          }));
          for (const { a, tick } of plan) {
            const [tag, delay, cancel] = a;
            d.call(s, seq++, 2, { op: cancel ? 'cancel' : 'alarm', tag, at: d.time + delay });
            d.tick(tick);
            const counter = d.counter(2);
            for (const f of counter.state.fired) {
              // Fired at its deadline, within an entry whose time had reached it.
              expect(f.time).toBeGreaterThanOrEqual(f.at);
              expect(f.time).toBeLessThanOrEqual(d.fsm.timeMs);
            }
            const times = counter.state.fired.map((f) => f.time);
            expect(times).toEqual([...times].sort((x, y) => x - y));
            const next = d.fsm.nextDeadline();
            if (next !== undefined) expect(next).toBeGreaterThan(d.fsm.timeMs);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
