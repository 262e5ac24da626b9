import { expect, test } from 'vitest';
import { Prng } from '../common/index.js';
import { Backoff } from './backoff.js';

test('delays grow exponentially up to the cap, with full jitter', () => {
  const backoff = new Backoff(new Prng(3), { baseMs: 10, maxMs: 200 });
  for (let attempt = 0; attempt < 12; attempt++) {
    const ceiling = Math.min(200, 10 * 2 ** attempt);
    const delays = Array.from({ length: 300 }, () => backoff.delayMs(attempt));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...delays)).toBeLessThanOrEqual(ceiling);
    // Full jitter spreads over the whole range.
    expect(Math.max(...delays)).toBeGreaterThan(ceiling * 0.8);
  }
});

test('rejects bad bounds and attempts', () => {
  expect(() => new Backoff(new Prng(1), { baseMs: 0, maxMs: 1 })).toThrow();
  expect(() => new Backoff(new Prng(1)).delayMs(-1)).toThrow();
});
