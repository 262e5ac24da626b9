import fc from 'fast-check';
import { expect, test } from 'vitest';
import { MinHeap } from './min-heap.js';

test('pops in the order of a stable sort by (key, insertion)', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.boolean())), (ops) => {
      const heap = new MinHeap<[number, number]>(
        (a, b) => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]),
      );
      const model: [number, number][] = [];
      let seq = 0;
      for (const [key, pop] of ops) {
        if (pop) {
          model.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
          expect(heap.pop()).toEqual(model.shift());
        } else {
          heap.push([key, seq]);
          model.push([key, seq]);
          seq++;
        }
        expect(heap.size).toBe(model.length);
      }
    }),
  );
});

test('peek and pop on an empty heap give undefined', () => {
  const heap = new MinHeap<number>((a, b) => a < b);
  expect(heap.peek()).toBeUndefined();
  expect(heap.pop()).toBeUndefined();
});
