import { expect, test } from 'vitest';
import { Backoff } from './backoff.js';
import { Prng } from './prng.js';

test('full jitter: delays grow exponentially up to the cap and spread over [0, ceiling]', () => {
  const random = new Prng(3);
  const backoff = new Backoff(() => random.float(), { baseMs: 10, maxMs: 200 });
  for (let attempt = 0; attempt < 12; attempt++) {
    const ceiling = Math.min(200, 10 * 2 ** attempt);
    const delays = Array.from({ length: 300 }, () => backoff.delayMs(attempt));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...delays)).toBeLessThanOrEqual(ceiling);
    expect(Math.max(...delays)).toBeGreaterThan(ceiling * 0.8);
  }
});

test('equal jitter: doubles up to the maximum, within [ceiling/2, ceiling]', () => {
  const at = (r: number, attempt: number) =>
    new Backoff(() => r, { baseMs: 50, maxMs: 5000, jitter: 'equal' }).delayMs(attempt);
  expect(at(0, 0)).toBe(25);
  expect(at(0.999999, 0)).toBe(50);
  expect(at(0.999999, 3)).toBe(400);
  expect(at(0.999999, 40)).toBe(5000);
  expect(at(0, 40)).toBe(2500);
});

test('rejects bad bounds and attempts', () => {
  expect(() => new Backoff(() => 0, { baseMs: 0, maxMs: 1 })).toThrow();
  expect(() => new Backoff(() => 0).delayMs(-1)).toThrow();
});
