// The server side of the partition protocol, driven over loopback by a raw gRPC client, so every
// assertion is about frames on the wire.
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createGrpcTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { nodeId } from '../common/index.js';
import { Status } from '../gen/multiraft/v1/output_pb.js';
import { PartitionRequestFrameSchema } from '../gen/multiraft/v1/partition_frames_pb.js';
import {
  Partition,
  PartitionCallSchema,
  type PartitionReply,
  type PartitionRequest,
  PartitionRequestSchema,
  type PartitionResponse,
} from '../gen/multiraft/v1/partition_pb.js';
import { encodeCall, PartitionFrames } from '../protocol/index.js';
import { startTestServer, type TestServer, watchPayload } from './_fake-partition-backend.js';
import type { PartitionServiceLimits } from './partition-service.js';

/** Waits for a condition; generous, since a loaded CI machine is slow (no timing asserted). */
const eventually = (check: () => void) => vi.waitFor(check, { timeout: 10_000, interval: 5 });

type CallInit = MessageInitShape<typeof PartitionCallSchema>;

const command = (callId: number, partitionId = 1): CallInit => ({
  callId: BigInt(callId),
  partitionId,
  kind: { case: 'command', value: {} },
});
const query = (callId: number, payload = Uint8Array.of(7), partitionId = 1): CallInit => ({
  callId: BigInt(callId),
  partitionId,
  kind: { case: 'query', value: { payload } },
});
const cancel = (callId: number): CallInit => ({
  callId: BigInt(callId),
  partitionId: 1,
  kind: { case: 'cancel', value: {} },
});

