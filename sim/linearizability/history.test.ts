import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { historyArb } from './_generate.js';
import { formatHistory, HistoryFormatError, type HistoryOp, parseHistory } from './history.js';
import { HistoryRecorder } from './recorder.js';

const line = (o: object): string => JSON.stringify(o);
const base = {
  client: 'c1',
  key: 'default/v',
  call: 1,
  return: 2,
  input: { op: 'get' },
  output: { error: 'NOT_FOUND' },
};

describe('JSON lines', () => {
  it('round-trips generated histories exactly', () => {
    fc.assert(
      fc.property(historyArb({ opsMax: 30, spreadMax: 300, unknownWeight: 3 }), (history) => {
        const text = formatHistory(history);
        expect(text.split('\n')).toHaveLength(history.length + 1);
        expect(parseHistory(text)).toEqual(history);
        expect(formatHistory(parseHistory(text))).toBe(text);
      }),
      { numRuns: 100 },
    );
  });

  it('parses every field of the format', () => {
    const text = [
      line({ ...base, process: 7 }),
      '',
      line({
        client: 'c2',
        key: 'ns/x',
        call: 3,
        return: null,
        input: { op: 'set', value: 'a', ifAbsent: true, ttl: 10 },
        output: null,
      }),
      line({
        ...base,
        input: { op: 'update', value: 'b', prevVersion: 4 },
        output: { error: 'CONFLICT', current: { value: 'a', version: 5 } },
      }),
      line({ ...base, input: { op: 'delete' }, output: { ok: true, value: 'a', version: 5 } }),
    ].join('\n');
    const ops: HistoryOp[] = parseHistory(text);
    expect(ops).toHaveLength(4);
    expect(ops[0]?.process).toBe(7);
    expect(ops[1]?.return).toBeNull();
    expect(ops[1]?.input).toEqual({ op: 'set', value: 'a', ifAbsent: true, ttl: 10 });
    expect(ops[2]?.output).toEqual({ error: 'CONFLICT', current: { value: 'a', version: 5 } });
  });

  it('rejects malformed lines, naming the line', () => {
    const bad: [object | string, RegExp][] = [
      ['{not json', /line 2: not JSON/],
      [{ ...base, return: 0 }, /"return" precedes "call"/],
      [{ ...base, output: null }, /null together/],
      [{ ...base, input: { op: 'cas' } }, /"op" must be/],
      [{ ...base, input: { op: 'get', value: 'x' } }, /unexpected field "value"/],
      [{ ...base, input: { op: 'update', value: 'x', prev_version: 1 } }, /"prev_version"/],
      [{ ...base, output: { ok: true } }, /successful get has a "value"/],
      [{ ...base, output: { error: 'STALE' } }, /"error"/],
      [{ ...base, output: { ok: true, value: 'x', version: 0 } }, /"version" must be/],
      [{ ...base, call: -1 }, /"call" must be/],
      [{ ...base, key: undefined }, /"key" is required/],
      [{ ...base, extra: 1 }, /unexpected field "extra"/],
    ];
    for (const [l, message] of bad) {
      const text = `${line(base)}\n${typeof l === 'string' ? l : line(l)}`;
      expect(() => parseHistory(text)).toThrow(HistoryFormatError);
      expect(() => parseHistory(text)).toThrow(message);
    }
  });
});

describe('HistoryRecorder', () => {
  it('records answered, unknown and open calls; drops certain failures', () => {
    const rec = new HistoryRecorder();
    const a = rec.invoke({ client: 'a', key: 'k', input: { op: 'get' }, time: 1 });
    const b = rec.invoke({ client: 'b', process: 2, key: 'k', input: { op: 'delete' }, time: 2 });
    const c = rec.invoke({ client: 'c', key: 'k', input: { op: 'set', value: 'x' }, time: 3 });
    rec.invoke({ client: 'd', key: 'k', input: { op: 'set', value: 'y' }, time: 4 });
    rec.ok(a, { error: 'NOT_FOUND' }, 5);
    rec.fail(b, 6);
    rec.unknown(c);
    const h = rec.history();
    expect(h.map((op) => op.client)).toEqual(['a', 'c', 'd']);
    expect(h[0]).toEqual({
      client: 'a',
      key: 'k',
      call: 1,
      return: 5,
      input: { op: 'get' },
      output: { error: 'NOT_FOUND' },
    });
    expect(h[1]?.return).toBeNull();
    expect(h[2]?.output).toBeNull();
    expect(rec.failedCount).toBe(1);
    expect(rec.unknownCount).toBe(2);
    expect(() => rec.ok(a, { ok: true }, 9)).toThrow(/already resolved/);
    expect(() => rec.ok(c, { ok: true }, 9)).toThrow(/already resolved/);
  });

  it('refuses a return before the call', () => {
    const rec = new HistoryRecorder();
    const a = rec.invoke({ client: 'a', key: 'k', input: { op: 'get' }, time: 10 });
    expect(() => rec.ok(a, { error: 'NOT_FOUND' }, 9)).toThrow(/precedes/);
  });
});
