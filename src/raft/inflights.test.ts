import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { AssertionError, logIndex } from '../common/index.js';
import { Inflights } from './inflights.js';

describe('Inflights', () => {
  test('fills by message count and frees up to an index', () => {
    const w = new Inflights(3, 0);
    w.add(logIndex(2), 10);
    w.add(logIndex(4), 10);
    expect(w.full()).toBe(false);
    w.add(logIndex(7), 10);
    expect(w.full()).toBe(true);
    expect(() => w.add(logIndex(8), 1)).toThrow(AssertionError);
    w.freeLE(logIndex(4));
    expect(w.count).toBe(1);
    expect(w.bytes).toBe(10);
    expect(w.full()).toBe(false);
    // Wraps around the ring.
    w.add(logIndex(9), 1);
    w.add(logIndex(12), 1);
    expect(w.full()).toBe(true);
    w.freeLE(logIndex(9));
    expect(w.count).toBe(1);
    w.freeLE(logIndex(100));
    expect(w.count).toBe(0);
    expect(w.bytes).toBe(0);
  });

  test('fills by bytes', () => {
    const w = new Inflights(100, 25);
    w.add(logIndex(1), 10);
    w.add(logIndex(2), 10);
    expect(w.full()).toBe(false);
    w.add(logIndex(3), 10);
    expect(w.full()).toBe(true);
    w.freeFirstOne();
    expect(w.bytes).toBe(20);
    expect(w.full()).toBe(false);
  });

  test('rejects non-increasing indexes', () => {
    const w = new Inflights(4, 0);
    w.add(logIndex(5), 1);
    expect(() => w.add(logIndex(5), 1)).toThrow(AssertionError);
  });

  test('reset empties the window', () => {
    const w = new Inflights(2, 0);
    w.add(logIndex(1), 1);
    w.add(logIndex(2), 1);
    w.reset();
    expect(w.count).toBe(0);
    expect(w.full()).toBe(false);
  });

  test('keeps its messages in order as its ring grows past a wrap', () => {
    const w = new Inflights(16, 0);
    for (let i = 1; i <= 4; i++) w.add(logIndex(i), i);
    w.freeLE(logIndex(2));
    w.add(logIndex(5), 5);
    w.add(logIndex(6), 6);
    // Four messages in a ring of four that wraps; the fifth grows it.
    w.add(logIndex(7), 7);
    expect(w.count).toBe(5);
    expect(w.bytes).toBe(3 + 4 + 5 + 6 + 7);
    w.freeLE(logIndex(5));
    expect(w.count).toBe(2);
    expect(w.bytes).toBe(6 + 7);
    for (let i = 8; i <= 21; i++) w.add(logIndex(i), 1);
    expect(w.count).toBe(16);
    expect(w.full()).toBe(true);
  });

  test('behaves as a list of messages under any sequence of operations', () => {
    type Op =
      | { kind: 'add'; bytes: number }
      | { kind: 'freeLE'; keep: number }
      | { kind: 'first' | 'reset' };
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 4, arbitrary: fc.record({ kind: fc.constant('add' as const), bytes: fc.nat(9) }) },
      {
        weight: 2,
        arbitrary: fc.record({ kind: fc.constant('freeLE' as const), keep: fc.nat(6) }),
      },
      fc.record({ kind: fc.constantFrom('first' as const, 'reset' as const) }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.oneof(fc.constant(0), fc.nat(60)),
        fc.array(op, { maxLength: 200, size: 'max' }),
        (maxMsgs, maxBytes, ops) => {
          const w = new Inflights(maxMsgs, maxBytes);
          const model: { index: number; bytes: number }[] = [];
          let next = 1;
          for (const o of ops) {
            if (o.kind === 'add') {
              if (w.full()) continue;
              w.add(logIndex(next), o.bytes);
              model.push({ index: next++, bytes: o.bytes });
            } else if (o.kind === 'freeLE') {
              // Acknowledges all but the newest `keep` messages.
              const upTo = model.length > o.keep ? model[model.length - o.keep - 1]!.index : 0;
              w.freeLE(logIndex(upTo));
              while (model.length > 0 && model[0]!.index <= upTo) model.shift();
            } else if (o.kind === 'first') {
              w.freeFirstOne();
              model.shift();
            } else {
              w.reset();
              model.length = 0;
            }
            const bytes = model.reduce((sum, m) => sum + m.bytes, 0);
            expect(w.count).toBe(model.length);
            expect(w.bytes).toBe(bytes);
            expect(w.full()).toBe(model.length === maxMsgs || (maxBytes > 0 && bytes >= maxBytes));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
