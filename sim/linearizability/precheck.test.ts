import { describe, expect, it } from 'vitest';
import type { HistoryOp, OpInput, OpOutput } from './history.js';
import { precheck } from './precheck.js';

function op(call: number, ret: number | null, input: OpInput, output: OpOutput | null): HistoryOp {
  return { client: 'c', key: 'k', call, return: ret, input, output };
}
const set = (value: string): OpInput => ({ op: 'set', value });
const get: OpInput = { op: 'get' };

describe('precheck', () => {
  it('finds nothing in a linearizable history', () => {
    const h = [
      op(0, 10, set('x'), { ok: true, version: 2 }),
      op(1, null, set('y'), null),
      op(5, 6, get, { ok: true, value: 'x', version: 2 }),
      op(20, 21, get, { ok: true, value: 'y', version: 9 }),
      op(22, 23, { op: 'update', value: 'z', prevVersion: 9 }, { ok: true, version: 11 }),
      op(24, 25, { op: 'delete' }, { ok: true, value: 'z', version: 11 }),
    ];
    expect(precheck(h)).toBeUndefined();
  });

  it('(A) a value read before any call wrote it', () => {
    const h = [op(0, 1, get, { ok: true, value: 'x' }), op(2, 3, set('x'), { ok: true })];
    expect(precheck(h)).toMatchObject({ failed: 0, because: [] });
    expect(precheck(h)?.reason).toMatch(/no call made before it returned writes/);
  });

  it('(B) a value read at a version it was not written with', () => {
    const h = [
      op(0, 1, set('x'), { ok: true, version: 3 }),
      op(2, 3, get, { ok: true, value: 'x', version: 4 }),
    ];
    expect(precheck(h)).toMatchObject({ failed: 1, because: [0] });
    const unreported = [op(0, 1, set('x'), { ok: true }), h[1]!];
    expect(precheck(unreported)).toBeUndefined();
  });

  it('(C) a version older than a write that had returned', () => {
    const h = [
      op(0, 1, set('x'), { ok: true, version: 3 }),
      op(2, 3, set('y'), { ok: true, version: 5 }),
      op(4, 5, { op: 'update', value: 'z', prevVersion: 3 }, { error: 'CONFLICT' }),
      op(6, 7, { op: 'delete', prevVersion: 3 }, { ok: true }),
    ];
    expect(precheck(h)).toMatchObject({ failed: 3, because: [1] });
    // Concurrent with the newer write: no conclusion.
    const concurrent = [h[0]!, h[1]!, op(3, 7, { op: 'delete', prevVersion: 3 }, { ok: true })];
    expect(precheck(concurrent)).toBeUndefined();
  });

  it('(D) one version reported by two writes', () => {
    const h = [
      op(0, 1, set('x'), { ok: true, version: 3 }),
      op(0, 1, set('y'), { ok: true, version: 3 }),
    ];
    expect(precheck(h)).toMatchObject({ failed: 1, because: [0] });
  });
});
