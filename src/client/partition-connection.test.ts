// One partition stream from the client end, against a real server with a fake backend on loopback.
import { create } from '@bufbuild/protobuf';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { nodeId, partitionId } from '../common/index.js';
import { PartitionInputSchema } from '../gen/atomix/multiraft/v1/fsm_pb.js';
import { QueryInputSchema, Status } from '../gen/multiraft/v1/output_pb.js';
import {
  startTestServer,
  type TestServer,
  watchPayload,
} from '../server/_fake-partition-backend.js';
import type { CallPayload, CallReply } from '../session/index.js';
import { ClientClosedError, ConnectionLostError, SendQueueFullError } from './errors.js';
import {
  type ConnectionLost,
  PartitionConnection,
  type PartitionConnectionLimits,
} from './partition-connection.js';

/** Waits for a condition; generous, since a loaded CI machine is slow (no timing asserted). */
const eventually = (check: () => void) => vi.waitFor(check, { timeout: 10_000, interval: 5 });

const p1 = partitionId(1);
const propose: CallPayload = { kind: 'propose', input: create(PartitionInputSchema) };
const get: CallPayload = {
  kind: 'query',
  input: create(QueryInputSchema, { payload: Uint8Array.of(5) }),
};
const watch: CallPayload = {
  kind: 'query',
  input: create(QueryInputSchema, { payload: watchPayload }),
};

const servers: TestServer[] = [];
const connections: PartitionConnection[] = [];
afterEach(async () => {
  await Promise.all(connections.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function server(port = 0): Promise<TestServer> {
  const s = await startTestServer({ port });
  servers.push(s);
  return s;
}

function connect(address: string, limits: Partial<PartitionConnectionLimits> = {}) {
  const replies: CallReply[] = [];
  const lost: ConnectionLost[] = [];
  const leaders: [number, string][] = [];
  const connection = new PartitionConnection({
    address,
    onReply: (reply) => replies.push(reply),
    onLost: (l) => lost.push(l),
    onLeaderAddress: (leader, at) => leaders.push([leader, at]),
    limits,
  });
  connections.push(connection);
  return { connection, replies, lost, leaders };
}

describe('partition connection', () => {
  test('calls sent in one turn share one frame; replies come back as CallReply', async () => {
    const s = await server();
    const { connection, replies } = connect(s.address);
    for (let call = 1; call <= 100; call++) connection.send(call, p1, propose);
    connection.send(101, p1, get);
    await eventually(() => expect(replies).toHaveLength(102));
    expect(s.backend.turns).toBe(1);
    expect(replies[0]).toMatchObject({ kind: 'output', call: 1 });
    // A unary query's result carries its end: the connection reports both.
    expect(replies.slice(100)).toEqual([
      {
        kind: 'result',
        call: 101,
        result: { status: Status.OK, payload: Uint8Array.of(5) },
        index: 100,
      },
      { kind: 'end', call: 101 },
    ]);
  });

  test('NOT_LEADER becomes an error reply with the hint, and the address is reported', async () => {
    const s = await server();
    s.backend.notLeader = nodeId(2);
    s.backend.addresses.set(nodeId(2), '127.0.0.2:5678');
    const { connection, replies, leaders } = connect(s.address);
    connection.send(1, p1, propose);
    await eventually(() => expect(replies).toHaveLength(1));
    expect(replies[0]).toEqual({
      kind: 'error',
      call: 1,
      code: 'NOT_LEADER',
      leaderHint: 2,
      safeToRetry: true,
    });
    expect(leaders).toEqual([[2, '127.0.0.2:5678']]);
  });

  test('cancel ends a query stream on the node', async () => {
    const s = await server();
    const { connection, replies } = connect(s.address);
    connection.send(1, p1, watch);
    await eventually(() => expect(replies).toHaveLength(1));
    connection.cancel(1, p1);
    await eventually(() => expect(s.backend.queries[0]?.caller.closed).toBe(true));
  });

  test('close() ends the stream cleanly; the node closes its callers; sends throw', async () => {
    const s = await server();
    const { connection, replies, lost } = connect(s.address);
    connection.send(1, p1, watch);
    await eventually(() => expect(replies).toHaveLength(1));
    await connection.close();
    await eventually(() => expect(s.backend.queries[0]?.caller.closed).toBe(true));
    await eventually(() => expect(s.service.streamCount).toBe(0));
    expect(lost).toEqual([]);
    expect(() => connection.send(2, p1, propose)).toThrow(ClientClosedError);
  });

  test('an aborted signal closes the connection', async () => {
    const s = await server();
    const abort = new AbortController();
    const replies: CallReply[] = [];
    const connection = new PartitionConnection({
      address: s.address,
      onReply: (reply) => replies.push(reply),
      onLost: () => {},
      signal: abort.signal,
    });
    connection.send(1, p1, watch);
    await eventually(() => expect(replies).toHaveLength(1));
    abort.abort();
    await eventually(() => expect(s.backend.queries[0]?.caller.closed).toBe(true));
    expect(() => connection.send(2, p1, propose)).toThrow(ClientClosedError);
  });

  test('the unsent queue is bounded', async () => {
    const s = await server();
    const { connection } = connect(s.address, { unsentCallsMax: 2 });
    connection.send(1, p1, propose);
    connection.send(2, p1, propose);
    expect(() => connection.send(3, p1, propose)).toThrow(SendQueueFullError);
  });

  test('request frames are cut at the calls-per-frame limit', async () => {
    const s = await server();
    const { connection, replies } = connect(s.address, { callsPerFrameMax: 10 });
    for (let call = 1; call <= 35; call++) connection.send(call, p1, propose);
    await eventually(() => expect(replies).toHaveLength(35));
    expect(s.backend.turns).toBeGreaterThanOrEqual(2);
    expect(replies.map((r) => r.call)).toEqual(Array.from({ length: 35 }, (_, i) => i + 1));
  });

  test('a server that stops is reported once; the next send reconnects', async () => {
    const first = await server();
    first.backend.hold = true;
    const { connection, replies, lost } = connect(first.address);
    connection.send(1, p1, propose);
    await eventually(() => expect(first.backend.commands).toHaveLength(1));
    await first.close();
    await eventually(() => expect(lost).toHaveLength(1));
    expect(lost[0]?.error).toBeInstanceOf(ConnectionLostError);
    expect(connection.connected).toBe(false);
    const second = await server(first.port);
    connection.send(2, p1, propose);
    await eventually(() => expect(replies).toHaveLength(1));
    expect(replies[0]).toMatchObject({ kind: 'output', call: 2 });
    expect(second.backend.commands).toHaveLength(1);
    expect(lost).toHaveLength(1);
  });

  test('no server at the address: the connection is reported lost', async () => {
    const s = await server();
    const address = s.address;
    await s.close();
    servers.length = 0;
    const { connection, lost } = connect(address);
    connection.send(1, p1, propose);
    await eventually(() => expect(lost).toHaveLength(1));
    expect(lost[0]?.error.code).toBe('UNAVAILABLE');
  });
});
