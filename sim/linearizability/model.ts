// The sequential model of one AtomicValue (DESIGN §4) as the checker sees it.
//
// Versions are log indexes the model cannot predict, so it takes them from outputs and only
// enforces that each write's version is greater than the previous one. A write whose outcome is
// unknown has an unknown version: the state then holds a lower bound (`exact` false) that the first
// observation of a version binds. When absent, `version` is the last version the value had (0 at
// the start), so a re-created value must still get a greater one.
//
// TTL: a value written with a ttl may expire at any point after its write. The model offers that as
// an invisible transition (`expire`) the search may take just before any operation; the ttl
// duration is not checked (neither early nor late expiry is detected).

import { assert, unreachable } from '../../src/common/index.js';
import type { HistoryOp } from './history.js';

export const OpKind = { get: 0, set: 1, update: 2, delete: 3 } as const;
export type OpKind = (typeof OpKind)[keyof typeof OpKind];

export const Outcome = { ok: 0, notFound: 1, alreadyExists: 2, conflict: 3, unknown: 4 } as const;
export type Outcome = (typeof Outcome)[keyof typeof Outcome];

/** An operation compiled for the search: values interned to small integers, -1 = not given. */
export interface ModelOp {
  readonly kind: OpKind;
  readonly outcome: Outcome;
  /** The written value (set, update). */
  readonly value: number;
  readonly ifAbsent: boolean;
  /** 0 = unconditional. */
  readonly prevVersion: number;
  readonly ttl: boolean;
  /** Observed value: get's value, update's prevValue, delete's value, or `current.value`. */
  readonly outValue: number;
  /** Observed version: a write's new version, get's / delete's / `current` version. */
  readonly outVersion: number;
}

export interface ModelState {
  readonly present: boolean;
  /** Interned value, -1 when absent. */
  readonly value: number;
  /** The current (or, when absent, last) version: exact, or a lower bound when `exact` is false. */
  readonly version: number;
  readonly exact: boolean;
  /** The present value was written with a ttl and may expire. */
  readonly ttl: boolean;
}

export const initialState: ModelState = {
  present: false,
  value: -1,
  version: 0,
  exact: true,
  ttl: false,
};

const kinds = { get: OpKind.get, set: OpKind.set, update: OpKind.update, delete: OpKind.delete };
const errors = {
  NOT_FOUND: Outcome.notFound,
  ALREADY_EXISTS: Outcome.alreadyExists,
  CONFLICT: Outcome.conflict,
};

/** Maps value strings to small integers, per key. */
export class ValueTable {
  readonly #ids = new Map<string, number>();
  readonly #values: string[] = [];

  id(value: string | undefined): number {
    if (value === undefined) return -1;
    let id = this.#ids.get(value);
    if (id === undefined) {
      id = this.#values.length;
      this.#ids.set(value, id);
      this.#values.push(value);
    }
    return id;
  }

  value(id: number): string {
    const v = this.#values[id];
    assert(v !== undefined, `unknown value id ${id}`);
    return v;
  }
}

export function compileOp(op: HistoryOp, values: ValueTable): ModelOp {
  const input = op.input;
  const out = op.output;
  let outValue = -1;
  let outVersion = -1;
  let outcome: Outcome = Outcome.unknown;
  if (out !== null && 'ok' in out) {
    outcome = Outcome.ok;
    outValue = values.id(input.op === 'update' ? out.prevValue : out.value);
    outVersion = out.version ?? -1;
  } else if (out !== null) {
    outcome = errors[out.error];
    outValue = values.id(out.current?.value);
    outVersion = out.current?.version ?? -1;
  }
  return {
    kind: kinds[input.op],
    outcome,
    value: input.op === 'set' || input.op === 'update' ? values.id(input.value) : -1,
    ifAbsent: input.op === 'set' && input.ifAbsent === true,
    prevVersion: input.op === 'update' || input.op === 'delete' ? (input.prevVersion ?? 0) : 0,
    ttl: (input.op === 'set' || input.op === 'update') && (input.ttl ?? 0) > 0,
    outValue,
    outVersion,
  };
}

