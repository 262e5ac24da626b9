// Direct checks that prove common violations without a search, in O(n log n). Each is a necessary
// condition of linearizability, so a hit is a certain violation. They matter because proving a
// violation by search must exhaust every alternative, which many unknown outcomes make expensive;
// the typical bugs (stale reads, lost or duplicated writes) are caught here at once.
//
// Per key: (A) an observed value must be written by a call made before the observer returned;
// (B) an observed (value, version) pair must match a write of that value that reported that version,
// unless a write of it has no reported version; (C) no observed version may be older than a write
// that returned before the observer was called; (D) no two writes report the same version.

import type { HistoryOp } from './history.js';

export interface PrecheckViolation {
  /** Index (in the key's operations) of the operation that cannot be placed. */
  readonly failed: number;
  /** Indexes of the operations that prove it. */
  readonly because: readonly number[];
  readonly reason: string;
}

interface Observation {
  readonly op: number;
  readonly value?: string;
  readonly version?: number;
}

function observationOf(op: HistoryOp, i: number): Observation | undefined {
  const out = op.output;
  if (out === null) return undefined;
  if ('error' in out) return out.current && { op: i, ...out.current };
  const prev = op.input.op === 'get' || op.input.op === 'set' ? 0 : (op.input.prevVersion ?? 0);
  const version = prev > 0 ? prev : op.input.op === 'delete' ? out.version : undefined;
  if (op.input.op === 'get') return { op: i, value: out.value, version: out.version };
  if (op.input.op === 'update') return { op: i, value: out.prevValue, version };
  if (op.input.op === 'delete') return { op: i, value: out.value, version };
  return undefined;
}

interface Write {
  readonly op: number;
  readonly value: string;
  /** Reported version; undefined when unknown (open call or not reported). */
  readonly version?: number;
}

function writeOf(op: HistoryOp, i: number): Write | undefined {
  if (op.input.op !== 'set' && op.input.op !== 'update') return undefined;
  const out = op.output;
  if (out !== null && !('ok' in out)) return undefined;
  return { op: i, value: op.input.value, version: out?.version };
}

/** (A) and (B): the observed value, and its version, come from a write called in time. */
function checkValue(ops: readonly HistoryOp[], o: Observation, writes: Map<string, Write[]>) {
  if (o.value === undefined) return undefined;
  const deadline = ops[o.op]!.return!;
  const candidates = (writes.get(o.value) ?? []).filter((w) => ops[w.op]!.call <= deadline);
  if (candidates.length === 0) {
    const reason = `observes ${JSON.stringify(o.value)}, which no call made before it returned writes`;
    return { failed: o.op, because: [], reason };
  }
  if (o.version === undefined) return undefined;
  if (candidates.some((w) => w.version === undefined || w.version === o.version)) return undefined;
  const versions = candidates.map((w) => w.version).join(', ');
  const reason = `observes ${JSON.stringify(o.value)} at version ${o.version}, but it was written at version ${versions}`;
  return { failed: o.op, because: candidates.map((w) => w.op), reason };
}

/** (D): two writes reporting one version. */
function checkDuplicates(writes: readonly Write[]): PrecheckViolation | undefined {
  const seen = new Map<number, number>();
  for (const w of writes) {
    if (w.version === undefined) continue;
    const other = seen.get(w.version);
    if (other !== undefined) {
      return { failed: w.op, because: [other], reason: `reports version ${w.version} twice` };
    }
    seen.set(w.version, w.op);
  }
  return undefined;
}

/** (C): for each observed version, the greatest version written by a call already returned. */
function checkStale(ops: readonly HistoryOp[], obs: readonly Observation[], writes: Write[]) {
  const done = writes
    .filter((w) => w.version !== undefined)
    .sort((a, b) => ops[a.op]!.return! - ops[b.op]!.return!);
  // best[k]: the write with the greatest version among done[0..k].
  const best: Write[] = [];
  for (const w of done) {
    const last = best.at(-1);
    best.push(last !== undefined && last.version! >= w.version! ? last : w);
  }
  for (const o of obs) {
    if (o.version === undefined) continue;
    const call = ops[o.op]!.call;
    let lo = 0;
    let hi = done.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ops[done[mid]!.op]!.return! < call) lo = mid + 1;
      else hi = mid;
    }
    const w = lo > 0 ? best[lo - 1] : undefined;
    if (w !== undefined && w.version! > o.version) {
      const reason = `observes version ${o.version} after a write of version ${w.version} returned`;
      return { failed: o.op, because: [w.op], reason };
    }
  }
  return undefined;
}

export function precheck(ops: readonly HistoryOp[]): PrecheckViolation | undefined {
  const obs = ops.flatMap((op, i) => observationOf(op, i) ?? []);
  const writes = ops.flatMap((op, i) => writeOf(op, i) ?? []);
  const byValue = new Map<string, Write[]>();
  for (const w of writes) {
    const list = byValue.get(w.value);
    if (list === undefined) byValue.set(w.value, [w]);
    else list.push(w);
  }
  for (const o of obs) {
    const v = checkValue(ops, o, byValue);
    if (v !== undefined) return v;
  }
  return checkDuplicates(writes) ?? checkStale(ops, obs, writes);
}
