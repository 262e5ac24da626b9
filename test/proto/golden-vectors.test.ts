// Golden vectors: bytes produced by an independent protobuf implementation (protobufjs, reading the
// .proto text in proto/) decode with our generated protobuf-es code to the expected values and
// re-encode to the same bytes; and the reverse. 64-bit fields cover 0, 2^53 − 1, 2^63, 2^64 − 1.
import {
  create,
  type DescMessage,
  fromBinary,
  type MessageInitShape,
  toBinary,
} from '@bufbuild/protobuf';
import protobuf from 'protobufjs';
import { describe, expect, test } from 'vitest';
import * as value from '../../src/gen/atomix/multiraft/atomic/value/v1/fsm_pb.js';
import * as fsm from '../../src/gen/atomix/multiraft/v1/fsm_pb.js';
import * as log from '../../src/gen/multiraft/v1/log_pb.js';
import * as output from '../../src/gen/multiraft/v1/output_pb.js';
import * as partition from '../../src/gen/multiraft/v1/partition_pb.js';
import * as snapshot from '../../src/gen/multiraft/v1/snapshot_pb.js';

const protoDir = new URL('../../proto/', import.meta.url).pathname;
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => (target.startsWith('google/') ? target : protoDir + target);
root.loadSync([
  'atomix/multiraft/v1/fsm.proto',
  'atomix/multiraft/atomic/value/v1/fsm.proto',
  'multiraft/v1/log.proto',
  'multiraft/v1/output.proto',
  'multiraft/v1/partition.proto',
  'multiraft/v1/snapshot.proto',
]);

const max64 = 2n ** 64n - 1n;
const top64 = 2n ** 63n;
const maxSafe = 2n ** 53n - 1n;
const u64 = [0n, 1n, maxSafe, top64, max64] as const;

/** proto3 omits zero scalars, and so does a canonical encoder: the independent side leaves them out. */
function nonZero(fields: Record<string, bigint>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(fields)
      .filter(([, n]) => n !== 0n)
      .map(([k, n]) => [k, n.toString()]),
  );
}

interface Vector<S extends DescMessage> {
  name: string;
  schema: S;
  /** The message as protobufjs's fromObject takes it (64-bit values as decimal strings). */
  independent: Record<string, unknown>;
  /** The same message as protobuf-es builds it. */
  expected: MessageInitShape<S>;
  /** Hand-checked wire bytes, where given. */
  hex?: string;
}

const vector = <S extends DescMessage>(v: Vector<S>): Vector<DescMessage> =>
  v as unknown as Vector<DescMessage>;

