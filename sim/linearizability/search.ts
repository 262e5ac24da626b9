// The Wing–Gong search with Lowe's improvements, for the operations of one key.
//
// Calls and returns form a doubly linked list in time order. Walking from the head, any call met
// before the first remaining return is a candidate for the next linearization point; placing one
// removes ("lifts") its call and return. Meeting a return means its operation cannot be placed
// in time: the search backtracks (explicit stack, no recursion) and tries the next candidate.
// Configurations (linearized set, state) already entered, or dominated by one entered, are skipped
// (memo.ts). Operations with an
// unknown outcome have no return: they may be placed at any point after their call, or never.
// Success is reaching the end of the list: every definite operation is placed.

import { assert } from '../../src/common/index.js';
import { Bitset } from './bitset.js';
import { dominates, Memo } from './memo.js';
import { expire, initialState, type ModelOp, type ModelState, step } from './model.js';

export interface SearchInput {
  readonly ops: readonly ModelOp[];
  readonly calls: readonly number[];
  /** null = unknown outcome (open until the end). */
  readonly returns: readonly (number | null)[];
}

export interface SearchBudget {
  readonly stepsMax: number;
  /** Polled every 1024 steps; true stops the search with `unknown`. */
  readonly expired?: () => boolean;
}

/** The deepest point the search reached before it had to give up an operation. */
export interface SearchFailure {
  /** Indexes into `ops`, in linearization order. */
  readonly prefix: readonly number[];
  readonly state: ModelState;
  /** The operation whose return was reached before it could be placed. */
  readonly failed: number;
  /** Other operations that were called but could not be placed at that point either. */
  readonly pending: readonly number[];
}

export interface SearchResult {
  readonly verdict: 'ok' | 'violation' | 'unknown';
  readonly steps: number;
  /** Set for a violation, and for `unknown` once the search met any failure. */
  readonly failure?: SearchFailure;
}

interface EventList {
  readonly next: Int32Array;
  readonly prev: Int32Array;
  /** Operation of each node; node 0 is the sentinel. */
  readonly nodeOp: Int32Array;
  readonly isCall: Uint8Array;
  readonly callNode: Int32Array;
  /** -1 for an operation with an unknown outcome. */
  readonly returnNode: Int32Array;
}

/**
 * Events by time, calls before returns at equal times (so touching intervals count as concurrent).
 * Within each run of calls between two returns the candidates are the same whatever their order,
 * so calls with unknown outcomes go last: the search tries definite operations first.
 */
function buildEvents(input: SearchInput): EventList {
  const n = input.ops.length;
  const events: { time: number; call: boolean; op: number }[] = [];
  for (let i = 0; i < n; i++) {
    events.push({ time: input.calls[i]!, call: true, op: i });
    const r = input.returns[i];
    if (r !== null && r !== undefined) events.push({ time: r, call: false, op: i });
  }
  events.sort((a, b) => a.time - b.time || Number(b.call) - Number(a.call) || a.op - b.op);
  const ordered: typeof events = [];
  let run: typeof events = [];
  const flush = (): void => {
    for (const e of run) if (input.returns[e.op] !== null) ordered.push(e);
    for (const e of run) if (input.returns[e.op] === null) ordered.push(e);
    run = [];
  };
  for (const e of events) {
    if (e.call) run.push(e);
    else {
      flush();
      ordered.push(e);
    }
  }
  flush();
  const size = ordered.length + 1;
  const list: EventList = {
    next: new Int32Array(size),
    prev: new Int32Array(size),
    nodeOp: new Int32Array(size).fill(-1),
    isCall: new Uint8Array(size),
    callNode: new Int32Array(n).fill(-1),
    returnNode: new Int32Array(n).fill(-1),
  };
  for (let node = 0; node < size; node++) {
    list.next[node] = (node + 1) % size;
    list.prev[node] = (node + size - 1) % size;
    const e = ordered[node - 1];
    if (e === undefined) continue;
    list.nodeOp[node] = e.op;
    list.isCall[node] = e.call ? 1 : 0;
    if (e.call) list.callNode[e.op] = node;
    else list.returnNode[e.op] = node;
  }
  return list;
}

function unlink(l: EventList, node: number): void {
  l.next[l.prev[node]!] = l.next[node]!;
  l.prev[l.next[node]!] = l.prev[node]!;
}

function relink(l: EventList, node: number): void {
  l.next[l.prev[node]!] = node;
  l.prev[l.next[node]!] = node;
}

