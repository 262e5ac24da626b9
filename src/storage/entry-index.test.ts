import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EntryCache } from './entry-cache.js';
import { EntryIndex } from './entry-index.js';
import { mkEntries } from './test-helpers.js';

type Op =
  | { kind: 'push'; n: number }
  | { kind: 'truncate'; back: number }
  | { kind: 'compact'; ahead: number }
  | { kind: 'reset'; ahead: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('push' as const),
      n: fc.integer({ min: 1, max: 400 }),
    }),
  },
  fc.record({ kind: fc.constant('truncate' as const), back: fc.integer({ min: 0, max: 50 }) }),
  fc.record({ kind: fc.constant('compact' as const), ahead: fc.integer({ min: 0, max: 900 }) }),
  fc.record({ kind: fc.constant('reset' as const), ahead: fc.integer({ min: 0, max: 30 }) }),
);

describe('EntryIndex and EntryCache against a model', () => {
  it('agree with a plain array on terms, locations and cached entries', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const index = new EntryIndex();
        const cache = new EntryCache();
        let base = 0;
        let baseTerm = 0;
        let model: { term: number; seg: number; off: number }[] = [];
        let t = 1;
        for (const o of ops) {
          const last = base + model.length;
          if (o.kind === 'push') {
            t++;
            const entries = mkEntries(1, last + 1, o.n, t, 1);
            for (const [i, e] of entries.entries()) {
              index.push(t, 1 + (i % 3), e.index);
              model.push({ term: t, seg: 1 + (i % 3), off: e.index });
            }
            cache.append(entries, last);
            cache.evict(48 * 100, () => true);
          } else if (o.kind === 'truncate') {
            const to = Math.max(base, last - o.back);
            index.truncateAfter(to);
            cache.truncateAfter(to);
            model = model.slice(0, to - base);
          } else if (o.kind === 'compact') {
            const to = Math.min(last, base + o.ahead);
            if (to > base) {
              const term = model[to - base - 1]!.term;
              index.compactTo(to, term);
              cache.dropThrough(to);
              model = model.slice(to - base);
              base = to;
              baseTerm = term;
            }
          } else {
            base = last + o.ahead;
            baseTerm = ++t;
            index.reset(base, baseTerm);
            cache.clear();
            model = [];
          }
          expect([index.base, index.last, index.term(base)]).toEqual([
            base,
            base + model.length,
            baseTerm,
          ]);
          for (let i = base + 1; i <= base + model.length; i += 7) {
            const m = model[i - base - 1]!;
            expect([index.term(i), index.segment(i), index.offset(i)]).toEqual([
              m.term,
              m.seg,
              m.off,
            ]);
            const c = cache.get(i);
            if (c) expect(c.term).toBe(m.term);
          }
          expect(index.term(base + model.length + 1)).toBeUndefined();
          if (cache.size > 0) expect(cache.first + cache.size - 1).toBe(base + model.length);
        }
      }),
      { seed: 7, numRuns: 80 },
    );
  });
});
