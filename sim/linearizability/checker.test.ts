import { describe, expect, it } from 'vitest';
import { checkHistory } from './checker.js';
import type { HistoryOp, OpInput, OpOutput } from './history.js';

const key = 'default/v';

/** `op(client, call, return, input, output)`; return null = unknown outcome. */
function op(
  client: string,
  call: number,
  ret: number | null,
  input: OpInput,
  output: OpOutput | null = null,
  k = key,
): HistoryOp {
  return { client, key: k, call, return: ret, input, output };
}

const get: OpInput = { op: 'get' };
const set = (value: string, extra: { ifAbsent?: boolean; ttl?: number } = {}): OpInput => ({
  op: 'set',
  value,
  ...extra,
});
const update = (value: string, prevVersion = 0, ttl?: number): OpInput => ({
  op: 'update',
  value,
  prevVersion,
  ...(ttl === undefined ? {} : { ttl }),
});
const del = (prevVersion = 0): OpInput => ({ op: 'delete', prevVersion });
const ok = (o: { value?: string; version?: number; prevValue?: string } = {}): OpOutput => ({
  ok: true,
  ...o,
});
const read = (value: string, version?: number): OpOutput => ok({ value, version });
const wrote = (version: number, prevValue?: string): OpOutput => ok({ version, prevValue });
const notFound: OpOutput = { error: 'NOT_FOUND' };
const conflict = (value: string, version: number): OpOutput => ({
  error: 'CONFLICT',
  current: { value, version },
});
const exists = (value: string, version: number): OpOutput => ({
  error: 'ALREADY_EXISTS',
  current: { value, version },
});

/** The verdict, the same with and without the direct checks (else 'disagree'). */
function verdict(history: HistoryOp[]): string {
  const searched = checkHistory(history, { directChecks: false }).verdict;
  return checkHistory(history).verdict === searched ? searched : 'disagree';
}

describe('linearizable histories', () => {
  it('accepts an empty history and a sequential life cycle', () => {
    expect(verdict([])).toBe('ok');
    const h = [
      op('a', 0, 1, get, notFound),
      op('a', 2, 3, set('x'), wrote(1)),
      op('a', 4, 5, get, read('x', 1)),
      op('a', 6, 7, update('y', 1), wrote(3, 'x')),
      op('a', 8, 9, del(3), ok({ value: 'y', version: 3 })),
      op('a', 10, 11, get, notFound),
      op('a', 12, 13, update('z'), notFound),
      op('a', 14, 15, set('z', { ifAbsent: true }), wrote(7)),
      op('a', 16, 17, set('w', { ifAbsent: true }), exists('z', 7)),
      op('a', 18, 19, get, read('z', 7)),
    ];
    expect(verdict(h)).toBe('ok');
  });

  it('orders overlapping operations by their versions, not by call order', () => {
    const h = [
      op('a', 0, 10, set('x'), wrote(2)),
      op('b', 1, 9, set('y'), wrote(1)),
      op('c', 2, 3, get, read('y', 1)),
      op('d', 4, 12, get, read('x', 2)),
      op('c', 13, 14, get, read('x', 2)),
    ];
    expect(verdict(h)).toBe('ok');
  });

  it('treats touching intervals (return = call) as concurrent', () => {
    const h = [op('a', 0, 5, set('x'), wrote(1)), op('b', 5, 6, get, notFound)];
    expect(verdict(h)).toBe('ok');
  });

  it('accepts a CAS chain among concurrent clients, losers seeing CONFLICT', () => {
    const h = [
      op('a', 0, 1, set('x'), wrote(1)),
      op('a', 2, 20, update('a', 1), wrote(4, 'x')),
      op('b', 3, 20, update('b', 1), conflict('a', 4)),
      op('c', 4, 20, update('c', 4), wrote(6, 'a')),
      op('d', 5, 20, update('d', 1), conflict('c', 6)),
      op('e', 21, 22, get, read('c', 6)),
    ];
    expect(verdict(h)).toBe('ok');
  });

  it('accepts delete and re-create with a greater version', () => {
    const h = [
      op('a', 0, 1, set('x'), wrote(1)),
      op('b', 2, 3, del(1), ok({ value: 'x', version: 1 })),
      op('a', 4, 5, set('x', { ifAbsent: true }), wrote(3)),
      op('b', 6, 7, get, read('x', 3)),
    ];
    expect(verdict(h)).toBe('ok');
  });

  it('accepts an unknown write that took effect later, binding its version', () => {
    const h = [
      op('a', 0, 1, set('x'), wrote(1)),
      op('b', 2, null, set('y')),
      op('c', 3, 4, get, read('x', 1)),
      op('c', 50, 51, get, read('y', 9)),
    ];
    expect(verdict(h)).toBe('ok');
  });

  it('accepts an unknown write that never took effect', () => {
    const h = [
      op('a', 0, 1, set('x'), wrote(1)),
      op('b', 2, null, set('y')),
      op('b', 3, null, update('z', 1)),
      op('c', 50, 51, get, read('x', 1)),
    ];
    expect(verdict(h)).toBe('ok');
  });

  it('keeps versions of stacked unknown writes strictly increasing', () => {
    // y then z would need 1 < v(y) < v(z) = 2: impossible; z alone (y lost or later) is fine.
    const h = [
      op('a', 0, 1, set('x'), wrote(1)),
      op('b', 2, null, set('y')),
      op('c', 2, null, set('z')),
      op('d', 10, 11, get, read('z', 2)),
      op('d', 12, 13, get, read('y', 3)),
    ];
    expect(verdict(h)).toBe('ok');
    const bad = [...h.slice(0, 4), op('d', 12, 13, get, read('y', 2))];
    expect(verdict(bad)).toBe('violation');
  });

  it('accepts an unknown conditional update observed later', () => {
    const h = [
      op('a', 0, 1, set('x'), wrote(1)),
      op('b', 2, null, update('y', 1)),
      op('c', 10, 11, update('z', 1), conflict('y', 5)),
    ];
    expect(verdict(h)).toBe('ok');
  });

  it('lets a value written with a ttl expire, and only such a value', () => {
    const h = [
      op('a', 0, 1, set('x', { ttl: 100 }), wrote(1)),
      op('b', 50, 51, get, read('x', 1)),
      op('b', 200, 201, get, notFound),
    ];
    expect(verdict(h)).toBe('ok');
    const noTtl = [op('a', 0, 1, set('x'), wrote(1)), ...h.slice(1)];
    expect(verdict(noTtl)).toBe('violation');
    const clearedByUpdate = [...h.slice(0, 2), op('a', 60, 61, update('y'), wrote(2, 'x'))];
    expect(verdict([...clearedByUpdate, op('b', 200, 201, get, notFound)])).toBe('violation');
  });

  it('checks keys independently', () => {
    const h = [
      op('a', 0, 10, set('x', {}), wrote(5), 'ns/one'),
      op('b', 0, 10, set('x', {}), wrote(2), 'ns/two'),
      op('c', 11, 12, get, read('x', 2), 'ns/two'),
      op('c', 11, 12, get, read('x', 5), 'ns/one'),
    ];
    expect(verdict(h)).toBe('ok');
  });
});