function lift(l: EventList, op: number): void {
  unlink(l, l.callNode[op]!);
  const r = l.returnNode[op]!;
  if (r >= 0) unlink(l, r);
}

/** Undoes the last `lift`; lifts and unlifts nest (dancing links). */
function unlift(l: EventList, op: number): void {
  const r = l.returnNode[op]!;
  if (r >= 0) relink(l, r);
  relink(l, l.callNode[op]!);
}

/** Bit numbers within each region: definite operations in call order, open ones in call order. */
function bitNumbers(input: SearchInput): { bitOf: Int32Array; definite: number; open: number } {
  const n = input.ops.length;
  const order = [...Array(n).keys()].sort((a, b) => input.calls[a]! - input.calls[b]! || a - b);
  const bitOf = new Int32Array(n);
  let definite = 0;
  let open = 0;
  for (const op of order) bitOf[op] = input.returns[op] === null ? open++ : definite++;
  return { bitOf, definite, open };
}

export function search(input: SearchInput, budget: SearchBudget): SearchResult {
  const n = input.ops.length;
  assert(input.calls.length === n && input.returns.length === n, 'one call and return per op');
  const first = new Search(input, budget).run();
  if (first.verdict === 'ok' || first.bestStep === undefined) {
    return { verdict: first.verdict, steps: first.steps };
  }
  // Recording the deepest failure as it happens would copy the stack at every new depth; instead
  // the search, being deterministic, is replayed up to that step and the stack read there.
  const replay = new Search(input, { stepsMax: first.bestStep }, first.bestStep).run();
  assert(replay.failure !== undefined, 'replay reaches the recorded failure');
  return { verdict: first.verdict, steps: first.steps, failure: replay.failure };
}

const Placement = { placed: 0, skipped: 1, doomed: 2 } as const;
type Placement = (typeof Placement)[keyof typeof Placement];

/** Stack mark of a forced placement (alternatives are 0 = as is, 1 = after a TTL expiry). */
const forcedAlt = 2;

interface RunResult {
  readonly verdict: SearchResult['verdict'];
  readonly steps: number;
  readonly bestStep?: number;
  readonly failure?: SearchFailure;
}

class Search {
  readonly #ops: readonly ModelOp[];
  readonly #budget: SearchBudget;
  readonly #list: EventList;
  readonly #bitOf: Int32Array;
  /** Placed operations, by region (see Memo). */
  readonly #definite: Bitset;
  readonly #open: Bitset;
  readonly #isOpen: Uint8Array;
  readonly #memo = new Memo();
  // The explicit stack: operation, state before it, alternative taken (0 = as is, 1 = expired).
  readonly #stackOp: Int32Array;
  readonly #stackAlt: Uint8Array;
  readonly #stackState: ModelState[] = [];
  #depth = 0;
  #state: ModelState = initialState;
  #steps = 0;
  /** The deepest failure: its depth and step number (or, when replaying, the failure itself). */
  #bestDepth = -1;
  #bestStep: number | undefined;
  readonly #captureStep: number | undefined;
  #captured: SearchFailure | undefined;

  constructor(input: SearchInput, budget: SearchBudget, captureStep?: number) {
    this.#ops = input.ops;
    this.#budget = budget;
    this.#list = buildEvents(input);
    const bits = bitNumbers(input);
    this.#bitOf = bits.bitOf;
    this.#definite = new Bitset(bits.definite);
    this.#open = new Bitset(bits.open);
    this.#isOpen = Uint8Array.from(input.returns, (r) => (r === null ? 1 : 0));
    this.#stackOp = new Int32Array(input.ops.length);
    this.#stackAlt = new Uint8Array(input.ops.length);
    this.#captureStep = captureStep;
  }

