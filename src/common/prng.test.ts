import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { Prng } from './prng.js';

describe('Prng', () => {
  test('the same seed gives the same stream; different seeds differ', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const c = new Prng(43);
    const sa = Array.from({ length: 8 }, () => a.uint32());
    const sb = Array.from({ length: 8 }, () => b.uint32());
    const sc = Array.from({ length: 8 }, () => c.uint32());
    expect(sa).toEqual(sb);
    expect(sa).not.toEqual(sc);
  });

  test('int stays within its inclusive bounds and reaches both ends', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.integer({ min: -50, max: 50 }),
        fc.integer({ min: 0, max: 5 }),
        (seed, lo, span) => {
          const r = new Prng(seed);
          const seen = new Set<number>();
          for (let i = 0; i < 200; i++) {
            const v = r.int(lo, lo + span);
            expect(v).toBeGreaterThanOrEqual(lo);
            expect(v).toBeLessThanOrEqual(lo + span);
            seen.add(v);
          }
          expect(seen.size).toBe(span + 1);
        },
      ),
    );
  });

  test('float is roughly uniform', () => {
    const r = new Prng(7);
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) buckets[Math.floor(r.float() * 10)]! += 1;
    for (const n of buckets) expect(Math.abs(n - 10_000)).toBeLessThan(600);
  });

  test('forks are independent of the parent stream', () => {
    const parent = new Prng(1);
    const child = parent.fork();
    expect(Array.from({ length: 4 }, () => child.uint32())).not.toEqual(
      Array.from({ length: 4 }, () => parent.uint32()),
    );
  });

  test('rejects a seed that is not a safe integer', () => {
    expect(() => new Prng(1.5)).toThrow(/seed/);
  });
});
