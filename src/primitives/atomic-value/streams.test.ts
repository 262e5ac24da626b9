import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { streamId } from '../testing/fake-host.js';
import { compareStreams, StreamSet } from './streams.js';

describe('StreamSet', () => {
  it('keeps distinct streams sorted by (session, seq) whatever the insertion order', () => {
    const pair = fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), pair)), (ops) => {
        const set = new StreamSet();
        const reference = new Map<string, [number, number]>();
        for (const [add, [session, seq]] of ops) {
          const key = `${session}:${seq}`;
          if (add) expect(set.add(streamId(session, seq))).toBe(!reference.has(key));
          else expect(set.remove(streamId(session, seq))).toBe(reference.has(key));
          if (add) reference.set(key, [session, seq]);
          else reference.delete(key);
        }
        const expected = [...reference.values()]
          .map(([a, b]) => streamId(a, b))
          .sort(compareStreams);
        expect(set.list()).toEqual(expected);
        expect(set.size).toBe(expected.length);
      }),
    );
  });
});