  run(): RunResult {
    const l = this.#list;
    let node = l.next[0]!;
    for (;;) {
      if (node === 0) return this.#end('ok');
      if (this.#exhausted()) return this.#end('unknown');
      const op = l.nodeOp[node]!;
      if (l.isCall[node] === 1) {
        const placed = this.#tryPlace(op, 0);
        if (placed !== Placement.doomed) {
          node = placed === Placement.placed ? l.next[0]! : l.next[node]!;
          continue;
        }
      } else {
        // A return met before its operation was placed.
        this.#noteFailure(op, node);
        if (this.#captured !== undefined) return this.#end('unknown');
      }
      const resume = this.#backtrack();
      if (resume < 0) return this.#end('violation');
      node = resume;
    }
  }

  /** Undoes placements until one can be replaced by another; the node to go on from, or -1. */
  #backtrack(): number {
    const l = this.#list;
    while (this.#depth > 0) {
      const alt = this.#stackAlt[this.#depth - 1]!;
      const popped = this.#pop();
      // A forced read failing means the configuration before it fails too.
      if (alt === forcedAlt) continue;
      if (this.#tryPlace(popped, alt + 1) === Placement.placed) return l.next[0]!;
      return l.next[l.callNode[popped]!]!;
    }
    return -1;
  }

  #end(verdict: SearchResult['verdict']): RunResult {
    return {
      verdict,
      steps: this.#steps,
      ...(this.#bestStep !== undefined && { bestStep: this.#bestStep }),
      ...(this.#captured !== undefined && { failure: this.#captured }),
    };
  }

  /**
   * Places `op` now, trying alternatives from `altFirst`; on success pushes and lifts it.
   *
   * A definite operation that leaves the state as it is (a read, or a failed conditional) is
   * forced: if the configuration has any linearization, it has one that places this operation
   * first (moving it earlier changes no state and only relaxes real-time constraints). So when it
   * fails, or its configuration was already entered, the configuration before it fails as well:
   * none of the other candidates is tried. This removes the 2^k orders of k concurrent reads.
   */
  #tryPlace(op: number, altFirst: number): Placement {
    const before = this.#state;
    const bit = this.#bitOf[op]!;
    const open = this.#isOpen[op] === 1;
    const bits = open ? this.#open : this.#definite;
    for (let alt = altFirst; alt <= 1; alt++) {
      const base = alt === 0 ? before : expire(before);
      if (base === null) continue;
      const after = step(base, this.#ops[op]!);
      if (after === null) continue;
      if (open && this.#redundant(op, after)) continue;
      const forced = alt === 0 && after === before && !open;
      bits.set(bit);
      if (this.#memo.add(this.#definite, this.#open, after)) {
        this.#stackOp[this.#depth] = op;
        this.#stackAlt[this.#depth] = forced ? forcedAlt : alt;
        this.#stackState[this.#depth] = before;
        this.#depth++;
        this.#state = after;
        lift(this.#list, op);
        return Placement.placed;
      }
      bits.clear(bit);
      if (forced) return Placement.doomed;
    }
    return Placement.skipped;
  }

  /**
   * An open operation placed right after another open one, where placing it instead of the other
   * gives a dominating configuration (e.g. a blind write hiding an unobserved one): that sibling
   * configuration is explored from the same parent anyway, so this one is skipped.
   */
  #redundant(op: number, after: ModelState): boolean {
    const top = this.#depth - 1;
    if (top < 0 || this.#isOpen[this.#stackOp[top]!] !== 1) return false;
    const parent = this.#stackState[top]!;
    for (const base of [parent, expire(parent)]) {
      const sibling = base && step(base, this.#ops[op]!);
      if (sibling && dominates(sibling, after)) return true;
    }
    return false;
  }

  #pop(): number {
    assert(this.#depth > 0, 'pop: stack not empty');
    this.#depth--;
    const op = this.#stackOp[this.#depth]!;
    this.#state = this.#stackState[this.#depth]!;
    (this.#isOpen[op] === 1 ? this.#open : this.#definite).clear(this.#bitOf[op]!);
    unlift(this.#list, op);
    return op;
  }

  #exhausted(): boolean {
    this.#steps++;
    if (this.#steps > this.#budget.stepsMax) return true;
    return (this.#steps & 1023) === 0 && this.#budget.expired?.() === true;
  }

  /** Notes the deepest failure: the longest linearizable prefix and what blocked it. */
  #noteFailure(failed: number, returnNode: number): void {
    if (this.#captureStep === undefined) {
      if (this.#depth > this.#bestDepth) {
        this.#bestDepth = this.#depth;
        this.#bestStep = this.#steps;
      }
      return;
    }
    if (this.#steps !== this.#captureStep) return;
    const l = this.#list;
    const pending: number[] = [];
    for (let node = l.next[0]!; node !== returnNode; node = l.next[node]!) {
      if (l.isCall[node] === 1 && l.nodeOp[node] !== failed) pending.push(l.nodeOp[node]!);
    }
    const prefix = Array.from(this.#stackOp.subarray(0, this.#depth));
    this.#captured = { prefix, state: this.#state, failed, pending };
  }
}
