import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Status } from '../gen/multiraft/v1/output_pb.js';
import { decodePendingFilter, encodePendingFilter } from './pending-filter.js';
import { Driver } from './testing/driver.js';

// One session sends `add` commands: new numbers, retries of any earlier number, keep-alives with
// an arbitrary L and an arbitrary filter (exact or Bloom), and ticks. Whatever the schedule:
// every number executes at most once (all its OK outputs name the same executing index), the
// counter equals the number of distinct executed numbers, and once a number is retired (≤ L and
// not in the filter) it answers STALE and never OK again.

type Action =
  | { readonly kind: 'send'; readonly pick: number; readonly fresh: boolean }
  | {
      readonly kind: 'keepAlive';
      readonly lastBack: number;
      readonly mask: number;
      readonly bloom: boolean;
    }
  | { readonly kind: 'tick'; readonly ms: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant('send' as const), pick: fc.nat(), fresh: fc.boolean() }),
  fc.record({
    kind: fc.constant('keepAlive' as const),
    lastBack: fc.nat(3),
    mask: fc.nat(),
    bloom: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('tick' as const), ms: fc.nat(1000) }),
);

describe('exactly-once (property)', () => {
  it('a retried number executes at most once; a retired number is STALE', () => {
    fc.assert(
      fc.property(fc.array(action, { maxLength: 120 }), (actions) => {
        const d = new Driver();
        const s = d.open(600_000);
        d.createService(s, 1, 'x'); // service 2
        let allocated = 1;
        const executedAt = new Map<number, bigint>();
        const retired = new Set<number>([]);
        for (const act of actions) {
          if (act.kind === 'tick') d.tick(act.ms);
          else if (act.kind === 'keepAlive') {
            const last = Math.max(0, allocated - act.lastBack);
            const pending = [];
            for (let n = 1; n <= last; n++) if ((act.mask >>> (n % 31)) & 1) pending.push(n);
            const bytes = encodePendingFilter(pending, { format: act.bloom ? 'bloom' : 'exact' });
            const filter = decodePendingFilter(bytes)!;
            for (let n = 1; n <= last; n++) if (!filter.mightContain(n)) retired.add(n);
            d.keepAlive(s, last, bytes);
          } else {
            const seq = act.fresh ? ++allocated : 2 + (act.pick % allocated);
            allocated = Math.max(allocated, seq);
            const out = d.call(s, seq, 2, { op: 'add', n: 1 });
            expect(out).toHaveLength(1);
            const { output } = out[0]!;
            if (retired.has(seq)) {
              expect(output.status).toBe(Status.STALE);
              continue;
            }
            expect(output.status).toBe(Status.OK);
            const first = executedAt.get(seq);
            if (first === undefined) executedAt.set(seq, output.index);
            else expect(output.index).toBe(first);
          }
        }
        expect(d.counter(2).state.value).toBe(executedAt.size);
        const values = [...executedAt.values()];
        expect(new Set(values).size).toBe(values.length);
      }),
      { numRuns: 200 },
    );
  });
});
