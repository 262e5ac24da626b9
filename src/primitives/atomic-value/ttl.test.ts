import { create } from '@bufbuild/protobuf';
import { TimestampSchema } from '@bufbuild/protobuf/wkt';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AssertionError, timestampMs } from '../../common/index.js';
import { duration } from '../testing/atomic-value-wire.js';
import { msFromTimestamp, timestampFromMs, ttlMs } from './ttl.js';

const max = 10 * 365 * 24 * 60 * 60 * 1000;

describe('ttlMs', () => {
  it('maps absent and zero to no expiry', () => {
    expect(ttlMs(undefined, max)).toEqual({ ok: true, ms: 0 });
    expect(ttlMs(duration(0), max)).toEqual({ ok: true, ms: 0 });
  });

  it('rounds up to whole milliseconds', () => {
    expect(ttlMs(duration(0, 1), max)).toEqual({ ok: true, ms: 1 });
    expect(ttlMs(duration(3, 2_000_000), max)).toEqual({ ok: true, ms: 3002 });
    expect(ttlMs(duration(3, 2_000_001), max)).toEqual({ ok: true, ms: 3003 });
  });

  it('equals ceil(total nanoseconds / 1e6) within the limit', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 400_000_000n }), fc.nat(999_999_999), (s, n) => {
        const total = s * 1_000_000_000n + BigInt(n);
        const ceil = Number((total + 999_999n) / 1_000_000n);
        const result = ttlMs(duration(s, n), max);
        expect(result).toEqual(
          ceil > max ? expect.objectContaining({ ok: false }) : { ok: true, ms: ceil },
        );
      }),
    );
  });

  it('rejects negative, mixed-sign, out-of-range nanos and too large', () => {
    const bad = [
      duration(-1),
      duration(0, -1),
      duration(1, -1),
      duration(-1, 1),
      duration(0, 1_000_000_000),
      duration(0, -1_000_000_000),
      duration(0, 0.5),
      duration(max / 1000, 1),
      duration(2n ** 63n - 1n),
    ];
    for (const ttl of bad) expect(ttlMs(ttl, max).ok, `${ttl.seconds}s ${ttl.nanos}ns`).toBe(false);
    expect(ttlMs(duration(max / 1000), max)).toEqual({ ok: true, ms: max });
  });

  it('asserts on a nonsensical limit', () => {
    expect(() => ttlMs(undefined, -1)).toThrow(AssertionError);
  });
});

describe('timestamps', () => {
  it('round-trips whole milliseconds', () => {
    fc.assert(
      fc.property(fc.nat({ max: Number.MAX_SAFE_INTEGER }), (ms) => {
        expect(msFromTimestamp(timestampFromMs(timestampMs(ms)))).toBe(ms);
      }),
    );
    expect(timestampFromMs(timestampMs(1_234))).toMatchObject({ seconds: 1n, nanos: 234_000_000 });
  });

  it('asserts on sub-millisecond or negative times', () => {
    const sub = create(TimestampSchema, { seconds: 1n, nanos: 1 });
    expect(() => msFromTimestamp(sub)).toThrow(AssertionError);
    expect(() => timestampFromMs(timestampMs(-1))).toThrow(AssertionError);
  });
});
