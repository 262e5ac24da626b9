import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RetiredSet } from './retired-set.js';

describe('retired set', () => {
  it('folds contiguous runs into the watermark', () => {
    const set = new RetiredSet();
    set.add(3);
    set.add(5);
    expect(set.watermark).toBe(0);
    expect(set.toList()).toEqual([3, 5]);
    expect([...set.gaps()]).toEqual([1, 2, 4]);
    set.add(1);
    set.add(2);
    expect(set.watermark).toBe(3);
    set.add(4);
    expect(set.watermark).toBe(5);
    expect(set.runCount).toBe(0);
    expect(set.top).toBe(5);
    expect(() => set.add(4)).toThrow();
  });

  it('matches a plain set for any insertion order; the list round-trips', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 200 }), { maxLength: 150 }), (ns) => {
        const set = new RetiredSet();
        const model = new Set<number>();
        for (const n of ns) {
          set.add(n);
          model.add(n);
        }
        let watermark = 0;
        while (model.has(watermark + 1)) watermark++;
        expect(set.watermark).toBe(watermark);
        for (let n = 1; n <= 201; n++) expect(set.has(n)).toBe(model.has(n));
        const top = Math.max(0, ...model);
        expect(set.top).toBe(top);
        const gaps = [];
        for (let n = watermark + 1; n < top; n++) if (!model.has(n)) gaps.push(n);
        expect([...set.gaps()]).toEqual(gaps);
        for (let n = watermark + 1; n <= 201; n++) {
          if (model.has(n)) continue;
          const touches = n === watermark + 1 || model.has(n - 1) || model.has(n + 1);
          expect(set.startsRun(n)).toBe(!touches);
        }
        const copy = RetiredSet.fromList(set.watermark, set.toList())!;
        expect(copy.toList()).toEqual(set.toList());
        expect(copy.watermark).toBe(set.watermark);
      }),
    );
  });

  it('fromList rejects unsorted lists and numbers at or below the watermark', () => {
    expect(RetiredSet.fromList(5, [5])).toBeUndefined();
    expect(RetiredSet.fromList(0, [3, 2])).toBeUndefined();
    expect(RetiredSet.fromList(0, [2, 2])).toBeUndefined();
    expect(RetiredSet.fromList(0, [2, 4])?.toList()).toEqual([2, 4]);
  });
});