const vectors: Vector<DescMessage>[] = [
  ...u64.map((n) =>
    vector({
      name: `KeepAliveInput with ${n}`,
      schema: fsm.KeepAliveInputSchema,
      independent: {
        ...nonZero({ sessionId: n, lastCommandSequenceNum: n }),
        pendingCommandsFilter: Buffer.from([1, 2, 3]),
        outputStreamSequenceNums: { '1': n.toString(), '7': '3' },
      },
      expected: {
        sessionId: n,
        lastCommandSequenceNum: n,
        pendingCommandsFilter: new Uint8Array([1, 2, 3]),
        outputStreamSequenceNums: { '1': n, '7': 3n },
      },
    }),
  ),
  vector({
    name: 'KeepAliveInput with 64-bit extremes, hand-checked bytes',
    schema: fsm.KeepAliveInputSchema,
    independent: {
      sessionId: max64.toString(),
      lastCommandSequenceNum: top64.toString(),
      outputStreamSequenceNums: { '1': '2' },
    },
    expected: {
      sessionId: max64,
      lastCommandSequenceNum: top64,
      outputStreamSequenceNums: { '1': 2n },
    },
    // field 1 varint 2^64-1; field 2 varint 2^63; field 4 map entry {1: 2}
    hex: '08ffffffffffffffffff01' + '1080808080808080808001' + '220408011002',
  }),
  vector({
    name: 'PartitionInput open_session with timeout',
    schema: fsm.PartitionInputSchema,
    independent: { openSession: { timeoutMs: '30000' } },
    expected: { input: { case: 'openSession', value: { timeoutMs: 30000n } } },
    hex: '0a0408b0ea01',
  }),
  vector({
    name: 'PartitionInput empty open_session',
    schema: fsm.PartitionInputSchema,
    independent: { openSession: {} },
    expected: { input: { case: 'openSession', value: {} } },
    hex: '0a00',
  }),
  vector({
    name: 'PartitionInput close_session',
    schema: fsm.PartitionInputSchema,
    independent: { closeSession: { sessionId: maxSafe.toString() } },
    expected: { input: { case: 'closeSession', value: { sessionId: maxSafe } } },
  }),
  vector({
    name: 'PartitionInput session_input create_service with sequence number',
    schema: fsm.PartitionInputSchema,
    independent: {
      sessionInput: {
        sessionId: '12',
        sequenceNum: max64.toString(),
        createService: {
          service: 'atomix.multiraft.atomic.value.v1.AtomicValue',
          name: 'ключ',
        },
      },
    },
    expected: {
      input: {
        case: 'sessionInput',
        value: {
          sessionId: 12n,
          sequenceNum: max64,
          input: {
            case: 'createService',
            value: {
              service: 'atomix.multiraft.atomic.value.v1.AtomicValue',
              namespace: '',
              name: 'ключ',
            },
          },
        },
      },
    },
  }),
  vector({
    name: 'PartitionInput session_input close_service',
    schema: fsm.PartitionInputSchema,
    independent: {
      sessionInput: {
        sessionId: '3',
        sequenceNum: '4',
        closeService: { serviceId: top64.toString() },
      },
    },
    expected: {
      input: {
        case: 'sessionInput',
        value: {
          sessionId: 3n,
          sequenceNum: 4n,
          input: { case: 'closeService', value: { serviceId: top64 } },
        },
      },
    },
  }),
  vector({
    name: 'PartitionInput session_input service_input',
    schema: fsm.PartitionInputSchema,
    independent: {
      sessionInput: {
        sessionId: '3',
        sequenceNum: '5',
        serviceInput: { serviceId: '9', payload: Buffer.from([0, 255]) },
      },
    },
    expected: {
      input: {
        case: 'sessionInput',
        value: {
          sessionId: 3n,
          sequenceNum: 5n,
          input: {
            case: 'serviceInput',
            value: { serviceId: 9n, payload: new Uint8Array([0, 255]) },
          },
        },
      },
    },
  }),
  vector({
    name: 'PartitionOutput session_output create_service',
    schema: fsm.PartitionOutputSchema,
    independent: { sessionOutput: { createService: { serviceId: max64.toString() } } },
    expected: {
      output: {
        case: 'sessionOutput',
        value: { output: { case: 'createService', value: { serviceId: max64 } } },
      },
    },
  }),
  vector({
    name: 'PartitionOutput open_session',
    schema: fsm.PartitionOutputSchema,
    independent: { openSession: {} },
    expected: { output: { case: 'openSession', value: { sessionId: 0n } } },
    hex: '0a00',
  }),
  vector({
    name: 'PartitionOutput keep_alive',
    schema: fsm.PartitionOutputSchema,
    independent: { keepAlive: {} },
    expected: { output: { case: 'keepAlive', value: {} } },
    hex: '1200',
  }),
  vector({
    name: 'AtomicValueInput set with ttl and if_absent',
    schema: value.AtomicValueInputSchema,
    independent: {
      set: { value: Buffer.from('hi'), ttl: { seconds: '5', nanos: 1 }, ifAbsent: true },
    },
    expected: {
      input: {
        case: 'set',
        value: {
          value: new Uint8Array([104, 105]),
          ttl: { seconds: 5n, nanos: 1 },
          ifAbsent: true,
        },
      },
    },
  }),
  ...u64.map((n) =>
    vector({
      name: `AtomicValueInput update prev_index ${n}`,
      schema: value.AtomicValueInputSchema,
      independent: {
        update: {
          value: Buffer.from('x'),
          ...nonZero({ prevIndex: n }),
          ttl: { seconds: '-1', nanos: -5 },
        },
      },
      expected: {
        input: {
          case: 'update',
          value: { value: new Uint8Array([120]), prevIndex: n, ttl: { seconds: -1n, nanos: -5 } },
        },
      },
    }),
  ),
  vector({
    name: 'AtomicValueInput delete',
    schema: value.AtomicValueInputSchema,
    independent: { delete: { prevIndex: max64.toString() } },
    expected: { input: { case: 'delete', value: { prevIndex: max64 } } },
  }),
  ...(['get', 'watch', 'events'] as const).map((op) =>
    vector({
      name: `AtomicValueInput ${op}`,
      schema: value.AtomicValueInputSchema,
      independent: { [op]: {} },
      expected: { input: { case: op, value: {} } },
    }),
  ),
  vector({
    name: 'AtomicValueOutput update',
    schema: value.AtomicValueOutputSchema,
    independent: {
      update: {
        index: max64.toString(),
        prevValue: { value: Buffer.from('a'), index: maxSafe.toString() },
      },
    },
    expected: {
      output: {
        case: 'update',
        value: { index: max64, prevValue: { value: new Uint8Array([97]), index: maxSafe } },
      },
    },
  }),
  vector({
    name: 'AtomicValueOutput events with Updated',
    schema: value.AtomicValueOutputSchema,
    independent: {
      events: {
        event: {
          updated: {
            value: { value: Buffer.from('b'), index: '8' },
            prevValue: { value: Buffer.from('a'), index: '7' },
          },
        },
      },
    },
    expected: {
      output: {
        case: 'events',
        value: {
          event: {
            event: {
              case: 'updated',
              value: {
                value: { value: new Uint8Array([98]), index: 8n },
                prevValue: { value: new Uint8Array([97]), index: 7n },
              },
            },
          },
        },
      },
    },
  }),
  vector({
    name: 'AtomicValueOutput events with Deleted expired',
    schema: value.AtomicValueOutputSchema,
    independent: {
      events: {
        event: {
          deleted: { value: { value: Buffer.from('b'), index: top64.toString() }, expired: true },
        },
      },
    },
    expected: {
      output: {
        case: 'events',
        value: {
          event: {
            event: {
              case: 'deleted',
              value: { value: { value: new Uint8Array([98]), index: top64 }, expired: true },
            },
          },
        },
      },
    },
  }),
  vector({
    name: 'AtomicValueState with expire and streams',
    schema: value.AtomicValueStateSchema,
    independent: {
      value: { value: Buffer.from('v'), index: '10' },
      expire: { seconds: '1700000000', nanos: 5000000 },
      streams: [{ sessionId: '2', sequenceNum: max64.toString() }],
    },
    expected: {
      value: { value: new Uint8Array([118]), index: 10n },
      expire: { seconds: 1700000000n, nanos: 5000000 },
      streams: [{ sessionId: 2n, sequenceNum: max64 }],
    },
  }),
  vector({
    name: 'LogEntry with input',
    schema: log.LogEntrySchema,
    independent: { timestampMs: '1700000000123', input: { keepAlive: { sessionId: '1' } } },
    expected: {
      timestampMs: 1700000000123n,
      entry: { case: 'input', value: { input: { case: 'keepAlive', value: { sessionId: 1n } } } },
    },
  }),
  vector({
    name: 'LogEntry tick',
    schema: log.LogEntrySchema,
    independent: { timestampMs: max64.toString(), tick: {} },
    expected: { timestampMs: max64, entry: { case: 'tick', value: {} } },
  }),
  vector({
    name: 'CommandOutput CONFLICT with current',
    schema: output.CommandOutputSchema,
    independent: {
      index: '5',
      sequenceNum: '1',
      status: 3,
      message: 'version conflict',
      current: Buffer.from([8, 1]),
      done: true,
    },
    expected: {
      index: 5n,
      sequenceNum: 1n,
      status: output.Status.CONFLICT,
      message: 'version conflict',
      current: new Uint8Array([8, 1]),
      done: true,
    },
  }),
  vector({
    name: 'QueryInput by primitive name',
    schema: output.QueryInputSchema,
    independent: {
      primitive: { service: 's', name: 'n' },
      payload: Buffer.from([10, 0]),
    },
    expected: {
      sessionId: 0n,
      target: { case: 'primitive', value: { service: 's', namespace: '', name: 'n' } },
      payload: new Uint8Array([10, 0]),
    },
  }),
  vector({
    name: 'PartitionSnapshot',
    schema: snapshot.PartitionSnapshotSchema,
    independent: {
      index: max64.toString(),
      term: '2',
      sessions: [
        {
          sessionId: '1',
          state: 1,
          retiredWatermark: '4',
          retired: ['6', '9'],
          commands: [{ sequenceNum: '5', phase: 1, outputs: [{ index: '7' }] }],
        },
      ],
      services: [
        {
          serviceId: '2',
          service: 's',
          namespace: 'default',
          name: 'n',
          sessions: ['1'],
          state: Buffer.from([1]),
        },
      ],
      timers: [{ deadlineMs: '100', seq: '3', kind: 2, ownerId: '2', tag: '1' }],
    },
    expected: {
      index: max64,
      term: 2n,
      sessions: [
        {
          sessionId: 1n,
          state: snapshot.SessionState.OPEN,
          retiredWatermark: 4n,
          retired: [6n, 9n],
          commands: [
            {
              sequenceNum: 5n,
              phase: snapshot.CommandPhase.RUNNING,
              outputs: [{ index: 7n, done: false }],
            },
          ],
        },
      ],
      services: [
        {
          serviceId: 2n,
          service: 's',
          namespace: 'default',
          name: 'n',
          sessions: [1n],
          state: new Uint8Array([1]),
        },
      ],
      timers: [
        { deadlineMs: 100n, seq: 3n, kind: snapshot.TimerKind.SERVICE, ownerId: 2n, tag: 1n },
      ],
    },
  }),
  vector({
    name: 'PartitionRequest with a command, a query and a cancel',
    schema: partition.PartitionRequestSchema,
    independent: {
      calls: [
        { callId: max64.toString(), partitionId: 4294967295, command: { openSession: {} } },
        { callId: '2', partitionId: 1, query: { serviceId: '9', payload: Buffer.from([1]) } },
        { callId: '3', partitionId: 1, cancel: {} },
      ],
    },
    expected: {
      calls: [
        {
          callId: max64,
          partitionId: 4294967295,
          kind: { case: 'command', value: { input: { case: 'openSession', value: {} } } },
        },
        {
          callId: 2n,
          partitionId: 1,
          kind: {
            case: 'query',
            value: { target: { case: 'serviceId', value: 9n }, payload: new Uint8Array([1]) },
          },
        },
        { callId: 3n, partitionId: 1, kind: { case: 'cancel', value: {} } },
      ],
    },
  }),
  vector({
    name: 'PartitionResponse with an output, a result, an end and an error',
    schema: partition.PartitionResponseSchema,
    independent: {
      replies: [
        { callId: '1', output: { index: '5', sequenceNum: '1', done: true } },
        {
          callId: '2',
          result: {
            index: top64.toString(),
            sequenceNum: '3',
            status: 3,
            current: Buffer.from([7]),
          },
        },
        { callId: '3', end: {} },
        {
          callId: '4',
          error: { code: 'NOT_LEADER', leaderId: '2', leaderAddress: 'n2:5678', safeToRetry: true },
        },
      ],
    },
    expected: {
      replies: [
        { callId: 1n, kind: { case: 'output', value: { index: 5n, sequenceNum: 1n, done: true } } },
        {
          callId: 2n,
          kind: {
            case: 'result',
            value: {
              index: top64,
              sequenceNum: 3n,
              status: output.Status.CONFLICT,
              current: new Uint8Array([7]),
            },
          },
        },
        { callId: 3n, kind: { case: 'end', value: {} } },
        {
          callId: 4n,
          kind: {
            case: 'error',
            value: {
              code: 'NOT_LEADER',
              leaderId: 2n,
              leaderAddress: 'n2:5678',
              safeToRetry: true,
            },
          },
        },
      ],
    },
  }),
];

