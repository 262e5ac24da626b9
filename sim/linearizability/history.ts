// The history format of AtomicValue operations, shared by the in-process simulator, the real-process
// chaos tests and external tools: JSON lines, one completed or open operation per line (see
// docs/linearizability.md). Parsing is strict (unknown fields are errors) so that a recorder bug
// shows up as a format error instead of a wrong verdict.

/** The call as the client issued it. `prevVersion` 0 (or absent) means unconditional. */
export type OpInput =
  | { readonly op: 'get' }
  | {
      readonly op: 'set';
      readonly value: string;
      readonly ifAbsent?: boolean;
      readonly ttl?: number;
    }
  | {
      readonly op: 'update';
      readonly value: string;
      readonly prevVersion?: number;
      readonly ttl?: number;
    }
  | { readonly op: 'delete'; readonly prevVersion?: number };

/** The value present when a conditional call failed (ALREADY_EXISTS, CONFLICT). */
export interface CurrentValue {
  readonly value?: string;
  readonly version?: number;
}

/**
 * A definite answer. Success fields per call: get `{value, version?}`; set `{version?}` (the new
 * version); update `{version?, prevValue?}`; delete `{value?, version?}` (the deleted value and its
 * version). An absent optional field is not checked.
 */
export type OpOutput =
  | {
      readonly ok: true;
      readonly value?: string;
      readonly version?: number;
      readonly prevValue?: string;
    }
  | { readonly error: ErrorCode; readonly current?: CurrentValue };

export const errorCodes = ['NOT_FOUND', 'ALREADY_EXISTS', 'CONFLICT'] as const;
export type ErrorCode = (typeof errorCodes)[number];

/** One operation. `return` and `output` are both null when the outcome is unknown. */
export interface HistoryOp {
  readonly client: string;
  readonly process?: string | number;
  /** The primitive, `namespace/name`; each key is checked independently. */
  readonly key: string;
  readonly call: number;
  readonly return: number | null;
  readonly input: OpInput;
  readonly output: OpOutput | null;
}

export class HistoryFormatError extends Error {
  override readonly name = 'HistoryFormatError';
  readonly code = 'INVALID';
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fail(where: string, message: string): never {
  throw new HistoryFormatError(`${where}: ${message}`);
}

function onlyFields(o: Json, allowed: readonly string[], where: string): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) fail(where, `unexpected field "${k}"`);
}

function optNumber(o: Json, k: string, where: string, min = 0): number | undefined {
  const v = o[k];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    fail(where, `"${k}" must be an integer ≥ ${min}`);
  }
  return v;
}

function optString(o: Json, k: string, where: string): string | undefined {
  const v = o[k];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') fail(where, `"${k}" must be a string`);
  return v;
}

function reqString(o: Json, k: string, where: string): string {
  const v = optString(o, k, where);
  if (v === undefined) fail(where, `"${k}" is required`);
  return v;
}

function optBoolean(o: Json, k: string, where: string): boolean | undefined {
  const v = o[k];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') fail(where, `"${k}" must be a boolean`);
  return v;
}

/** Copies only the defined fields, so that formatting and comparing ignore `undefined`. */
function defined<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as T;
}

function parseInput(v: unknown, where: string): OpInput {
  if (!isObject(v)) fail(where, '"input" must be an object');
  const w = `${where} input`;
  switch (v.op) {
    case 'get':
      onlyFields(v, ['op'], w);
      return { op: 'get' };
    case 'set':
      onlyFields(v, ['op', 'value', 'ifAbsent', 'ttl'], w);
      return defined({
        op: 'set',
        value: reqString(v, 'value', w),
        ifAbsent: optBoolean(v, 'ifAbsent', w),
        ttl: optNumber(v, 'ttl', w),
      });
    case 'update':
      onlyFields(v, ['op', 'value', 'prevVersion', 'ttl'], w);
      return defined({
        op: 'update',
        value: reqString(v, 'value', w),
        prevVersion: optNumber(v, 'prevVersion', w),
        ttl: optNumber(v, 'ttl', w),
      });
    case 'delete':
      onlyFields(v, ['op', 'prevVersion'], w);
      return defined({ op: 'delete', prevVersion: optNumber(v, 'prevVersion', w) });
    default:
      return fail(w, `"op" must be get, set, update or delete`);
  }
}

function parseOutput(v: unknown, input: OpInput, where: string): OpOutput {
  if (!isObject(v)) fail(where, '"output" must be an object or null');
  const w = `${where} output`;
  if (v.ok === true) {
    onlyFields(v, ['ok', 'value', 'version', 'prevValue'], w);
    const out = defined({
      ok: true as const,
      value: optString(v, 'value', w),
      version: optNumber(v, 'version', w, 1),
      prevValue: optString(v, 'prevValue', w),
    });
    if (input.op === 'get' && out.value === undefined) fail(w, 'a successful get has a "value"');
    return out;
  }
  onlyFields(v, ['error', 'current'], w);
  const error = v.error;
  if (!errorCodes.includes(error as ErrorCode)) {
    fail(w, `"ok": true or "error": ${errorCodes.join(' | ')} expected`);
  }
  if (v.current === undefined) return { error: error as ErrorCode };
  if (!isObject(v.current)) fail(w, '"current" must be an object');
  onlyFields(v.current, ['value', 'version'], `${w} current`);
  const current = defined({
    value: optString(v.current, 'value', w),
    version: optNumber(v.current, 'version', w, 1),
  });
  return { error: error as ErrorCode, current };
}

/** Validates one decoded JSON object as an operation; `where` prefixes error messages. */
export function parseOp(v: unknown, where = 'op'): HistoryOp {
  if (!isObject(v)) fail(where, 'an operation must be a JSON object');
  onlyFields(v, ['client', 'process', 'key', 'call', 'return', 'input', 'output'], where);
  const process = v.process;
  if (process !== undefined && typeof process !== 'string' && typeof process !== 'number') {
    fail(where, '"process" must be a string or a number');
  }
  const call = optNumber(v, 'call', where);
  if (call === undefined) fail(where, '"call" is required');
  const ret = v.return === null ? null : optNumber(v, 'return', where);
  if (ret === undefined) fail(where, '"return" is required (null when the outcome is unknown)');
  if (ret !== null && ret < call) fail(where, '"return" precedes "call"');
  const input = parseInput(v.input, where);
  if (v.output === undefined) fail(where, '"output" is required (null when unknown)');
  const output = v.output === null ? null : parseOutput(v.output, input, where);
  if ((ret === null) !== (output === null)) fail(where, '"return" and "output" are null together');
  return defined({
    client: reqString(v, 'client', where),
    process: process as string | number | undefined,
    key: reqString(v, 'key', where),
    call,
    return: ret,
    input,
    output,
  });
}

/** Parses JSON lines; blank lines are skipped. Throws HistoryFormatError naming the line. */
export function parseHistory(text: string): HistoryOp[] {
  const ops: HistoryOp[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (cause) {
      throw new HistoryFormatError(`line ${i + 1}: not JSON`, { cause });
    }
    ops.push(parseOp(json, `line ${i + 1}`));
  }
  return ops;
}

/** One line per operation, fields in a fixed order, each line ending with a newline. */
export function formatHistory(ops: readonly HistoryOp[]): string {
  let out = '';
  for (const op of ops) {
    const line = defined({
      client: op.client,
      process: op.process,
      key: op.key,
      call: op.call,
      return: op.return,
      input: defined(op.input),
      output: op.output === null ? null : defined(op.output),
    });
    out += `${JSON.stringify(line)}\n`;
  }
  return out;
}
