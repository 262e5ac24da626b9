import { describe, expect, it } from 'vitest';
import { Bitset } from './bitset.js';
import { dominates, Memo } from './memo.js';
import type { ModelState } from './model.js';

const present = (version: number, exact = true, value = 1, ttl = false): ModelState => ({
  present: true,
  value,
  version,
  exact,
  ttl,
});
const absent = (version: number, exact = true): ModelState => ({
  present: false,
  value: -1,
  version,
  exact,
  ttl: false,
});

describe('dominates', () => {
  it('orders states by the futures they allow', () => {
    expect(dominates(present(5), present(5))).toBe(true);
    expect(dominates(present(5), present(6))).toBe(false);
    expect(dominates(present(5, false), present(7))).toBe(true);
    expect(dominates(present(5, false), present(7, false))).toBe(true);
    expect(dominates(present(7, false), present(5, false))).toBe(false);
    expect(dominates(present(5), present(7, false))).toBe(false);
    expect(dominates(present(5, false, 1), present(7, true, 2))).toBe(false);
    expect(dominates(present(5, true, 1, true), present(5))).toBe(false);
    expect(dominates(absent(3), absent(4, false))).toBe(true);
    expect(dominates(absent(4, false), absent(3))).toBe(false);
    expect(dominates(absent(3), present(3))).toBe(false);
  });
});

describe('Memo', () => {
  it('skips configurations dominated by an entered one, and only those', () => {
    const memo = new Memo();
    const definite = new Bitset(100);
    const open = new Bitset(40);
    for (let i = 0; i < 70; i++) definite.set(i);
    definite.set(75);
    open.set(3);
    expect(memo.add(definite, open, present(9, false))).toBe(true);
    expect(memo.add(definite, open, present(9, false))).toBe(false);
    expect(memo.add(definite, open, present(12))).toBe(false);
    expect(memo.add(definite, open, present(8))).toBe(true);
    open.set(39);
    expect(memo.add(definite, open, present(10, false))).toBe(false);
    open.clear(3);
    expect(memo.add(definite, open, present(10, false))).toBe(true);
    definite.clear(75);
    expect(memo.add(definite, open, present(10, false))).toBe(true);
    expect(memo.size).toBe(4);
  });
});
