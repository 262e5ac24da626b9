import { expect, test } from 'vitest';
import { Scheduler } from './scheduler.js';

test('runs events in (time, insertion) order and skips cancelled ones', async () => {
  const s = new Scheduler();
  const log: string[] = [];
  s.after(5, () => log.push('b'));
  s.after(1, () => {
    log.push('a');
    s.after(4, () => log.push('c'));
  });
  const x = s.after(3, () => log.push('x'));
  x.cancel();
  await s.runUntil(4);
  expect(log).toEqual(['a']);
  expect(s.now).toBe(4);
  await s.runUntil(10);
  expect(log).toEqual(['a', 'b', 'c']);
  expect(s.now).toBe(10);
});

test('rejects negative delays', () => {
  expect(() => new Scheduler().after(-1, () => {})).toThrow(/bad delay/);
});

test('promise chains started in one ms finish before time moves on', async () => {
  const s = new Scheduler();
  const log: string[] = [];
  const chain = async (name: string) => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
    log.push(`${name} done`);
    s.after(0, () => log.push(`${name} deferred`));
  };
  s.after(1, () => {
    log.push('a');
    void chain('a');
  });
  s.after(1, () => log.push('b'));
  s.after(2, () => log.push('c'));
  await s.runUntil(2);
  expect(log).toEqual(['a', 'b', 'a done', 'a deferred', 'c']);
});

test('a failure reported from a promise callback ends the run', async () => {
  const s = new Scheduler();
  const ran: number[] = [];
  s.after(1, () => {
    void Promise.resolve().then(() => s.fail(new Error('boom')));
  });
  s.after(2, () => ran.push(2));
  await expect(s.runUntil(10)).rejects.toThrow('boom');
  expect(ran).toEqual([]);
});