/** The present value matches `value` / `version` (-1 = any); binds an inexact version. */
function observe(s: ModelState, value: number, version: number): ModelState | null {
  if (!s.present) return null;
  if (value >= 0 && value !== s.value) return null;
  if (version < 0) return s;
  if (s.exact) return version === s.version ? s : null;
  return version >= s.version ? { ...s, version, exact: true } : null;
}

/** A new value; `version` -1 = unknown (one more than the bound). Versions strictly increase. */
function write(s: ModelState, value: number, version: number, ttl: boolean): ModelState | null {
  if (version < 0) return { present: true, value, version: s.version + 1, exact: false, ttl };
  // With an inexact bound b the previous version is some v ≥ b: a v < version exists iff b < version.
  return version > s.version ? { present: true, value, version, exact: true, ttl } : null;
}

function absent(s: ModelState): ModelState {
  return { present: false, value: -1, version: s.version, exact: s.exact, ttl: false };
}

/** The invisible TTL expiry, or null when the state cannot expire. */
export function expire(s: ModelState): ModelState | null {
  return s.present && s.ttl ? absent(s) : null;
}

function stepSet(s: ModelState, op: ModelOp): ModelState | null {
  switch (op.outcome) {
    case Outcome.alreadyExists:
      return op.ifAbsent ? observe(s, op.outValue, op.outVersion) : null;
    case Outcome.ok:
    case Outcome.unknown:
      if (op.ifAbsent && s.present) return null;
      return write(s, op.value, op.outVersion, op.ttl);
    default:
      return null;
  }
}

/** update and delete: NOT_FOUND when absent, CONFLICT on a version mismatch, else the change. */
function stepConditional(s: ModelState, op: ModelOp): ModelState | null {
  switch (op.outcome) {
    case Outcome.notFound:
      return s.present ? null : s;
    case Outcome.conflict: {
      if (op.prevVersion === 0) return null;
      const o = observe(s, op.outValue, op.outVersion);
      // An inexact version may or may not equal prevVersion: accepted (documented incompleteness).
      return o === null || (o.exact && o.version === op.prevVersion) ? null : o;
    }
    case Outcome.ok:
    case Outcome.unknown: {
      const isDelete = op.kind === OpKind.delete;
      let o = observe(s, op.outValue, isDelete ? op.outVersion : -1);
      if (o !== null && op.prevVersion !== 0) o = observe(o, -1, op.prevVersion);
      if (o === null) return null;
      return isDelete ? absent(o) : write(o, op.value, op.outVersion, op.ttl);
    }
    default:
      return null;
  }
}

/**
 * The state after `op`, or null when `op` cannot take place in `s` with its recorded output. An
 * operation with an unknown outcome is only ever placed where it takes effect: placing it where it
 * would fail is the same as never placing it, which the search allows anyway.
 */
export function step(s: ModelState, op: ModelOp): ModelState | null {
  switch (op.kind) {
    case OpKind.get:
      if (op.outcome === Outcome.notFound) return s.present ? null : s;
      return op.outcome === Outcome.ok ? observe(s, op.outValue, op.outVersion) : null;
    case OpKind.set:
      return stepSet(s, op);
    case OpKind.update:
    case OpKind.delete:
      return stepConditional(s, op);
    default:
      return unreachable(op.kind);
  }
}

export function stateHash(s: ModelState): number {
  let h = Math.imul(s.value + 2, 0x27d4eb2d) ^ Math.imul(s.version, 0x165667b1);
  h ^= (s.present ? 1 : 0) | (s.exact ? 2 : 0) | (s.ttl ? 4 : 0);
  return h >>> 0;
}

export function stateEquals(a: ModelState, b: ModelState): boolean {
  return (
    a.present === b.present &&
    a.value === b.value &&
    a.version === b.version &&
    a.exact === b.exact &&
    a.ttl === b.ttl
  );
}

export function describeState(s: ModelState, values: ValueTable): string {
  const version = s.exact ? `${s.version}` : `≥${s.version}`;
  if (!s.present) return `absent (last version ${version})`;
  return `${JSON.stringify(values.value(s.value))} version ${version}${s.ttl ? ' (ttl)' : ''}`;
}
