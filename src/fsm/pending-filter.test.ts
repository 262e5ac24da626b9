import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePendingFilter, encodePendingFilter, PendingFilterFormat } from './pending-filter.js';

const numbers = fc.array(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), { maxLength: 300 });
const dense = fc.array(fc.integer({ min: 1, max: 2000 }), { maxLength: 300 });

describe('pending filter', () => {
  it('has the documented byte layout', () => {
    expect(encodePendingFilter([])).toEqual(new Uint8Array(0));
    expect(encodePendingFilter([5, 3, 300, 3])).toEqual(Uint8Array.of(0x01, 3, 2, 0xa7, 0x02));
    const bloom = encodePendingFilter([1, 2], { format: 'bloom', bitsPerNumber: 8, hashes: 3 });
    expect(bloom[0]).toBe(PendingFilterFormat.bloom);
    expect(bloom[1]).toBe(3);
    expect(bloom.length).toBe(2 + 2);
    // Pinned bits, computed by an independent Python transcription of docs/fsm.md.
    expect([...bloom.subarray(2)]).toEqual([0xb4, 0x48]);
  });

  it('never gives a false negative (exact, Bloom, and the automatic choice)', () => {
    fc.assert(
      fc.property(
        fc.oneof(numbers, dense),
        fc.constantFrom('exact', 'bloom', undefined),
        (ns, format) => {
          const bytes = encodePendingFilter(ns, format === undefined ? {} : { format });
          const filter = decodePendingFilter(bytes);
          expect(filter).toBeDefined();
          for (const n of ns) expect(filter!.mightContain(n)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('the exact format contains nothing else; the choice is the smaller encoding', () => {
    fc.assert(
      fc.property(dense, fc.array(fc.integer({ min: 1, max: 2000 })), (ns, probes) => {
        const exact = encodePendingFilter(ns, { format: 'exact' });
        const filter = decodePendingFilter(exact)!;
        const set = new Set(ns);
        for (const p of probes) expect(filter.mightContain(p)).toBe(set.has(p));
        if (ns.length > 0) {
          const bloom = encodePendingFilter(ns, { format: 'bloom' });
          expect(encodePendingFilter(ns).length).toBe(Math.min(exact.length, bloom.length));
        }
      }),
    );
  });

  it('a Bloom filter of 10 bits per number has about 1 % false positives', () => {
    const pending = Array.from({ length: 1000 }, (_, i) => 1 + i * 7);
    const filter = decodePendingFilter(encodePendingFilter(pending, { format: 'bloom' }))!;
    let positives = 0;
    for (let n = 100_000; n < 110_000; n++) if (filter.mightContain(n)) positives++;
    expect(positives / 10_000).toBeLessThan(0.03);
    expect(filter.mightContain(0)).toBe(false);
  });

  it('rejects malformed bytes and never throws on any', () => {
    const bad = [
      [0x00],
      [0x03],
      [0x01, 0x80],
      [0x01, 0x05, 0x00],
      [0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
      [0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f],
      [0x02],
      [0x02, 0x03],
      [0x02, 0x00, 0xff],
      [0x02, 17, 0xff],
    ];
    for (const b of bad) expect(decodePendingFilter(Uint8Array.from(b))).toBeUndefined();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.nat(), (bytes, n) => {
        const filter = decodePendingFilter(bytes);
        if (filter !== undefined) expect(typeof filter.mightContain(n)).toBe('boolean');
      }),
    );
  });
});
