import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32c } from '../common/index.js';
import {
  CommandPhase,
  type PartitionSnapshot,
  PartitionSnapshotSchema,
  SessionState,
  TimerKind,
  TimerRecordSchema,
} from '../gen/multiraft/v1/snapshot_pb.js';
import { InvalidSnapshotError } from './errors.js';
import { Driver } from './testing/driver.js';

const busy = (): Driver => {
  const d = new Driver();
  const s = d.open(); // 1
  d.createService(s, 1, 'x'); // 2
  d.call(s, 2, 2, { op: 'stream' });
  d.call(s, 3, 2, { op: 'alarm', tag: 1, at: d.time + 500 });
  d.call(s, 4, 2, { op: 'add' });
  d.keepAlive(s, 4, Uint8Array.of(1, 2)); // only 2 pending
  return d;
};

const set = <T, K extends keyof T>(target: T, key: K, value: T[K]): void => {
  target[key] = value;
};

const body = (bytes: Uint8Array): PartitionSnapshot =>
  fromBinary(PartitionSnapshotSchema, bytes.subarray(8, bytes.length - 4));

const frame = (snap: PartitionSnapshot): Uint8Array => {
  const b = toBinary(PartitionSnapshotSchema, snap);
  const out = new Uint8Array(8 + b.length + 4);
  out.set([0x4d, 0x52, 0x50, 0x53, 0, 0, 0, 1]);
  out.set(b, 8);
  new DataView(out.buffer).setUint32(out.length - 4, crc32c(out.subarray(0, out.length - 4)));
  return out;
};

describe('snapshot', () => {
  it('is header + PartitionSnapshot + CRC32C, with the documented contents', () => {
    const d = busy();
    const bytes = d.fsm.snapshot();
    expect([...bytes.subarray(0, 8)]).toEqual([0x4d, 0x52, 0x50, 0x53, 0, 0, 0, 1]);
    expect(frame(body(bytes))).toEqual(bytes);
    const snap = body(bytes);
    expect(snap.index).toBe(BigInt(d.fsm.index));
    expect(snap.timeMs).toBe(BigInt(d.fsm.timeMs));
    expect(snap.timestampedTerm).toBe(1n);
    const session = snap.sessions[0]!;
    expect(session.state).toBe(SessionState.OPEN);
    expect(session.retiredWatermark).toBe(1n);
    expect(session.retired).toEqual([3n, 4n]);
    expect(session.commands.map((c) => [c.sequenceNum, c.phase])).toEqual([
      [2n, CommandPhase.RUNNING],
    ]);
    expect(session.commands[0]!.outputs.map((o) => o.sequenceNum)).toEqual([1n, 2n]);
    expect(snap.services[0]!.sessions).toEqual([1n]);
    expect(snap.timers.map((t) => t.kind)).toEqual([TimerKind.SERVICE, TimerKind.SESSION_EXPIRY]);
  });

  it('rejects damaged frames and changes nothing', () => {
    const d = busy();
    const good = d.fsm.snapshot();
    const other = new Driver();
    other.open();
    const before = other.fsm.snapshot();
    const damaged = [
      good.subarray(0, 11),
      Uint8Array.from(good, (b, i) => (i === 0 ? 0 : b)),
      Uint8Array.from(good, (b, i) => (i === 7 ? 2 : b)),
      Uint8Array.from(good, (b, i) => (i === 20 ? b ^ 1 : b)),
      Uint8Array.from(good, (b, i) => (i === good.length - 1 ? b ^ 1 : b)),
      frame(body(good)).subarray(0, good.length - 1),
    ];
    for (const bytes of damaged) {
      expect(() => other.fsm.restore(bytes)).toThrow(InvalidSnapshotError);
      expect(other.fsm.snapshot()).toEqual(before);
    }
  });

  it('rejects frames whose contents are inconsistent', () => {
    const good = busy().fsm.snapshot();
    const edits: [string, (s: PartitionSnapshot) => void][] = [
      ['unknown type', (s) => set(s.services[0]!, 'service', 'no.Such')],
      ['bad service state', (s) => set(s.services[0]!, 'state', Uint8Array.of(1))],
      ['missing expiry timer', (s) => s.timers.pop()],
      ['unknown timer owner', (s) => set(s.timers[0]!, 'ownerId', 77n)],
      ['timer seq too high', (s) => set(s.timers[0]!, 'seq', 1000n)],
      ['index 2^64 − 1', (s) => set(s, 'index', 2n ** 64n - 1n)],
      ['closed session', (s) => set(s.sessions[0]!, 'state', SessionState.CLOSED)],
      ['unsorted retired', (s) => set(s.sessions[0]!, 'retired', [4n, 3n])],
      ['attached to nobody', (s) => set(s.services[0]!, 'sessions', [9n])],
      ['running without service', (s) => set(s, 'services', [])],
      ['duplicate session', (s) => s.sessions.push(s.sessions[0]!)],
      ['duplicate service id', (s) => s.services.push({ ...s.services[0]!, name: 'other' })],
      ['duplicate service name', (s) => s.services.push({ ...s.services[0]!, serviceId: 99n })],
      ['next timer seq 0', (s) => set(s, 'nextTimerSeq', 0n)],
      ['bad phase', (s) => set(s.sessions[0]!.commands[0]!, 'phase', CommandPhase.UNSPECIFIED)],
      ['output seq above last', (s) => set(s.sessions[0]!.commands[0]!, 'lastOutputSeq', 1n)],
      [
        'timer kind',
        (s) => s.timers.push(create(TimerRecordSchema, { seq: 1n, kind: TimerKind.UNSPECIFIED })),
      ],
      ['undecodable body', () => undefined],
    ];
    for (const [what, edit] of edits) {
      const snap = body(good);
      edit(snap);
      let bytes = frame(snap);
      if (what === 'undecodable body') {
        bytes = frame(snap);
        bytes.set([0xff, 0xff], 8);
        new DataView(bytes.buffer).setUint32(
          bytes.length - 4,
          crc32c(bytes.subarray(0, bytes.length - 4)),
        );
      }
      expect(() => new Driver().fsm.restore(bytes), what).toThrow(InvalidSnapshotError);
    }
  });

  it('a restore of any re-checksummed mutation succeeds or throws InvalidSnapshotError', () => {
    const good = busy().fsm.snapshot();
    fc.assert(
      fc.property(fc.nat(), fc.nat(255), fc.boolean(), (at, byte, cut) => {
        const bytes = good.slice(0, cut ? 8 + (at % (good.length - 12)) + 4 : good.length);
        bytes[8 + (at % (bytes.length - 12))] = byte;
        new DataView(bytes.buffer).setUint32(
          bytes.length - 4,
          crc32c(bytes.subarray(0, bytes.length - 4)),
        );
        const d = new Driver();
        try {
          d.fsm.restore(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidSnapshotError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
