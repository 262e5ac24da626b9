import { create } from '@bufbuild/protobuf';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { PartitionConnection } from '../client/partition-connection.js';
import { nodeId, partitionId } from '../common/index.js';
import { PartitionInputSchema } from '../gen/atomix/multiraft/v1/fsm_pb.js';
import { QueryInputSchema } from '../gen/multiraft/v1/output_pb.js';
import type { CallReply } from '../session/index.js';
import { FakeBackend, startTestServer, type TestServer } from './_fake-partition-backend.js';
import { Forwarder } from './forwarder.js';
import { listenGrpc } from './grpc-server.js';
import { PartitionService } from './partition-service.js';

const p1 = partitionId(1);
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** Node 2 leads (a fake backend that answers); node 1 refuses with NOT_LEADER(2) and forwards. */
async function setup() {
  const leader: TestServer = await startTestServer();
  closers.push(() => leader.close());
  const forwarder = new Forwarder(nodeId(1), new Map([[nodeId(2), leader.address]]));
  const local = new FakeBackend();
  local.notLeader = nodeId(2);
  local.addresses.set(nodeId(2), leader.address);
  const service = new PartitionService({
    propose: (p, input, caller, forward) =>
      local.propose(p, input, forward ? forwarder.command(p, input, caller) : caller),
    query: (p, input, caller, forward) =>
      local.query(p, input, forward ? forwarder.query(p, input, caller) : caller),
    apiAddressOf: (node) => local.apiAddressOf(node),
  });
  const server = await listenGrpc({
    port: 0,
    routes: (r) => service.register(r),
    closeGraceMs: 200,
  });
  closers.push(async () => {
    service.close();
    await server.close();
    await forwarder.close();
  });
  const replies: CallReply[] = [];
  const lost: unknown[] = [];
  const client = new PartitionConnection({
    address: server.address,
    onReply: (reply) => replies.push(reply),
    onLost: (l) => lost.push(l),
  });
  closers.push(() => client.close());
  return { leader, client, replies, lost };
}

const input = create(PartitionInputSchema, {});
const query = create(QueryInputSchema, { payload: Uint8Array.of(7) });
const eventually = (check: () => void) => vi.waitFor(check, { timeout: 10_000, interval: 5 });

describe('Forwarder', () => {
  test('a call marked forward reaches the leader through a follower; unmarked, NOT_LEADER', async () => {
    const { leader, client, replies } = await setup();
    client.send(1, p1, { kind: 'propose', input, forward: true });
    client.send(2, p1, { kind: 'query', input: query, forward: true });
    client.send(3, p1, { kind: 'propose', input });
    await eventually(() =>
      expect(replies.map((r) => [r.call, r.kind]).sort()).toEqual(
        [
          [1, 'output'],
          [2, 'result'],
          [2, 'end'],
          [3, 'error'],
        ].sort(),
      ),
    );
    expect(leader.backend.commands).toHaveLength(1);
    expect(leader.backend.queries).toHaveLength(1);
    const refused = replies.find((r) => r.call === 3);
    expect(refused).toMatchObject({ kind: 'error', code: 'NOT_LEADER', leaderHint: 2 });
  });

  test('one hop only: a leader that moved answers NOT_LEADER, relayed with its hint', async () => {
    const { leader, client, replies } = await setup();
    leader.backend.notLeader = nodeId(3);
    client.send(1, p1, { kind: 'propose', input, forward: true });
    await eventually(() => expect(replies).toHaveLength(1));
    expect(replies[0]).toMatchObject({ kind: 'error', code: 'NOT_LEADER', leaderHint: 3 });
    expect(leader.backend.commands).toHaveLength(0);
  });

  test('the link to the leader breaks: forwarded calls fail, the outcome unknown', async () => {
    const { leader, client, replies } = await setup();
    leader.backend.hold = true;
    client.send(1, p1, { kind: 'propose', input, forward: true });
    await eventually(() => expect(leader.backend.commands).toHaveLength(1));
    await leader.close();
    await eventually(() => expect(replies).toHaveLength(1));
    expect(replies[0]).toMatchObject({ kind: 'error', code: 'UNAVAILABLE', safeToRetry: false });
  });
});
