import { describe, expect, it } from 'vitest';
import { Bitset } from './bitset.js';

describe('Bitset', () => {
  it('sets, clears and counts across word boundaries', () => {
    const b = new Bitset(70);
    expect(b.words).toHaveLength(3);
    for (const i of [0, 31, 32, 69]) b.set(i);
    expect([0, 1, 31, 32, 33, 69].map((i) => b.has(i))).toEqual([
      true,
      false,
      true,
      true,
      false,
      true,
    ]);
    expect(b.count()).toBe(4);
    b.clear(31);
    expect(b.has(31)).toBe(false);
    expect(b.count()).toBe(3);
    expect(() => b.set(70)).toThrow(/in range/);
    expect(() => b.clear(1)).toThrow(/present/);
  });

  it('keeps a hash that depends only on the members', () => {
    const a = new Bitset(100);
    const b = new Bitset(100);
    a.set(3);
    a.set(64);
    b.set(64);
    b.set(99);
    b.set(3);
    expect(a.hash).not.toBe(b.hash);
    b.clear(99);
    expect(a.hash).toBe(b.hash);
    expect(a.equalsWords(b.words.slice())).toBe(true);
    b.clear(3);
    expect(a.equalsWords(b.words.slice())).toBe(false);
    expect(b.hash).not.toBe(a.hash);
    b.clear(64);
    expect(b.hash).toBe(0);
  });
});
