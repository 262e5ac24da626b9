import { create, toBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PartitionInputSchema } from '../gen/atomix/multiraft/v1/fsm_pb.js';
import { LogEntrySchema } from '../gen/multiraft/v1/log_pb.js';
import { Driver, entryBytes, sessionInput, show } from './testing/driver.js';
import { runWorkload, type Step } from './testing/workload.js';

// Every layer of an entry, malformed: the answer is INVALID and nothing changes. "Nothing" is
// checked against a twin replica that applied a Raft empty entry (malformed envelope) or a tick
// at the same timestamp (valid envelope, malformed input) instead.

const setup = () => {
  const d = new Driver();
  const s = d.open();
  d.createService(s, 1, 'x');
  d.call(s, 2, 2, { op: 'stream' });
  return d;
};

const twin = (d: Driver): Driver => {
  const t = new Driver();
  for (const entry of d.log) t.raw(entry.data);
  t.time = d.time;
  return t;
};

describe('malformed entries', () => {
  const envelopes: [string, Uint8Array][] = [
    ['garbage', Uint8Array.of(0xff, 0xff, 0xff)],
    ['truncated varint', Uint8Array.of(0x08, 0x80)],
    ['wrong wire type', Uint8Array.of(0x12, 0x05, 0x01)],
    [
      'neither input nor tick',
      toBinary(LogEntrySchema, create(LogEntrySchema, { timestampMs: 5n })),
    ],
    ['timestamp 2^52 + 1', entryBytes(2n ** 52n + 1n)],
    ['timestamp 2^53', entryBytes(2n ** 53n)],
    ['timestamp 2^64 − 1', entryBytes(2n ** 64n - 1n)],
    ['input with a bad inner message', Uint8Array.of(0x08, 0x01, 0x12, 0x02, 0x0a, 0x05)],
  ];
  for (const [what, bytes] of envelopes) {
    it(`envelope: ${what} → INVALID, state unchanged`, () => {
      const d = setup();
      const t = twin(d);
      expect(show(d.raw(bytes))).toEqual([`@${d.fsm.index} #1 INVALID done`]);
      t.empty();
      expect(d.fsm.snapshot()).toEqual(t.fsm.snapshot());
    });
  }

  const inputs: [string, Parameters<Driver['input']>[0] | undefined][] = [
    ['empty PartitionInput', undefined],
    [
      'keep-alive with a bad filter',
      {
        case: 'keepAlive',
        value: { sessionId: 1n, pendingCommandsFilter: Uint8Array.of(7) } as never,
      },
    ],
    [
      'keep-alive with L = 2^64 − 1',
      {
        case: 'keepAlive',
        value: { sessionId: 1n, lastCommandSequenceNum: 2n ** 64n - 1n } as never,
      },
    ],
    ['open with timeout 2^53', { case: 'openSession', value: { timeoutMs: 2n ** 53n } as never }],
    [
      'session input with seq 2^64 − 1',
      sessionInput(1, 2n ** 64n - 1n, { case: 'closeService', value: {} as never }),
    ],
  ];
  for (const [what, input] of inputs) {
    it(`input: ${what} → INVALID, nothing but time changes`, () => {
      const d = setup();
      const t = twin(d);
      const bytes =
        input === undefined
          ? toBinary(
              LogEntrySchema,
              create(LogEntrySchema, {
                timestampMs: BigInt(d.time + 5),
                entry: { case: 'input', value: create(PartitionInputSchema) },
              }),
            )
          : entryBytes(d.time + 5, input);
      expect(show(d.raw(bytes))).toEqual([`@${d.fsm.index} #1 INVALID done`]);
      t.time += 5;
      t.raw(entryBytes(t.time));
      expect(d.fsm.snapshot()).toEqual(t.fsm.snapshot());
    });
  }

  it('never throws for arbitrary bytes, and replicas stay identical', () => {
    const step = fc.tuple(
      fc.nat(40),
      fc.nat(20),
      fc.nat(20),
      fc.nat(1 << 16),
    ) as fc.Arbitrary<Step>;
    fc.assert(
      fc.property(
        fc.array(step, { maxLength: 20 }),
        fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 30 }),
        (workload, junk) => {
          const a = runWorkload(workload);
          const b = new Driver();
          for (const entry of a.log) b.fsm.apply(entry);
          b.term = a.term;
          for (const bytes of junk) expect(a.raw(bytes)).toEqual(b.raw(bytes));
          expect(a.fsm.snapshot()).toEqual(b.fsm.snapshot());
        },
      ),
      { numRuns: 200 },
    );
  });

  it('never throws for mutated valid entries', () => {
    const d = runWorkload(
      Array.from({ length: 120 }, (_, i) => [i * 5, i, i * 3, i * 131] as const),
    );
    const valid = d.log.map((e) => e.data).filter((b) => b.length > 0);
    // One replica takes every mutated entry in turn: any state must survive any bytes.
    const fresh = new Driver();
    for (const entry of d.log) fresh.fsm.apply(entry);
    fresh.term = d.term;
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.nat(255), fc.boolean(), (which, at, byte, cut) => {
        const base = valid[which % valid.length]!;
        const bytes = base.slice();
        const pos = at % bytes.length;
        bytes[pos] = byte;
        const data = cut ? bytes.subarray(0, pos) : bytes;
        expect(() => fresh.raw(data)).not.toThrow();
      }),
      { numRuns: 1000 },
    );
  });

  it('the largest timestamp still leaves room for every deadline', () => {
    const d = new Driver({ sessionTimeoutMsMax: 2 ** 52, sessionTimeoutMsDefault: 2 ** 52 });
    d.time = 2 ** 52 - 10;
    const s = d.open();
    d.createService(s, 1, 'x');
    d.call(s, 2, 2, { op: 'alarm', tag: 1, at: 2 ** 52 + 5 });
    expect(d.fsm.nextDeadline()).toBe(2 ** 52 + 5);
    d.tick(7); // exactly 2^52
    expect(d.fsm.timeMs).toBe(2 ** 52);
    expect(show(d.tick(1))).toEqual([`@${d.fsm.index} #1 INVALID done`]);
  });
});