/** A raw client stream: frames in, frames out, no batching of its own. */
function openStream(address: string) {
  const sessions = new Http2SessionManager(`http://${address}`);
  const client = createClient(
    Partition,
    createGrpcTransport({ baseUrl: `http://${address}`, sessionManager: sessions }),
  );
  const queue: PartitionRequest[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  async function* requests(): AsyncGenerator<PartitionRequest> {
    for (;;) {
      const next = queue.shift();
      if (next !== undefined) {
        yield next;
      } else if (ended) {
        return;
      } else {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    }
  }
  const abort = new AbortController();
  const frames = client.stream(requests(), { signal: abort.signal })[Symbol.asyncIterator]();
  const stream = {
    send(...calls: CallInit[]) {
      queue.push(create(PartitionRequestSchema, { calls }));
      wake?.();
    },
    /** The next frame of replies. */
    async frame(): Promise<PartitionResponse> {
      const next = await frames.next();
      if (next.done) throw new Error('the stream ended');
      return next.value;
    },
    /** Replies until `n` have arrived. */
    async replies(n: number): Promise<PartitionReply[]> {
      const out: PartitionReply[] = [];
      while (out.length < n) out.push(...(await stream.frame()).replies);
      return out;
    },
    next: () => frames.next(),
    halfClose() {
      ended = true;
      wake?.();
    },
    reset: () => abort.abort(),
    dispose: () => sessions.abort(),
  };
  streams.push(stream);
  return stream;
}

const servers: TestServer[] = [];
const streams: { dispose(): void }[] = [];
async function server(limits: Partial<PartitionServiceLimits> = {}): Promise<TestServer> {
  const s = await startTestServer({ limits });
  servers.push(s);
  return s;
}

afterEach(async () => {
  for (const s of streams.splice(0)) s.dispose();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('partition service', () => {
  test('commands and queries round-trip; a unary query is one result marked done', async () => {
    const s = await server();
    const stream = openStream(s.address);
    stream.send(command(1), query(2, Uint8Array.of(9)));
    const [out, result] = await stream.replies(2);
    expect(out?.callId).toBe(1n);
    expect(out?.kind.case).toBe('output');
    if (out?.kind.case === 'output') {
      expect(out.kind.value.status).toBe(Status.OK);
      expect(out.kind.value.done).toBe(true);
    }
    expect(result?.callId).toBe(2n);
    expect(result?.kind.case).toBe('result');
    if (result?.kind.case === 'result') {
      expect(result.kind.value).toMatchObject({ sequenceNum: 1n, index: 1n, done: true });
      expect(result.kind.value.payload).toEqual(Uint8Array.of(9));
    }
    expect(s.service.openCallCount).toBe(0);
  });

  test('the replies of one turn leave in one frame', async () => {
    const s = await server();
    const stream = openStream(s.address);
    const calls = Array.from({ length: 200 }, (_, i) => command(i + 1));
    stream.send(...calls);
    const frame = await stream.frame();
    expect(frame.replies.map((r) => r.callId)).toEqual(calls.map((c) => c.callId));
    expect(s.backend.turns).toBe(1);
  });

  test('reply frames are split at the frame size limit', async () => {
    const s = await server({ replyFrameBytesMax: 1_000 });
    s.backend.outputPayloadBytes = 400;
    const stream = openStream(s.address);
    stream.send(...Array.from({ length: 6 }, (_, i) => command(i + 1)));
    const sizes: number[] = [];
    for (let n = 0; n < 6; ) {
      const frame = await stream.frame();
      sizes.push(frame.replies.length);
      n += frame.replies.length;
    }
    expect(sizes).toEqual([2, 2, 2]);
  });

  test('replies beyond the pending limit end the stream with RESOURCE_EXHAUSTED', async () => {
    const s = await server({ pendingReplyBytesMax: 10_000 });
    s.backend.outputPayloadBytes = 1_000;
    const stream = openStream(s.address);
    stream.send(query(1, watchPayload), ...Array.from({ length: 20 }, (_, i) => command(i + 2)));
    const error = await stream.frame().then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    expect(error?.code).toBe(Code.ResourceExhausted);
    expect(s.backend.queries[0]?.caller.closed).toBe(true);
    await eventually(() => expect(s.service.streamCount).toBe(0));
  });

  test('NOT_LEADER names the leader and its API address; safe to retry', async () => {
    const s = await server();
    s.backend.notLeader = nodeId(3);
    s.backend.addresses.set(nodeId(3), '10.0.0.3:5678');
    const stream = openStream(s.address);
    stream.send(command(1), query(2));
    for (const reply of await stream.replies(2)) {
      expect(reply.kind.case).toBe('error');
      if (reply.kind.case === 'error') {
        expect(reply.kind.value).toMatchObject({
          code: 'NOT_LEADER',
          leaderId: 3n,
          leaderAddress: '10.0.0.3:5678',
          safeToRetry: true,
        });
      }
    }
  });

  test('beyond the open-call limit a call gets RESOURCE_EXHAUSTED, safe to retry', async () => {
    const s = await server({ openCallsPerStreamMax: 2 });
    s.backend.hold = true;
    const stream = openStream(s.address);
    stream.send(command(1), command(2), command(3));
    const [refused] = await stream.replies(1);
    expect(refused?.callId).toBe(3n);
    expect(refused?.kind.value).toMatchObject({ code: 'RESOURCE_EXHAUSTED', safeToRetry: true });
    // Once a call is over there is room again.
    s.backend.commands[0]?.caller.output(s.backend.output());
    const [done] = await stream.replies(1);
    expect(done?.callId).toBe(1n);
    stream.send(command(4));
    await eventually(() => expect(s.backend.commands).toHaveLength(3));
  });

  test('calls beyond the per-frame limit are refused; cancels still pass', async () => {
    const s = await server({ callsPerFrameMax: 2 });
    const stream = openStream(s.address);
    stream.send(command(1), command(2), command(3), query(4));
    const replies = await stream.replies(4);
    const refused = replies.filter((r) => r.kind.case === 'error').map((r) => r.callId);
    expect(refused).toEqual([3n, 4n]);
  });

  test('a malformed call or unknown partition errors that call only', async () => {
    const s = await server();
    const stream = openStream(s.address);
    stream.send(
      command(1, 99),
      command(2, 0),
      { callId: 3n, partitionId: 1 },
      command(0),
      command(5),
    );
    const replies = await stream.replies(5);
    const byId = new Map(replies.map((r) => [r.callId, r]));
    expect(byId.get(1n)?.kind.value).toMatchObject({ code: 'UNKNOWN_PARTITION' });
    expect(byId.get(2n)?.kind.value).toMatchObject({ code: 'INVALID' });
    expect(byId.get(3n)?.kind.value).toMatchObject({ code: 'INVALID' });
    expect(byId.get(0n)?.kind.value).toMatchObject({ code: 'INVALID' });
    expect(byId.get(5n)?.kind.case).toBe('output');
    // The stream is still up.
    stream.send(command(6));
    expect((await stream.replies(1))[0]?.callId).toBe(6n);
  });

  test('bytes that are no PartitionCall end the stream with INVALID_ARGUMENT; none of their frame runs', async () => {
    const s = await server();
    const sessions = new Http2SessionManager(`http://${s.address}`);
    streams.push({ dispose: () => sessions.abort() });
    const client = createClient(
      PartitionFrames,
      createGrpcTransport({ baseUrl: `http://${s.address}`, sessionManager: sessions }),
    );
    const good = encodeCall(create(PartitionCallSchema, command(1)));
    // A length-delimited field 3 (the command) whose length runs past the end.
    const bad = Uint8Array.of(0x08, 2, 0x1a, 9, 0);
    async function* requests() {
      yield create(PartitionRequestFrameSchema, { calls: [good, bad] });
      await new Promise(() => {}); // keep the request side open: the node must end the stream
    }
    const reading = (async () => {
      for await (const _ of client.stream(requests())) {
        // no reply is expected
      }
    })();
    await expect(reading).rejects.toMatchObject({ code: Code.InvalidArgument });
    expect(s.backend.commands).toHaveLength(0);
  });

  test('cancel closes a query stream: its caller is closed, nothing more is sent', async () => {
    const s = await server();
    const stream = openStream(s.address);
    stream.send(query(1, watchPayload));
    const [first] = await stream.replies(1);
    expect(first?.kind.value).toMatchObject({ sequenceNum: 1n, done: false });
    const watch = s.backend.queries[0]!.caller;
    watch.next({ status: Status.OK, payload: watchPayload }, s.backend.index());
    expect((await stream.replies(1))[0]?.kind.value).toMatchObject({ sequenceNum: 2n });
    stream.send(cancel(1));
    await eventually(() => expect(watch.closed).toBe(true));
    watch.next({ status: Status.OK, payload: watchPayload }, s.backend.index());
    watch.end();
    stream.send(command(2));
    const [next] = await stream.replies(1);
    expect(next?.callId).toBe(2n);
  });

  test('a cancelled command drops its later outputs', async () => {
    const s = await server();
    s.backend.hold = true;
    const stream = openStream(s.address);
    stream.send(command(1));
    await eventually(() => expect(s.backend.commands).toHaveLength(1));
    stream.send(cancel(1));
    await eventually(() => expect(s.service.openCallCount).toBe(0));
    s.backend.commands[0]?.caller.output(s.backend.output());
    s.backend.hold = false;
    stream.send(command(2));
    expect((await stream.replies(1)).map((r) => r.callId)).toEqual([2n]);
  });

  test('a query that ends after its results were sent gets an End reply', async () => {
    const s = await server();
    const stream = openStream(s.address);
    stream.send(query(1, watchPayload));
    await stream.replies(1);
    s.backend.queries[0]?.caller.end();
    const [end] = await stream.replies(1);
    expect(end?.kind.case).toBe('end');
  });

  test('the client half-closing ends the stream and closes its calls', async () => {
    const s = await server();
    s.backend.hold = true;
    const stream = openStream(s.address);
    stream.send(query(1, watchPayload), command(2));
    await stream.replies(1);
    stream.halfClose();
    expect((await stream.next()).done).toBe(true);
    expect(s.backend.queries[0]?.caller.closed).toBe(true);
    await eventually(() => expect(s.service.streamCount).toBe(0));
    expect(s.service.openCallCount).toBe(0);
  });

  test('a client reset closes the server-side callers', async () => {
    const s = await server();
    const stream = openStream(s.address);
    stream.send(query(1, watchPayload));
    await stream.replies(1);
    stream.reset();
    await eventually(() => expect(s.backend.queries[0]?.caller.closed).toBe(true));
    await eventually(() => expect(s.service.streamCount).toBe(0));
  });

  test('closing the service flushes replies, then ends streams with UNAVAILABLE', async () => {
    const s = await server();
    s.backend.hold = true;
    const stream = openStream(s.address);
    stream.send(command(1));
    await eventually(() => expect(s.backend.commands).toHaveLength(1));
    s.backend.commands[0]?.caller.output(s.backend.output());
    s.service.close();
    const replies: PartitionReply[] = [];
    const error = await (async () => {
      try {
        for (;;) replies.push(...(await stream.frame()).replies);
      } catch (e) {
        return ConnectError.from(e);
      }
    })();
    expect(replies.map((r) => r.callId)).toEqual([1n]);
    expect(error.code).toBe(Code.Unavailable);
  });
});
