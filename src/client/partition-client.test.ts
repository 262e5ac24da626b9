// The partition client over several loopback servers with fake backends: the session layer's Call
// machinery on real timers, leader hints, lost connections, deadlines and close.
import { create } from '@bufbuild/protobuf';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { type NodeId, nodeId, partitionId } from '../common/index.js';
import { PartitionInputSchema } from '../gen/atomix/multiraft/v1/fsm_pb.js';
import { type CommandOutput, QueryInputSchema, Status } from '../gen/multiraft/v1/output_pb.js';
import { startTestServer, type TestServer } from '../server/_fake-partition-backend.js';
import { CallGaveUpError } from './errors.js';
import { PartitionClient, type PartitionClientOptions } from './partition-client.js';

/** Waits for a condition; generous, since a loaded CI machine is slow (no timing asserted). */
const eventually = (check: () => void) => vi.waitFor(check, { timeout: 10_000, interval: 5 });

const p1 = partitionId(1);
const input = create(PartitionInputSchema);

const servers: TestServer[] = [];
const clients: PartitionClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function cluster(n: number): Promise<TestServer[]> {
  const started = await Promise.all(Array.from({ length: n }, () => startTestServer()));
  servers.push(...started);
  return started;
}

function client(
  nodes: readonly TestServer[],
  options: Partial<PartitionClientOptions> = {},
): PartitionClient {
  const c = new PartitionClient({
    nodes: new Map(nodes.map((s, i) => [nodeId(i + 1), s.address])),
    // Long enough that a slow machine never times an attempt out unless a test means it to.
    attemptTimeoutMs: 10_000,
    ...options,
  });
  clients.push(c);
  return c;
}

describe('partition client', () => {
  test('propose and query round-trip through the first node', async () => {
    const [a] = await cluster(1);
    const c = client([a!]);
    const output = await c.propose(p1, input);
    expect(output).toMatchObject({ status: Status.OK, index: 1n, done: true });
    const read = await c.query(p1, create(QueryInputSchema, { payload: Uint8Array.of(4) }));
    expect(read).toEqual({ result: { status: Status.OK, payload: Uint8Array.of(4) }, index: 1 });
    expect(c.openCallCount).toBe(0);
  });

  test('a Call follows NOT_LEADER to the named node and remembers the leader', async () => {
    const [a, b] = await cluster(2);
    a!.backend.notLeader = nodeId(2);
    const c = client([a!, b!]);
    const answered = new Promise<CommandOutput>((resolve, reject) => {
      c.call({
        partition: p1,
        payload: { kind: 'propose', input },
        deadline: c.timers.now + 5_000,
        onReply: (reply) => {
          if (reply.kind !== 'output') return false;
          resolve(reply.output);
          return true;
        },
        onGiveUp: () => reject(new Error('gave up')),
      });
    });
    expect((await answered).status).toBe(Status.OK);
    expect(c.leaderOf(p1)).toBe(2);
    expect(a!.backend.commands).toHaveLength(0);
    expect(b!.backend.commands).toHaveLength(1);
    // The next call goes straight to the leader.
    await c.propose(p1, input);
    expect(b!.backend.commands).toHaveLength(2);
  });

  test('NOT_LEADER naming a node the client was not given: it learns its address', async () => {
    const [a, b] = await cluster(2);
    a!.backend.notLeader = nodeId(7);
    a!.backend.addresses.set(nodeId(7), b!.address);
    const c = client([a!]);
    await c.propose(p1, input);
    expect(c.nodes).toEqual([1, 7]);
    expect(c.addressOf(nodeId(7) as NodeId)).toBe(b!.address);
    expect(b!.backend.commands).toHaveLength(1);
  });

  test('NOT_LEADER without a hint rotates through the nodes', async () => {
    const [a, b] = await cluster(2);
    a!.backend.notLeader = 0;
    const c = client([a!, b!]);
    await c.propose(p1, input);
    expect(c.leaderOf(p1)).toBe(2);
  });

  test('a lost connection moves the call to the next node', async () => {
    const [a, b] = await cluster(2);
    a!.backend.hold = true;
    const c = client([a!, b!], { attemptTimeoutMs: 60_000 });
    const answer = c.propose(p1, input);
    await eventually(() => expect(a!.backend.commands).toHaveLength(1));
    await a!.close();
    const output = await answer;
    expect(output.status).toBe(Status.OK);
    expect(b!.backend.commands).toHaveLength(1);
    expect(c.leaderOf(p1)).toBe(2);
  });

  test('a retry cancels the superseded attempt on its node', async () => {
    const [a, b] = await cluster(2);
    a!.backend.hold = true;
    const c = client([a!, b!], { attemptTimeoutMs: 100 });
    await c.propose(p1, input);
    expect(b!.backend.commands.length).toBeGreaterThanOrEqual(1);
    expect(a!.backend.commands.length).toBeGreaterThanOrEqual(1);
    await eventually(() => expect(a!.service.openCallCount).toBe(0));
  });

  test('a deadline gives up with mayHaveApplied; an abort signal too', async () => {
    const [a] = await cluster(1);
    a!.backend.hold = true;
    const c = client([a!], { attemptTimeoutMs: 60_000 });
    const late = await c.propose(p1, input, { timeoutMs: 50 }).catch((error: unknown) => error);
    expect(late).toBeInstanceOf(CallGaveUpError);
    expect(late).toMatchObject({ code: 'DEADLINE_EXCEEDED', mayHaveApplied: true });
    const abort = new AbortController();
    const aborted = c.propose(p1, input, { signal: abort.signal }).catch((error: unknown) => error);
    await eventually(() => expect(a!.backend.commands).toHaveLength(2));
    abort.abort();
    expect(await aborted).toMatchObject({ code: 'ABORTED' });
    expect(c.openCallCount).toBe(0);
    await eventually(() => expect(a!.service.openCallCount).toBe(0));
  });

  test('close() gives up open calls and ends the streams', async () => {
    const [a] = await cluster(1);
    a!.backend.hold = true;
    const c = client([a!]);
    const pending = c.propose(p1, input).catch((error: unknown) => error);
    await eventually(() => expect(a!.backend.commands).toHaveLength(1));
    await c.close();
    expect(await pending).toMatchObject({ code: 'ABORTED', mayHaveApplied: true });
    await eventually(() => expect(a!.service.streamCount).toBe(0));
    await expect(c.propose(p1, input)).rejects.toThrow(/closed/);
  });
});
