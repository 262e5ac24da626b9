import { expect, test } from 'vitest';
import { fnv1a32, partitionOf } from './placement.js';

test('fnv1a32 matches the published test vectors', () => {
  const enc = new TextEncoder();
  expect(fnv1a32(enc.encode(''))).toBe(0x811c9dc5);
  expect(fnv1a32(enc.encode('a'))).toBe(0xe40c292c);
  expect(fnv1a32(enc.encode('foobar'))).toBe(0xbf9cf968);
});

test('partitionOf is 1 + hash mod P and stays in range', () => {
  expect(partitionOf('foobar', 7)).toBe(1 + (0xbf9cf968 % 7));
  for (let i = 0; i < 200; i++) {
    const p = partitionOf(`key-${i}`, 12);
    expect(p).toBeGreaterThanOrEqual(1);
    expect(p).toBeLessThanOrEqual(12);
  }
  expect(() => partitionOf('x', 0)).toThrow();
});
