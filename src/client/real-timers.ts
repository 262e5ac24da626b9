// The session layer's Timers on the real clock. `now` is monotonic (it never jumps with the wall
// clock) yet counts from the Unix epoch, so deadlines compare with Date-based times.

import { performance } from 'node:perf_hooks';
import type { Timers } from '../session/index.js';

export const realTimers: Timers = {
  get now(): number {
    return performance.timeOrigin + performance.now();
  },
  after(delayMs: number, run: () => void): { cancel(): void } {
    const timer = setTimeout(run, Math.max(0, delayMs));
    return { cancel: () => clearTimeout(timer) };
  },
};
