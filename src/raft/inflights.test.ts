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
});
