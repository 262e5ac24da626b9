// A ttl as callers write it: milliseconds, or a duration string such as '500ms', '5s', '1m30s',
// '2h' (units ms, s, m, h, d). Whole milliseconds, rounded up, as the state machine keeps them.

import { InvalidArgumentError } from './value-errors.js';

const unitMs = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const part = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;

export type Ttl = number | string;

export function ttlMs(ttl: Ttl): number {
  if (typeof ttl === 'number') {
    if (!Number.isFinite(ttl) || ttl < 0) {
      throw new InvalidArgumentError(`ttl must be a non-negative number of ms, not ${ttl}`);
    }
    return Math.ceil(ttl);
  }
  let total = 0;
  part.lastIndex = 0;
  while (part.lastIndex < ttl.length) {
    const at = part.lastIndex;
    const match = part.exec(ttl);
    if (match === null || match.index !== at) {
      throw new InvalidArgumentError(
        `ttl '${ttl}' is not a duration such as '500ms', '5s', '1m30s'`,
      );
    }
    total += Number(match[1]) * unitMs[match[2] as keyof typeof unitMs];
  }
  if (ttl.length === 0) throw new InvalidArgumentError('ttl is empty');
  return Math.ceil(total);
}
