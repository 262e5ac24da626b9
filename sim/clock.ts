// A node's wall clock in the simulator: true time scaled by a drift and shifted by an offset, so
// leaders disagree about time the way real machines do. Never goes backwards on its own; a test may
// step it (a skewed clock) through `offsetMs`.

import type { HostClock } from '../src/host/index.js';
import type { Cancellable, Scheduler } from './scheduler.js';

export class SimClock {
  readonly #trueNow: () => number;
  /** Rate error: 0.001 means the clock runs 0.1 % fast. */
  readonly driftRate: number;
  offsetMs: number;

  constructor(trueNow: () => number, driftRate: number, offsetMs: number) {
    this.#trueNow = trueNow;
    this.driftRate = driftRate;
    this.offsetMs = offsetMs;
  }

  /** This node's wall clock in ms since the epoch (whole ms, like Date.now()). */
  now(): number {
    return Math.floor(this.#trueNow() * (1 + this.driftRate) + this.offsetMs);
  }
}

/** A host's clock on a simulated node; stop() is the process dying: nothing it scheduled runs. */
export interface SimHostClock extends HostClock {
  stop(): void;
}

/**
 * The host's view of time on a simulated node: its drifting wall clock, ticks that follow the
 * drift (an interval of `ms` on the node's clock is `ms / (1 + drift)` of true time), and deferred
 * work as a zero-delay event (after every event already due, like setImmediate).
 */
export function simHostClock(clock: SimClock, scheduler: Scheduler): SimHostClock {
  let stopped = false;
  return {
    now: () => clock.now(),
    every(ms, fn) {
      let event: Cancellable | undefined;
      let cancelled = false;
      const next = () => {
        event = scheduler.after(ms / (1 + clock.driftRate), () => {
          if (cancelled || stopped) return;
          fn();
          // fn itself may have cancelled the ticker.
          if (!cancelled) next();
        });
      };
      next();
      return {
        cancel: () => {
          cancelled = true;
          event?.cancel();
        },
      };
    },
    after(ms, fn) {
      const event = scheduler.after(ms / (1 + clock.driftRate), () => {
        if (!stopped) fn();
      });
      return { cancel: () => event.cancel() };
    },
    defer(fn) {
      scheduler.after(0, () => {
        if (!stopped) fn();
      });
    },
    stop() {
      stopped = true;
    },
  };
}
