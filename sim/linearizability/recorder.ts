// Records a history as a client sees it: `invoke` when a call is issued, then exactly one of `ok`
// (a definite answer, success or error), `fail` (certainly did not happen: dropped) or `unknown`
// (may have happened). A call never resolved by the end counts as unknown.

import { assert } from '../../src/common/index.js';
import type { HistoryOp, OpInput, OpOutput } from './history.js';

/** The recorder's reference to an open call. */
export type OpHandle = number & { readonly __opHandle: true };

interface Slot {
  op: HistoryOp;
  /** 'open' until resolved; 'failed' slots are left out of the history. */
  phase: 'open' | 'done' | 'failed';
}

export interface InvokeArgs {
  readonly client: string;
  readonly process?: string | number;
  readonly key: string;
  readonly input: OpInput;
  readonly time: number;
}

export class HistoryRecorder {
  readonly #slots: Slot[] = [];
  #failed = 0;

  invoke(args: InvokeArgs): OpHandle {
    assert(Number.isSafeInteger(args.time) && args.time >= 0, 'call time is an integer ≥ 0');
    const op: HistoryOp = {
      client: args.client,
      ...(args.process === undefined ? {} : { process: args.process }),
      key: args.key,
      call: args.time,
      return: null,
      input: args.input,
      output: null,
    };
    this.#slots.push({ op, phase: 'open' });
    return (this.#slots.length - 1) as OpHandle;
  }

  /** A definite answer: `{ok: true, …}` or `{error, current?}`. */
  ok(handle: OpHandle, output: OpOutput, time: number): void {
    const slot = this.#open(handle);
    assert(time >= slot.op.call, 'return time precedes call time');
    slot.op = { ...slot.op, return: time, output };
    slot.phase = 'done';
  }

  /** The call certainly did not take effect (e.g. rejected before the log): left out. */
  fail(handle: OpHandle, time: number): void {
    const slot = this.#open(handle);
    assert(time >= slot.op.call, 'return time precedes call time');
    slot.phase = 'failed';
    this.#failed++;
  }

  /** The outcome is unknown (timeout, lost connection): the call stays open forever. */
  unknown(handle: OpHandle): void {
    this.#open(handle).phase = 'done';
  }

  /** Operations in invocation order, certain failures left out. */
  history(): HistoryOp[] {
    return this.#slots.filter((s) => s.phase !== 'failed').map((s) => s.op);
  }

  get failedCount(): number {
    return this.#failed;
  }

  get unknownCount(): number {
    return this.#slots.filter((s) => s.phase !== 'failed' && s.op.return === null).length;
  }

  #open(handle: OpHandle): Slot {
    const slot = this.#slots[handle];
    assert(slot !== undefined, `unknown handle ${handle}`);
    assert(slot.phase === 'open', `handle ${handle} already resolved`);
    return slot;
  }
}