/** protobufjs decodes uint64 map keys as 8-character hash strings; turn them back into decimals. */
function withDecimalMapKeys(object: Record<string, unknown>): Record<string, unknown> {
  const map = object.outputStreamSequenceNums as Record<string, unknown> | undefined;
  if (map === undefined) return object;
  const keys = Object.entries(map).map(([k, v]) => [
    k.length === 8 ? protobuf.util.LongBits.fromHash(k).toLong(true).toString() : k,
    v,
  ]);
  return { ...object, outputStreamSequenceNums: Object.fromEntries(keys) };
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('golden vectors against protobufjs', () => {
  for (const v of vectors) {
    test(v.name, () => {
      const type = root.lookupType(v.schema.typeName);
      const theirs = new Uint8Array(type.encode(type.fromObject(v.independent)).finish());
      expect(theirs.length, 'the independent encoder produced bytes').toBeGreaterThan(0);
      if (v.hex !== undefined) expect(hex(theirs)).toBe(v.hex);

      // Their bytes decode to the expected value and re-encode to the same bytes.
      const decoded = fromBinary(v.schema, theirs);
      expect(decoded).toEqual(create(v.schema, v.expected));
      expect(hex(toBinary(v.schema, decoded))).toBe(hex(theirs));

      // Our bytes decode identically in theirs.
      const ours = toBinary(v.schema, create(v.schema, v.expected));
      expect(hex(ours)).toBe(hex(theirs));
      // (Compared as decoded objects: protobufjs cannot re-encode uint64 map keys itself.)
      const asObject = { longs: String, bytes: String, defaults: false };
      expect(withDecimalMapKeys(type.toObject(type.decode(ours), asObject))).toEqual(
        type.toObject(type.fromObject(v.independent), asObject),
      );
    });
  }
});
