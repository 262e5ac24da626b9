// A node's wall clock in the simulator: true time scaled by a drift and shifted by an offset, so
// leaders disagree about time the way real machines do. Never goes backwards on its own; a test may
// step it (a skewed clock) through `offsetMs`.

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
