// TTL rules (DESIGN §4): absent or zero means no expiry; negative or above the limit is INVALID;
// a duration is rounded up to whole milliseconds (1 ns → 1 ms) so a value never expires early.
// Also the conversion of absolute expiry times to and from protobuf Timestamps (snapshots).

import { create } from '@bufbuild/protobuf';
import { type Duration, type Timestamp, TimestampSchema } from '@bufbuild/protobuf/wkt';
import { assert, type TimestampMs, timestampMs } from '../../common/index.js';

const nanosPerMs = 1_000_000;
const nanosPerSecond = 1_000_000_000;
const msPerSecond = 1000;

export type TtlResult =
  | { readonly ok: true /** 0 = no expiry. */; readonly ms: number }
  | { readonly ok: false; readonly message: string };

/** Validates a TTL and converts it to whole milliseconds, rounding up. */
export function ttlMs(ttl: Duration | undefined, ttlMsMax: number): TtlResult {
  assert(Number.isSafeInteger(ttlMsMax) && ttlMsMax >= 0, 'ttlMsMax is a safe integer ≥ 0');
  if (ttl === undefined) return { ok: true, ms: 0 };
  const { seconds, nanos } = ttl;
  if (!Number.isInteger(nanos) || nanos <= -nanosPerSecond || nanos >= nanosPerSecond) {
    return { ok: false, message: `ttl nanos ${nanos} out of range` };
  }
  if ((seconds > 0n && nanos < 0) || (seconds < 0n && nanos > 0)) {
    return { ok: false, message: 'ttl seconds and nanos differ in sign' };
  }
  if (seconds < 0n || nanos < 0) return { ok: false, message: 'ttl is negative' };
  // Compare in bigint first: seconds may be up to 2^63 − 1.
  if (seconds > BigInt(Math.ceil(ttlMsMax / msPerSecond))) {
    return { ok: false, message: `ttl above ${ttlMsMax} ms` };
  }
  const ms = Number(seconds) * msPerSecond + Math.ceil(nanos / nanosPerMs);
  if (ms > ttlMsMax) return { ok: false, message: `ttl above ${ttlMsMax} ms` };
  assert(Number.isSafeInteger(ms) && ms >= 0, 'ttl ms is a safe integer ≥ 0');
  return { ok: true, ms };
}

/** An absolute time in ms as a protobuf Timestamp. */
export function timestampFromMs(ms: TimestampMs): Timestamp {
  assert(Number.isSafeInteger(ms) && ms >= 0, 'timestamps are safe integers ≥ 0');
  const seconds = Math.floor(ms / msPerSecond);
  return create(TimestampSchema, {
    seconds: BigInt(seconds),
    nanos: (ms - seconds * msPerSecond) * nanosPerMs,
  });
}

/** A Timestamp written by `timestampFromMs` back to ms (whole ms only). */
export function msFromTimestamp(timestamp: Timestamp): TimestampMs {
  assert(timestamp.nanos >= 0 && timestamp.nanos % nanosPerMs === 0, 'timestamp in whole ms');
  const ms = Number(timestamp.seconds) * msPerSecond + timestamp.nanos / nanosPerMs;
  assert(Number.isSafeInteger(ms) && ms >= 0, 'timestamp ms is a safe integer ≥ 0');
  return timestampMs(ms);
}
