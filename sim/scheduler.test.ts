import { expect, test } from 'vitest';
import { Scheduler } from './scheduler.js';

test('runs events in (time, insertion) order and skips cancelled ones', () => {
  const s = new Scheduler();
  const log: string[] = [];
  s.after(5, () => log.push('b'));
  s.after(1, () => {
    log.push('a');
    s.after(4, () => log.push('c'));
  });
  const x = s.after(3, () => log.push('x'));
  x.cancel();
  s.runUntil(4);
  expect(log).toEqual(['a']);
  expect(s.now).toBe(4);
  s.runUntil(10);
  expect(log).toEqual(['a', 'b', 'c']);
  expect(s.now).toBe(10);
});

test('rejects negative delays', () => {
  expect(() => new Scheduler().after(-1, () => {})).toThrow(/bad delay/);
});