describe('non-linearizable histories', () => {
  it('detects a stale read', () => {
    const h = [
      op('a', 0, 1, set('x'), wrote(1)),
      op('a', 2, 3, set('y'), wrote(2)),
      op('b', 4, 5, get, read('x', 1)),
    ];
    const r = checkHistory(h, { directChecks: false });
    expect(r.verdict).toBe('violation');
    expect(r.key).toBe(key);
    expect(r.witness?.failed.index).toBe(2);
    expect(r.witness?.prefix.map((p) => p.index)).toEqual([0, 1]);
    expect(r.explanation).toContain('Cannot be placed: #2 b [4, 5] get → ok value="x" version=1');
    const direct = checkHistory(h);
    expect(direct.witness?.failed.index).toBe(2);
    expect(direct.witness?.pending.map((p) => p.index)).toEqual([1]);
    expect(direct.explanation).toContain('observes version 1 after a write of version 2 returned');
  });

  it('detects a stale read without versions in the output', () => {
    const h = [
      op('a', 0, 1, set('x'), ok()),
      op('a', 2, 3, set('y'), ok()),
      op('b', 4, 5, get, read('x')),
    ];
    expect(verdict(h)).toBe('violation');
  });

  it('detects a lost update: two CAS on the same version both succeed', () => {
    const h = [
      op('a', 0, 1, set('x'), wrote(1)),
      op('a', 2, 10, update('a', 1), wrote(2, 'x')),
      op('b', 2, 10, update('b', 1), wrote(3, 'x')),
    ];
    expect(verdict(h)).toBe('violation');
  });

  it('detects a read of a value never written', () => {
    expect(verdict([op('a', 0, 1, set('x'), wrote(1)), op('b', 2, 3, get, read('q'))])).toBe(
      'violation',
    );
    expect(verdict([op('b', 2, 3, get, read('q', 1))])).toBe('violation');
  });

  it('detects a CAS success on a stale version', () => {
    const h = [
      op('a', 0, 1, set('x'), wrote(1)),
      op('a', 2, 3, set('y'), wrote(2)),
      op('b', 4, 5, update('z', 1), wrote(3, 'y')),
    ];
    expect(verdict(h)).toBe('violation');
  });

  it('detects versions going backwards', () => {
    const writes = [op('a', 0, 1, set('x'), wrote(5)), op('a', 2, 3, set('y'), wrote(3))];
    expect(verdict(writes)).toBe('violation');
    const reads = [
      op('a', 0, 10, set('x'), wrote(1)),
      op('b', 0, 10, set('y'), wrote(2)),
      op('c', 1, 2, get, read('y', 2)),
      op('c', 3, 4, get, read('x', 1)),
    ];
    expect(verdict(reads)).toBe('violation');
    const sameVersion = [op('a', 0, 10, set('x'), wrote(4)), op('b', 0, 10, set('y'), wrote(4))];
    expect(verdict(sameVersion)).toBe('violation');
  });

  it('detects ALREADY_EXISTS when nothing exists', () => {
    expect(verdict([op('a', 0, 1, set('x', { ifAbsent: true }), exists('x', 1))])).toBe(
      'violation',
    );
    const afterDelete = [
      op('a', 0, 1, set('x'), wrote(1)),
      op('a', 2, 3, del(), ok({ value: 'x', version: 1 })),
      op('a', 4, 5, set('y', { ifAbsent: true }), exists('x', 1)),
    ];
    expect(verdict(afterDelete)).toBe('violation');
  });

  it('detects an unknown write observed before it was called', () => {
    const h = [op('b', 10, null, set('y')), op('c', 0, 5, get, read('y'))];
    expect(verdict(h)).toBe('violation');
  });

  it('detects wrong conditional outcomes', () => {
    const base = [op('a', 0, 1, set('x'), wrote(1))];
    expect(verdict([...base, op('b', 2, 3, update('y', 1), conflict('x', 1))])).toBe('violation');
    expect(verdict([...base, op('b', 2, 3, del(1), notFound)])).toBe('violation');
    expect(verdict([...base, op('b', 2, 3, del(1), ok({ value: 'q' }))])).toBe('violation');
    expect(verdict([...base, op('b', 2, 3, update('y', 1), wrote(2, 'q'))])).toBe('violation');
    expect(verdict([...base, op('b', 2, 3, update('y'), conflict('x', 1))])).toBe('violation');
    expect(verdict([...base, op('b', 2, 3, set('y'), exists('x', 1))])).toBe('violation');
    expect(verdict([op('b', 2, 3, update('y'), wrote(2))])).toBe('violation');
    const createTwice = set('y', { ifAbsent: true });
    expect(verdict([...base, op('b', 2, 3, createTwice, wrote(2))])).toBe('violation');
  });

  it('reports the first failing key in sorted order', () => {
    const h = [
      op('a', 0, 1, get, read('x'), 'ns/b'),
      op('a', 0, 1, get, read('x'), 'ns/a'),
      op('a', 0, 1, get, notFound, 'ns/0'),
    ];
    const r = checkHistory(h);
    expect(r.verdict).toBe('violation');
    expect(r.key).toBe('ns/a');
    expect(r.stats.keys).toBe(3);
  });
});

