import { create, toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { AssertionError, logIndex, timestampMs } from '../../common/index.js';
import { AtomicValueStateSchema } from '../../gen/atomix/multiraft/atomic/value/v1/fsm_pb.js';
import { bytes } from '../testing/atomic-value-wire.js';
import { streamId } from '../testing/fake-host.js';
import { decodeSnapshot, encodeSnapshot } from './snapshot.js';

const stateBytes = (init: Parameters<typeof create<typeof AtomicValueStateSchema>>[1]) =>
  toBinary(AtomicValueStateSchema, create(AtomicValueStateSchema, init));

describe('AtomicValue snapshot', () => {
  it('round-trips value, version, expiry and sorted streams', () => {
    const state = {
      current: { value: bytes('v'), index: logIndex(7), expireMs: timestampMs(12_345) },
      streams: [streamId(1, 2), streamId(1, 3), streamId(4, 1)],
    };
    const encoded = encodeSnapshot(state);
    expect(decodeSnapshot(encoded)).toEqual(state);
    expect(encodeSnapshot(decodeSnapshot(encoded))).toEqual(encoded);
  });

  it('encodes an empty state as no bytes and keeps an empty value distinct', () => {
    expect(encodeSnapshot({ current: undefined, streams: [] })).toEqual(new Uint8Array());
    const empty = { value: new Uint8Array(), index: logIndex(3), expireMs: undefined };
    const decoded = decodeSnapshot(encodeSnapshot({ current: empty, streams: [] }));
    expect(decoded.current).toEqual(empty);
  });

  it('asserts on states no AtomicValue writes', () => {
    const bad = [
      Uint8Array.of(0x0a, 0x05),
      stateBytes({ expire: { seconds: 1n } }),
      stateBytes({ value: { value: bytes('x'), index: 0n } }),
      stateBytes({ value: { value: bytes('x'), index: 2n ** 53n } }),
      stateBytes({
        streams: [
          { sessionId: 2n, sequenceNum: 1n },
          { sessionId: 1n, sequenceNum: 1n },
        ],
      }),
      stateBytes({
        streams: [
          { sessionId: 1n, sequenceNum: 1n },
          { sessionId: 1n, sequenceNum: 1n },
        ],
      }),
      stateBytes({ streams: [{ sessionId: 2n ** 60n, sequenceNum: 1n }] }),
    ];
    for (const b of bad) expect(() => decodeSnapshot(b)).toThrow(AssertionError);
  });
});
