// The AtomicValue gateway in process: a gateway with small limits on its own gRPC server, in front
// of a real single-node cluster started in this process. Covers what the generic-client tests on
// real processes cannot reach: the bounded events buffer, cancellation releasing everything, and a
// gateway closing under open streams.

import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, toBinary } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PartitionClient } from '../client/partition-client.js';
import { nodeId } from '../common/index.js';
import { AtomicValue, EventsRequestSchema } from '../gen/multiraft/v1/atomic_value_pb.js';
import { AtomicValueService } from './atomic-value-service.js';
import { resolveConfig } from './config.js';
import { type GrpcServer, listenGrpc } from './grpc-server.js';
import { type RunningNode, startNode } from './node.js';

let dir: string;
let node: RunningNode;
let partitionClient: PartitionClient;
let gateway: AtomicValueService;
let server: GrpcServer;
let client: ReturnType<typeof createClient<typeof AtomicValue>>;

const text = (s: string) => new TextEncoder().encode(s);

async function codeOf(call: Promise<unknown>): Promise<Code | 'ok'> {
  try {
    await call;
    return 'ok';
  } catch (error) {
    return ConnectError.from(error).code;
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'multiraft-gateway-'));
  const config = resolveConfig({
    flags: { dataDir: dir, apiPort: '0', peerPort: '0', httpPort: '0', partitions: '2' },
    env: {},
  });
  node = await startNode(config, pino({ level: 'silent' }));
  for (const started = Date.now(); !node.ready(); ) {
    if (Date.now() - started > 10_000) throw new Error('the node did not become ready');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  partitionClient = new PartitionClient({ nodes: new Map([[nodeId(1), node.addresses.api]]) });
  gateway = new AtomicValueService({
    client: partitionClient,
    partitions: 2,
    limits: { eventsBufferMax: 4, valueBytesMax: 64 * 1024 },
  });
  server = await listenGrpc({ port: 0, routes: (router) => gateway.register(router) });
  client = createClient(AtomicValue, createGrpcTransport({ baseUrl: `http://${server.address}` }));
}, 30_000);

afterAll(async () => {
  await server?.close();
  await partitionClient?.close();
  await node?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the AtomicValue gateway', () => {
  test('answers through the node; a value over its own limit is INVALID_ARGUMENT', async () => {
    const { version } = await client.set({ name: 'g', value: text('one') });
    expect(version).toBeGreaterThan(0n);
    expect((await client.get({ name: 'g' })).value?.value).toEqual(text('one'));
    expect(await codeOf(client.set({ name: 'g', value: new Uint8Array(64 * 1024 + 1) }))).toBe(
      Code.InvalidArgument,
    );
    expect(gateway.sessionCount).toBe(1);
  });

  test('a subscriber that does not read falls behind the buffer: RESOURCE_EXHAUSTED', async () => {
    // A raw HTTP/2 gRPC call whose reader pauses: the flow-control window fills, then the
    // gateway's buffer of 4 events. (connect-es and grpc-js clients read eagerly.)
    const session = connect(`http://${server.address}`);
    const request = session.request({
      ':method': 'POST',
      ':path': '/multiraft.v1.AtomicValue/Events',
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    const body = toBinary(EventsRequestSchema, create(EventsRequestSchema, { name: 'flood' }));
    const frame = new Uint8Array(5 + body.length);
    new DataView(frame.buffer).setUint32(1, body.length);
    frame.set(body, 5);
    request.end(frame);
    const trailers = new Promise<string | undefined>((resolve) => {
      request.on('trailers', (t) => resolve(t['grpc-status'] as string | undefined));
    });
    // Headers arrive once the subscription is in place; then nothing is read.
    await new Promise((resolve) => request.once('response', resolve));
    request.pause();
    const big = new Uint8Array(32 * 1024);
    for (let i = 0; i < 40; i++) await client.set({ name: 'flood', value: big });
    request.resume();
    expect(await trailers).toBe(String(Code.ResourceExhausted));
    await expect.poll(() => gateway.streamCount).toBe(0);
    session.close();
  });

  test('cancelled streams release their calls: none left after many cycles', async () => {
    await client.set({ name: 'cycled', value: text('v') });
    for (let i = 0; i < 50; i++) {
      const abort = new AbortController();
      const kind = i % 2 === 0 ? client.watch : client.events;
      const stream = kind({ name: 'cycled' }, { signal: abort.signal })[Symbol.asyncIterator]();
      if (i % 2 === 0) await stream.next();
      abort.abort();
      await stream.next().catch(() => undefined);
    }
    await expect.poll(() => gateway.streamCount).toBe(0);
    await expect.poll(() => partitionClient.openCallCount).toBe(0);
  });

  test('close ends open streams with UNAVAILABLE and closes the sessions; later calls are refused', async () => {
    const watch = client.watch({ name: 'g' })[Symbol.asyncIterator]();
    expect((await watch.next()).value?.value?.value).toEqual(text('one'));
    const events = client.events({ name: 'g' })[Symbol.asyncIterator]();
    const pending = codeOf(events.next());
    await expect.poll(() => gateway.streamCount).toBe(2);
    await gateway.close();
    expect(await codeOf(watch.next())).toBe(Code.Unavailable);
    expect(await pending).toBe(Code.Unavailable);
    expect(gateway.sessionCount).toBe(0);
    expect(await codeOf(client.get({ name: 'g' }))).toBe(Code.Unavailable);
  });
});
