// Test support: histories produced by running a reference AtomicValue sequentially and giving each
// operation a real-time interval around its linearization point, so they are linearizable by
// construction. Used by the property tests and the performance figures.

import fc from 'fast-check';
import type { HistoryOp, OpInput, OpOutput } from './history.js';
import { HistoryRecorder } from './recorder.js';

/** What becomes of a call: answered, unknown (applied or not), or a certain failure (dropped). */
export type Fate = 'ok' | 'unknownApplied' | 'unknownLost' | 'failed';

export interface Command {
  readonly op: 'get' | 'set' | 'update' | 'delete';
  readonly ifAbsent: boolean;
  /** 0 = unconditional, 1 = the current version, 2 = a stale one. */
  readonly prev: 0 | 1 | 2;
  readonly ttl: boolean;
  /** An expiry of a ttl value just before this operation. */
  readonly expireBefore: boolean;
  readonly fate: Fate;
  /** Leave the version out of a successful output (the checker must treat it as unknown). */
  readonly omitVersion: boolean;
  /** Log indexes consumed by other entries before this one. */
  readonly gap: number;
  /** Distances of call and return from the linearization point. */
  readonly before: number;
  readonly after: number;
}

interface Value {
  readonly value: string;
  readonly version: number;
  readonly ttl: boolean;
}

/** The reference AtomicValue (DESIGN §4): the output and the next state of one command. */
export function apply(
  s: Value | null,
  input: OpInput,
  index: number,
): { output: OpOutput; next: Value | null } {
  const current = s && { value: s.value, version: s.version };
  if (input.op === 'get') {
    return { output: s ? { ok: true, ...current } : { error: 'NOT_FOUND' }, next: s };
  }
  if (input.op === 'set') {
    if (input.ifAbsent && s)
      return { output: { error: 'ALREADY_EXISTS', current: current! }, next: s };
    const next = { value: input.value, version: index, ttl: (input.ttl ?? 0) > 0 };
    return { output: { ok: true, version: index }, next };
  }
  if (!s) return { output: { error: 'NOT_FOUND' }, next: s };
  const prev = input.prevVersion ?? 0;
  if (prev !== 0 && prev !== s.version) {
    return { output: { error: 'CONFLICT', current: current! }, next: s };
  }
  if (input.op === 'delete') return { output: { ok: true, ...current! }, next: null };
  const next = { value: input.value, version: index, ttl: (input.ttl ?? 0) > 0 };
  return { output: { ok: true, version: index, prevValue: s.value }, next };
}

function inputOf(c: Command, s: Value | null, value: string): OpInput {
  const version = s?.version ?? 0;
  const prevVersion = c.prev === 0 ? 0 : c.prev === 1 ? version : Math.max(1, version - 1);
  const ttl = c.ttl ? 1000 : undefined;
  switch (c.op) {
    case 'get':
      return { op: 'get' };
    case 'set':
      return { op: 'set', value, ...(c.ifAbsent && { ifAbsent: true }), ...(ttl && { ttl }) };
    case 'update':
      return { op: 'update', value, prevVersion, ...(ttl && { ttl }) };
    case 'delete':
      return { op: 'delete', prevVersion };
  }
}

function omitVersion(output: OpOutput): OpOutput {
  if (!('ok' in output)) return output;
  const { version: _, ...rest } = output;
  return rest;
}

/** Runs the commands on one key through a HistoryRecorder; spacing between points is 100. */
export function execute(key: string, commands: readonly Command[], rec: HistoryRecorder): void {
  let state: Value | null = null;
  let index = 0;
  commands.forEach((c, i) => {
    if (c.expireBefore && state?.ttl) state = null;
    index += 1 + c.gap;
    const point = 100 * (i + 1);
    const input = inputOf(c, state, `${key}#${i}`);
    const { output, next } = apply(state, input, index);
    const client = `c${i % 10}`;
    const h = rec.invoke({ client, key, input, time: Math.max(0, point - c.before) });
    if (c.fate === 'ok' || c.fate === 'unknownApplied') state = next;
    if (c.fate === 'ok') rec.ok(h, c.omitVersion ? omitVersion(output) : output, point + c.after);
    else if (c.fate === 'failed') rec.fail(h, point + c.after);
    else rec.unknown(h);
  });
}

export interface GenOptions {
  readonly opsMax: number;
  /** Maximum distance of call/return from the linearization point (points are 100 apart). */
  readonly spreadMax: number;
  /** Relative weight of unknown outcomes among fates (ok has weight 20). */
  readonly unknownWeight: number;
}

export function commandArb(o: GenOptions): fc.Arbitrary<Command> {
  return fc.record({
    op: fc.constantFrom('get', 'get', 'set', 'update', 'update', 'delete'),
    ifAbsent: fc.boolean(),
    prev: fc.constantFrom(0, 1, 1, 2),
    ttl: fc.boolean(),
    expireBefore: fc.boolean(),
    fate: fc.oneof(
      { arbitrary: fc.constant('ok'), weight: 20 },
      { arbitrary: fc.constantFrom('unknownApplied', 'unknownLost'), weight: o.unknownWeight },
      { arbitrary: fc.constant('failed'), weight: 1 },
    ),
    omitVersion: fc.nat(9).map((n) => n === 0),
    gap: fc.nat(3),
    before: fc.nat(o.spreadMax),
    after: fc.nat(o.spreadMax),
  }) as fc.Arbitrary<Command>;
}

/** One to three keys, each with its own command list. */
export function historyArb(o: GenOptions): fc.Arbitrary<HistoryOp[]> {
  const keyCommands = fc.array(commandArb(o), { minLength: 1, maxLength: o.opsMax, size: 'max' });
  return fc.array(keyCommands, { minLength: 1, maxLength: 3 }).map((keys) => {
    const rec = new HistoryRecorder();
    keys.forEach((commands, k) => {
      execute(`default/v${k}`, commands, rec);
    });
    return rec.history();
  });
}
