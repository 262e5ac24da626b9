import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { commandArb, execute, type GenOptions, historyArb } from './_generate.js';
import { checkHistory, stepsMaxPerKeyDefault } from './checker.js';
import type { HistoryOp, OpOutput } from './history.js';
import { HistoryRecorder } from './recorder.js';

const small: GenOptions = { opsMax: 40, spreadMax: 250, unknownWeight: 3 };
const wide: GenOptions = { opsMax: 80, spreadMax: 500, unknownWeight: 2 };

/** The value an operation observed, when its output carries one. */
function observed(op: HistoryOp): string | undefined {
  const out = op.output;
  if (out === null) return undefined;
  if ('error' in out) return out.current?.value;
  return op.input.op === 'update' ? out.prevValue : out.value;
}

function withObserved(op: HistoryOp, value: string): HistoryOp {
  const out = op.output!;
  let output: OpOutput;
  if ('error' in out) output = { ...out, current: { ...out.current, value } };
  else if (op.input.op === 'update') output = { ...out, prevValue: value };
  else output = { ...out, value };
  return { ...op, output };
}

function written(op: HistoryOp): string | undefined {
  return op.input.op === 'set' || op.input.op === 'update' ? op.input.value : undefined;
}

function versionWritten(op: HistoryOp): number | undefined {
  const out = op.output;
  return written(op) !== undefined && out !== null && 'ok' in out ? out.version : undefined;
}

/**
 * Values that cannot have been current at any point of `target`'s interval in any linearization
 * (written values are unique): never written; written by a call made after `target` returned; or
 * written with a known version v and superseded by a write with a known version > v that returned
 * before `target` was called.
 */
function impossibleValues(history: readonly HistoryOp[], target: HistoryOp): string[] {
  const out = ['never-written'];
  const sameKey = history.filter((op) => op.key === target.key);
  for (const w of sameKey) {
    const value = written(w);
    if (value === undefined) continue;
    if (w.call > target.return!) out.push(value);
    const v = versionWritten(w);
    if (v === undefined) continue;
    const superseded = sameKey.some(
      (d) => d.return !== null && d.return < target.call && (versionWritten(d) ?? 0) > v,
    );
    if (superseded) out.push(value);
  }
  return out;
}

describe('property: generated histories', () => {
  it('a sequential run with overlapping intervals is linearizable', () => {
    fc.assert(
      fc.property(historyArb(small), (history) => {
        const r = checkHistory(history);
        expect(r.verdict, r.explanation).toBe('ok');
        expect(checkHistory(history, { directChecks: false }).verdict).toBe('ok');
      }),
      { numRuns: 500 },
    );
  });

  it('stays linearizable with wide overlaps (about ten calls in flight)', () => {
    fc.assert(
      fc.property(historyArb(wide), (history) => {
        const r = checkHistory(history);
        expect(r.verdict, r.explanation).toBe('ok');
      }),
      { numRuns: 200 },
    );
  });

  it('changing one observed value to one never current during the call is a violation', () => {
    const arb = historyArb(small)
      .filter((h) => h.some((op) => observed(op) !== undefined))
      .chain((history) => {
        const targets = history.flatMap((op, i) => (observed(op) === undefined ? [] : [i]));
        return fc.constantFrom(...targets).chain((i) => {
          const choices = impossibleValues(history, history[i]!);
          return fc.constantFrom(...choices).map((value) => ({ history, i, value }));
        });
      });
    fc.assert(
      fc.property(arb, ({ history, i, value }) => {
        const mutated = history.map((op, j) => (j === i ? withObserved(op, value) : op));
        for (const directChecks of [true, false]) {
          const r = checkHistory(mutated, { directChecks });
          expect(r.verdict).toBe('violation');
          expect(r.key).toBe(history[i]!.key);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('checks a 2,000-operation history with unknown outcomes within the default budget', () => {
    const n = 2000;
    const commands = fc.array(commandArb({ opsMax: n, spreadMax: 500, unknownWeight: 2 }), {
      minLength: n,
      maxLength: n,
    });
    const rec = new HistoryRecorder();
    execute('default/big', fc.sample(commands, { seed: 42, numRuns: 1 })[0]!, rec);
    const history = rec.history();
    const r = checkHistory(history);
    expect(r.verdict, r.explanation).toBe('ok');
    expect(r.stats.unknownOps).toBeGreaterThan(50);
    expect(r.stats.steps).toBeLessThan(stepsMaxPerKeyDefault / 10);
  });
});