describe('budget', () => {
  // Concurrent writes whose versions were not reported can be ordered in k! ways; before an
  // impossible read the search must rule out every (subset, last write) configuration: k·2^k.
  const writes = (k: number): HistoryOp[] =>
    Array.from({ length: k }, (_, i) => op(`w${i}`, i, 100, set(`w${i}`), ok()));
  const hard = [...writes(16), op('r', 101, 102, get, read('never'))];

  it('yields unknown when the step budget runs out', () => {
    const r = checkHistory(hard, { stepsMaxPerKey: 10_000, directChecks: false });
    expect(r.verdict).toBe('unknown');
    expect(r.key).toBe(key);
    expect(r.stats.steps).toBeGreaterThan(10_000);
    expect(r.explanation).toContain('budget exhausted');
  });

  it('yields unknown when the injected clock passes the time budget', () => {
    let t = 0;
    const r = checkHistory(hard, { timeBudgetMs: 50, now: () => (t += 10), directChecks: false });
    expect(r.verdict).toBe('unknown');
    expect(r.stats.steps).toBeLessThan(10_000);
  });

  it('reaches a verdict on the same history within an ample budget', () => {
    const small = [...writes(6), op('r', 101, 102, get, read('never'))];
    expect(checkHistory(small, { stepsMaxPerKey: 10_000, directChecks: false }).verdict).toBe(
      'violation',
    );
  });
});
