// Checks a history of AtomicValue operations for linearizability, one key (primitive) at a time:
// a history is linearizable iff each key's sub-history is (locality), so keys are searched
// independently, each with its own small bitsets.

import { assert } from '../../src/common/index.js';
import { explain, type Witness } from './explain.js';
import type { HistoryOp } from './history.js';
import { compileOp, describeState, Outcome, ValueTable } from './model.js';
import { type PrecheckViolation, precheck } from './precheck.js';
import { type SearchFailure, search } from './search.js';

export interface CheckOptions {
  /** Search steps allowed per key before the verdict is `unknown` (default 5,000,000). */
  readonly stepsMaxPerKey?: number;
  /** Wall-clock budget for the whole check, read through `now` (both or neither). */
  readonly timeBudgetMs?: number;
  readonly now?: () => number;
  /** Run the direct checks (precheck.ts) before searching (default true). */
  readonly directChecks?: boolean;
}

export interface CheckStats {
  readonly keys: number;
  /** Operations searched (certain failures and gets with an unknown outcome are left out). */
  readonly ops: number;
  readonly unknownOps: number;
  readonly steps: number;
}

export interface CheckResult {
  /** `unknown` (budget exhausted) must be counted as a failure by callers. */
  readonly verdict: 'ok' | 'violation' | 'unknown';
  /** The first key (in sorted order) that is not `ok`. */
  readonly key?: string;
  readonly witness?: Witness;
  /** Multi-line, readable account of the failing prefix. */
  readonly explanation?: string;
  readonly stats: CheckStats;
}

export const stepsMaxPerKeyDefault = 5_000_000;

/** Groups operations by key, keeping each operation's index in the full history. */
function byKey(history: readonly HistoryOp[]): Map<string, number[]> {
  const keys = new Map<string, number[]>();
  history.forEach((op, i) => {
    // A get whose outcome is unknown changes nothing and tells nothing.
    if (op.output === null && op.input.op === 'get') return;
    const list = keys.get(op.key);
    if (list === undefined) keys.set(op.key, [i]);
    else list.push(i);
  });
  return keys;
}

function witnessOf(
  history: readonly HistoryOp[],
  indexes: readonly number[],
  failure: SearchFailure,
  values: ValueTable,
): Witness {
  const at = (i: number) => {
    const index = indexes[i];
    assert(index !== undefined, 'witness op in range');
    return { index, op: history[index]! };
  };
  return {
    prefix: failure.prefix.map(at),
    state: describeState(failure.state, values),
    failed: at(failure.failed),
    pending: failure.pending.map(at),
  };
}

function directWitness(
  history: readonly HistoryOp[],
  indexes: readonly number[],
  v: PrecheckViolation,
): Witness {
  const at = (i: number) => ({ index: indexes[i]!, op: history[indexes[i]!]! });
  return {
    prefix: [],
    state: 'not searched',
    failed: at(v.failed),
    pending: v.because.map(at),
    reason: v.reason,
  };
}

export function checkHistory(
  history: readonly HistoryOp[],
  options: CheckOptions = {},
): CheckResult {
  const stepsMax = options.stepsMaxPerKey ?? stepsMaxPerKeyDefault;
  const now = options.now;
  assert((options.timeBudgetMs === undefined) === (now === undefined), 'timeBudgetMs needs now');
  const deadline = now === undefined ? undefined : now() + (options.timeBudgetMs ?? 0);
  const expired = now === undefined ? undefined : () => now() >= deadline!;
  const keys = byKey(history);
  let ops = 0;
  let unknownOps = 0;
  let steps = 0;
  let firstUnknown: CheckResult | undefined;
  const stats = (): CheckStats => ({ keys: keys.size, ops, unknownOps, steps });
  for (const key of [...keys.keys()].sort()) {
    const indexes = keys.get(key)!;
    const values = new ValueTable();
    const keyOps = indexes.map((i) => history[i]!);
    const input = {
      ops: keyOps.map((op) => compileOp(op, values)),
      calls: keyOps.map((op) => op.call),
      returns: keyOps.map((op) => op.return),
    };
    ops += keyOps.length;
    unknownOps += input.ops.filter((op) => op.outcome === Outcome.unknown).length;
    const direct = options.directChecks === false ? undefined : precheck(keyOps);
    if (direct !== undefined) {
      const witness = directWitness(history, indexes, direct);
      const explanation = explain(key, witness, 'violation');
      return { verdict: 'violation', key, witness, explanation, stats: stats() };
    }
    const result = search(input, expired === undefined ? { stepsMax } : { stepsMax, expired });
    steps += result.steps;
    if (result.verdict === 'ok') continue;
    const failure = result.failure;
    const witness = failure && witnessOf(history, indexes, failure, values);
    const explanation = witness
      ? explain(key, witness, result.verdict)
      : `key ${key}: search budget exhausted (verdict unknown)`;
    const verdict = { verdict: result.verdict, key, explanation, ...(witness && { witness }) };
    if (result.verdict === 'violation') return { ...verdict, stats: stats() };
    firstUnknown ??= { ...verdict, stats: stats() };
    if (expired?.() === true) break;
  }
  return firstUnknown === undefined
    ? { verdict: 'ok', stats: stats() }
    : { ...firstUnknown, stats: stats() };
}
