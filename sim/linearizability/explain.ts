// Readable descriptions of operations and of a failed search, for test output and seed reports.

import type { HistoryOp, OpOutput } from './history.js';

function fields(o: object): string {
  return Object.entries(o)
    .filter(([k, v]) => v !== undefined && k !== 'op' && k !== 'ok')
    .map(([k, v]) => `${k}=${typeof v === 'object' ? fields(v as object) : JSON.stringify(v)}`)
    .join(' ');
}

function describeOutput(out: OpOutput | null): string {
  if (out === null) return 'unknown outcome';
  if ('ok' in out) return `ok ${fields(out)}`.trimEnd();
  return `${out.error} ${fields({ current: out.current })}`.trimEnd();
}

/** `#12 c3 [100, 130] update value="x" prevVersion=5 → ok version=7 prevValue="w"` */
export function describeOp(op: HistoryOp, index: number): string {
  const when = `[${op.call}, ${op.return ?? '∞'}]`;
  const who = op.process === undefined ? op.client : `${op.client}/${op.process}`;
  const call = `${op.input.op} ${fields(op.input)}`.trimEnd();
  return `#${index} ${who} ${when} ${call} → ${describeOutput(op.output)}`;
}

export interface Witness {
  /** Operations of the longest linearizable prefix, in linearization order, with their indexes. */
  readonly prefix: readonly { readonly index: number; readonly op: HistoryOp }[];
  /** The model state after the prefix. */
  readonly state: string;
  /** The operation whose return came before it could be placed. */
  readonly failed: { readonly index: number; readonly op: HistoryOp };
  /** The other operations that were called and not placed at that point (or, for a direct
   * check, the operations that prove the violation). */
  readonly pending: readonly { readonly index: number; readonly op: HistoryOp }[];
  /** Set when a direct check (no search) found the violation: why. */
  readonly reason?: string;
}

const shownMax = 12;

export function explain(key: string, w: Witness, verdict: 'violation' | 'unknown'): string {
  if (w.reason !== undefined) {
    const lines = [`key ${key}: not linearizable (direct check, no search).`];
    lines.push(`  ${describeOp(w.failed.op, w.failed.index)}`, `  ${w.reason}`);
    for (const p of w.pending) lines.push(`  see ${describeOp(p.op, p.index)}`);
    return lines.join('\n');
  }
  const head =
    verdict === 'violation'
      ? `key ${key}: not linearizable.`
      : `key ${key}: search budget exhausted (verdict unknown); deepest point reached:`;
  const lines = [head];
  const shown = w.prefix.slice(-shownMax);
  const skipped = w.prefix.length - shown.length;
  lines.push(
    `Longest linearizable prefix: ${w.prefix.length} ops` +
      (skipped > 0 ? ` (last ${shown.length} shown, in linearization order):` : ':'),
  );
  for (const p of shown) lines.push(`  ${describeOp(p.op, p.index)}`);
  lines.push(`State after it: ${w.state}`);
  lines.push(`Cannot be placed: ${describeOp(w.failed.op, w.failed.index)}`);
  if (w.pending.length > 0) {
    lines.push('Other calls open at that point (none leads to a linearization):');
    for (const p of w.pending.slice(0, shownMax)) lines.push(`  ${describeOp(p.op, p.index)}`);
    if (w.pending.length > shownMax) lines.push(`  … ${w.pending.length - shownMax} more`);
  }
  return lines.join('\n');
}
