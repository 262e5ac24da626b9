import { connect, createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { logIndex, nodeId, term } from '../common/index.js';
import { type AppendMessage, MessageType } from '../raft/index.js';
import {
  closeAll,
  collectingLogger,
  deadPort,
  heartbeat,
  Node,
  p,
  startNodes,
  testLimits,
} from './_test-helpers.js';
import {
  encodeBatchFrame,
  encodeHandshakeFrame,
  type Frame,
  FrameDecoder,
  FrameType,
  protocolVersion,
} from './frame-codec.js';
import { TcpTransport } from './peer-transport.js';

const waitFor = <T>(fn: () => T) => vi.waitFor(fn, { timeout: 10_000, interval: 5 });
let open: Node[] = [];

afterEach(async () => {
  await closeAll(open);
  open = [];
});

async function nodes(n: number, extra = {}, clusterId?: string): Promise<Node[]> {
  const started = await startNodes(n, extra, clusterId);
  open.push(...started);
  return started;
}

/** A raw socket to `port` that records whether the other side closed it. */
async function rawSocket(port: number): Promise<{ socket: Socket; closed: Promise<void> }> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  socket.resume(); // read (and discard) what the transport sends, so that 'close' is emitted
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return { socket, closed };
}

describe('TcpTransport on loopback', () => {
  it('delivers one turn of messages to a node as one batch, in order, both ways', async () => {
    const [a, b] = await nodes(2);
    for (let i = 1; i <= 200; i++) a!.transport.send(b!.id, p(i), heartbeat(1, 2, i));
    await waitFor(() => expect(b!.received).toHaveLength(1));
    const batch = b!.received[0]!.batch;
    expect(batch.map((m) => m.partitionId)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(b!.contextsFrom(1)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));

    // The acceptor answers over the same connection.
    for (let i = 1; i <= 50; i++) b!.transport.send(a!.id, p(i), heartbeat(2, 1, i));
    await waitFor(() => expect(a!.received).toHaveLength(1));
    expect(a!.received[0]!.batch).toHaveLength(50);
    expect(a!.transport.stats()).toMatchObject({
      messagesSent: 200,
      messagesReceived: 50,
      connectionsDialed: 1,
      connectionsAccepted: 0,
      messagesDropped: 0,
    });
    expect(b!.transport.stats()).toMatchObject({ connectionsAccepted: 1, connectionsDialed: 0 });
  });

  it('carries every field of large Append messages, split into frames of batchBytesMax', async () => {
    const [a, b] = await nodes(2, { limits: { ...testLimits, batchBytesMax: 64 * 1024 } });
    const data = new Uint8Array(10_000).map((_, i) => i % 251);
    const sent: AppendMessage[] = [];
    for (let i = 0; i < 40; i++) {
      const m: AppendMessage = {
        type: MessageType.Append,
        from: nodeId(1),
        to: nodeId(2),
        term: term(5),
        prevIndex: logIndex(i),
        prevTerm: term(4),
        entries: [{ term: term(5), index: logIndex(i + 1), type: 0, data }],
        commit: logIndex(i),
      };
      sent.push(m);
      a!.transport.send(b!.id, p(3), m);
    }
    await waitFor(() => expect(b!.messagesFrom(1)).toHaveLength(40));
    // Compared as encoded bytes: a deep equal over 400 kB of typed arrays is slow.
    const bytesOf = (ms: readonly AppendMessage[]) =>
      Buffer.from(encodeBatchFrame(ms.map((message) => ({ partitionId: p(3), message }))));
    const got = b!.messagesFrom(1) as AppendMessage[];
    expect(got.map((m) => m.type)).toEqual(sent.map(() => MessageType.Append));
    expect(bytesOf(got).equals(bytesOf(sent))).toBe(true);
    expect(b!.received.length).toBeGreaterThan(1); // 400 kB do not fit one 64 kB batch
  });

  it('holds messages while the socket is full, and sends them on drain, losing none', async () => {
    // Node 2 is a raw server that answers the handshake, then stops reading for a while.
    const frames: Frame[] = [];
    const decoder = new FrameDecoder();
    let peerSocket: Socket | undefined;
    const server = createServer((socket) => {
      peerSocket = socket;
      socket.write(handshake('test-cluster', 2));
      socket.pause();
      socket.on('data', (chunk) => {
        const result = decoder.push(chunk);
        if (!result.ok) throw result.error;
        frames.push(...result.value);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const limits = { ...testLimits, socketBufferBytesMax: 64 * 1024, batchBytesMax: 32 * 1024 };
      const [a] = await nodes(1, { limits });
      a!.transport.setPeer(nodeId(2), { host: '127.0.0.1', port });
      await waitFor(() => expect(a!.transport.peerStatus(nodeId(2))?.connected).toBe(true));
      const n = 1000;
      for (let i = 0; i < n; i++)
        a!.transport.send(nodeId(2), p(i), withCommit(bigAppend(20_000), i));
      // 20 MB do not fit the kernel's buffers: the rest waits in the queue, not in the socket.
      await waitFor(() => expect(a!.logs.some((l) => l.includes('waiting for drain'))).toBe(true));
      expect(a!.transport.peerStatus(nodeId(2))!.queuedMessages).toBeGreaterThan(0);
      peerSocket!.resume();
      const commits = () =>
        frames
          .flatMap((f) => (f.type === FrameType.Batch ? f.batch : []))
          .map((m) => (m.message.type === MessageType.Append ? m.message.commit : -1));
      await waitFor(() => expect(commits()).toHaveLength(n));
      expect(commits()).toEqual(Array.from({ length: n }, (_, i) => i));
      expect(a!.transport.stats().messagesDropped).toBe(0);
    } finally {
      peerSocket?.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('connects three nodes pairwise, each pair over one connection', async () => {
    const all = await nodes(3);
    for (const from of all) {
      for (const to of all) {
        if (from !== to) from.transport.send(to.id, p(1), heartbeat(from.id, to.id, from.id * 10));
      }
    }
    for (const node of all) {
      await waitFor(() => expect(node.received).toHaveLength(2));
      for (const other of all) {
        if (other !== node) expect(node.contextsFrom(other.id)).toEqual([other.id * 10]);
      }
    }
    const dialed = all.map((n) => n.transport.stats().connectionsDialed);
    const accepted = all.map((n) => n.transport.stats().connectionsAccepted);
    expect(dialed).toEqual([2, 1, 0]); // the lower id dials
    expect(accepted).toEqual([0, 1, 2]);
  });

  it.each([
    ['the dialer', 0],
    ['the acceptor', 1],
  ])('reconnects after %s loses the socket; later messages arrive', async (_, killer) => {
    const [a, b] = await nodes(2);
    a!.transport.send(b!.id, p(1), heartbeat(1, 2, 1));
    await waitFor(() => expect(b!.contextsFrom(1)).toEqual([1]));
    const [x, y] = killer === 0 ? [a!, b!] : [b!, a!];
    expect(x.transport.dropConnection(y.id)).toBe(true);

    // Like Raft, retransmit until it arrives: a message written just as the socket dies is lost.
    let context = 100;
    await waitFor(() => {
      a!.transport.send(b!.id, p(1), heartbeat(1, 2, context++));
      b!.transport.send(a!.id, p(1), heartbeat(2, 1, context++));
      expect(b!.contextsFrom(1).some((c) => c >= 100)).toBe(true);
      expect(a!.contextsFrom(2).some((c) => c >= 100)).toBe(true);
    });
    expect(a!.transport.stats().reconnects).toBeGreaterThanOrEqual(1);
    expect(b!.transport.stats().connectionsAccepted).toBeGreaterThanOrEqual(2);
  });

  it('bounds the send queue in messages and bytes, drops and counts beyond it', async () => {
    const logs: string[] = [];
    const a = new Node(
      await TcpTransport.start({
        nodeId: nodeId(1),
        clusterId: 'test-cluster',
        listen: { port: 0 },
        peers: [[nodeId(2), { host: '127.0.0.1', port: await deadPort() }]],
        limits: { ...testLimits, sendQueueMessagesMax: 10, sendQueueBytesMax: 50_000 },
        logger: collectingLogger(logs),
      }),
      logs,
    );
    open.push(a);
    const accepted = Array.from({ length: 25 }, (_, i) =>
      a.transport.send(nodeId(2), p(1), heartbeat(1, 2, i)),
    );
    expect(accepted.filter((x) => x)).toHaveLength(10);
    expect(a.transport.stats().messagesDropped).toBe(15);
    expect(a.transport.peerStatus(nodeId(2))).toMatchObject({
      connected: false,
      queuedMessages: 10,
    });
    expect(a.transport.send(nodeId(9), p(1), heartbeat(1, 9, 0))).toBe(false); // unknown node
    expect(a.transport.stats().messagesDropped).toBe(16);

    // The byte limit: one large message more does not fit the 50 kB.
    const [b] = await nodes(1, { nodeId: nodeId(2) });
    expect(b!.transport.send(nodeId(1), p(1), bigAppend(10, 2, 1))).toBe(false); // no peer 1 yet
    b!.transport.setPeer(nodeId(1), a.transport.address);
    a.transport.removePeer(nodeId(2));
    expect(a.transport.stats().messagesDropped).toBe(26); // the 10 queued are dropped too
    a.transport.setPeer(nodeId(2), { host: '127.0.0.1', port: await deadPort() });
    expect(a.transport.send(nodeId(2), p(1), bigAppend(60_000))).toBe(false);
    expect(a.transport.send(nodeId(2), p(1), bigAppend(20_000))).toBe(true);
    expect(a.transport.send(nodeId(2), p(1), bigAppend(20_000))).toBe(true);
    expect(a.transport.send(nodeId(2), p(1), bigAppend(20_000))).toBe(false);

    // Once the peer's address is known, what was queued is delivered.
    a.transport.setPeer(nodeId(2), b!.transport.address);
    await waitFor(() => expect(b!.messagesFrom(1)).toHaveLength(2));
  });

  it('drops a message larger than frameBytesMax and keeps sending the others', async () => {
    const limits = { ...testLimits, frameBytesMax: 32 * 1024, batchBytesMax: 16 * 1024 };
    const [a, b] = await nodes(2, { limits });
    a!.transport.send(b!.id, p(1), heartbeat(1, 2, 1));
    a!.transport.send(b!.id, p(1), bigAppend(40_000));
    a!.transport.send(b!.id, p(1), heartbeat(1, 2, 2));
    await waitFor(() => expect(b!.contextsFrom(1)).toEqual([1, 2]));
    expect(a!.transport.stats().messagesDropped).toBe(1);
    expect(a!.logs.some((l) => l.includes('larger than frameBytesMax'))).toBe(true);
  });

  it('disconnects a peer speaking garbage; the other peers keep working', async () => {
    const [a, b] = await nodes(2);
    const target = b!.transport.address.port;

    const garbage = await rawSocket(target);
    garbage.socket.write(new Uint8Array(64).fill(0xab)); // length 0xabababab > frameBytesMax
    await garbage.closed;

    // A valid handshake, then a frame with one flipped byte.
    const corrupt = await rawSocket(target);
    corrupt.socket.write(handshake('test-cluster', 1));
    const frame = encodeBatchFrame([{ partitionId: p(1), message: heartbeat(1, 2, 5) }]);
    frame[frame.length - 1]! ^= 1;
    corrupt.socket.write(frame);
    await corrupt.closed;

    // A valid frame whose message claims another sender.
    const spoof = await rawSocket(target);
    spoof.socket.write(handshake('test-cluster', 1));
    spoof.socket.write(encodeBatchFrame([{ partitionId: p(1), message: heartbeat(3, 2, 6) }]));
    await spoof.closed;

    expect(b!.transport.stats().malformedFrames).toBe(3);
    expect(b!.contextsFrom(1)).not.toContain(6);
    const closedForGarbage = /^warn .* closed \((MALFORMED_FRAME|FRAME_TOO_LARGE)\)/;
    expect(b!.logs.filter((l) => closedForGarbage.test(l))).toHaveLength(3);
    let context = 1;
    await waitFor(() => {
      a!.transport.send(b!.id, p(1), heartbeat(1, 2, context++));
      b!.transport.send(a!.id, p(1), heartbeat(2, 1, context++));
      expect(b!.received.length).toBeGreaterThan(0);
      expect(a!.received.length).toBeGreaterThan(0);
    });
  });

  it('refuses a wrong cluster id, an unknown node and the wrong dialing direction', async () => {
    const [, b] = await nodes(2);
    const target = b!.transport.address.port;
    for (const [cluster, id] of [
      ['other-cluster', 1],
      ['test-cluster', 7],
      ['test-cluster', 3],
    ] as const) {
      const raw = await rawSocket(target);
      const replies: Buffer[] = [];
      raw.socket.on('data', (d: Buffer) => replies.push(d));
      raw.socket.write(handshake(cluster, id));
      await raw.closed;
      expect(replies).toEqual([]); // refused before b sends its own handshake
    }
    expect(b!.transport.stats().handshakesRefused).toBe(3);
    expect(b!.logs.filter((l) => l.includes('handshake refused'))).toHaveLength(3);

    // A whole transport of another cluster never connects and never delivers.
    const [stranger] = await nodes(1, {}, 'other-cluster');
    stranger!.transport.setPeer(nodeId(2), b!.transport.address);
    stranger!.transport.send(nodeId(2), p(1), heartbeat(1, 2, 1));
    await waitFor(() => expect(b!.transport.stats().handshakesRefused).toBeGreaterThan(4));
    expect(b!.received).toEqual([]);
    expect(stranger!.transport.peerStatus(nodeId(2))?.connected).toBe(false);
  });

  it('closes connections that do not complete the handshake in time, and bounds them', async () => {
    const limits = { ...testLimits, handshakeTimeoutMs: 100, inboundHandshakesMax: 2 };
    const [a, b] = await nodes(2, { limits });
    a!.transport.send(b!.id, p(1), heartbeat(1, 2, 1));
    await waitFor(() => expect(b!.contextsFrom(1)).toEqual([1]));
    const port = b!.transport.address.port;
    const silent = [await rawSocket(port), await rawSocket(port)];
    const third = await rawSocket(port); // over inboundHandshakesMax: refused at once
    await third.closed;
    expect(b!.transport.stats().handshakesRefused).toBe(1);
    await Promise.all(silent.map((s) => s.closed)); // the handshake timeout closes them
    await waitFor(() =>
      expect(b!.logs.filter((l) => l.includes('handshake timed out'))).toHaveLength(2),
    );
    // The established connection was not affected.
    a!.transport.send(b!.id, p(1), heartbeat(1, 2, 2));
    await waitFor(() => expect(b!.contextsFrom(1)).toEqual([1, 2]));
  });

  it('the dialer refuses a server that answers as another node', async () => {
    const server = createServer((socket) => {
      socket.on('error', () => {});
      socket.write(handshake('test-cluster', 3)); // dialed as node 2
      socket.resume();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const [a] = await nodes(1);
      a!.transport.setPeer(nodeId(2), { host: '127.0.0.1', port });
      a!.transport.send(nodeId(2), p(1), heartbeat(1, 2, 1));
      await waitFor(() => expect(a!.transport.stats().handshakesRefused).toBeGreaterThan(0));
      expect(a!.logs.some((l) => l.includes('dialed node 2, answered by 3'))).toBe(true);
      expect(a!.transport.stats().messagesSent).toBe(0);
    } finally {
      server.close();
    }
  });

  it('keeps an idle connection alive with pings', async () => {
    const limits = { ...testLimits, pingIntervalMs: 20, idleTimeoutMs: 1_000 };
    const [a, b] = await nodes(2, { limits });
    a!.transport.send(b!.id, p(1), heartbeat(1, 2, 1));
    await waitFor(() => expect(b!.received).toHaveLength(1));
    // Only pings flow from here on: 30 of them each way span more than one idle timeout.
    await waitFor(() => expect(b!.transport.stats().framesReceived).toBeGreaterThan(30));
    await waitFor(() => expect(a!.transport.stats().framesReceived).toBeGreaterThan(30));
    expect(a!.transport.stats()).toMatchObject({ connectionsDialed: 1, messagesSent: 1 });
    expect(b!.transport.stats().connectionsAccepted).toBe(1);
    expect(b!.received).toHaveLength(1);
  });

  it('tells the reachability listener when a peer stops being reachable', async () => {
    const [a, b, c] = await nodes(3);
    // What a listener sees when called: whether each peer is reachable then.
    const seen: boolean[][] = [];
    a!.transport.onReachabilityChange(() =>
      seen.push([a!.transport.reachable(b!.id), a!.transport.reachable(c!.id)]),
    );
    a!.transport.send(b!.id, p(1), heartbeat(1, 2, 1));
    a!.transport.send(c!.id, p(1), heartbeat(1, 3, 1));
    await waitFor(() => expect(b!.contextsFrom(1)).toEqual([1]));
    await waitFor(() => expect(c!.contextsFrom(1)).toEqual([1]));
    expect(seen).toEqual([]);
    // A lost socket: called with the peer already unreachable.
    a!.transport.dropConnection(b!.id);
    await waitFor(() => expect(seen[0]).toEqual([false, true]));
    // A removed peer.
    a!.transport.removePeer(c!.id);
    expect(seen.at(-1)).toEqual([expect.any(Boolean), false]);
  });

  it('closes a connection on which nothing arrives, and redials', async () => {
    // Node 2 is a raw server that answers the handshake, then never sends again.
    const server = createServer((socket) => {
      socket.on('error', () => {});
      socket.write(handshake('test-cluster', 2));
      socket.resume();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const limits = { ...testLimits, pingIntervalMs: 10, idleTimeoutMs: 50 };
      const [a] = await nodes(1, { limits });
      a!.transport.setPeer(nodeId(2), { host: '127.0.0.1', port });
      await waitFor(() => expect(a!.transport.stats().connectionsDialed).toBeGreaterThan(1));
      expect(a!.logs.some((l) => l.includes('closed (IDLE_TIMEOUT)'))).toBe(true);
    } finally {
      server.close();
    }
  });

  it('closes cleanly with await using and drops later sends', async () => {
    let transport: TcpTransport;
    {
      await using t = await TcpTransport.start({
        nodeId: nodeId(1),
        clusterId: 'c',
        listen: { port: 0 },
        peers: [[nodeId(2), { host: '127.0.0.1', port: await deadPort() }]],
        limits: testLimits,
      });
      transport = t;
      t.send(nodeId(2), p(1), heartbeat(1, 2, 1));
    }
    expect(transport.send(nodeId(2), p(1), heartbeat(1, 2, 2))).toBe(false);
    expect(transport.stats().messagesDropped).toBe(2); // the queued one and the late one
  });
});

function handshake(clusterId: string, id: number): Uint8Array {
  return encodeHandshakeFrame({ protocolVersion, clusterId, nodeId: nodeId(id) });
}

function bigAppend(bytes: number, from = 1, to = 2): AppendMessage {
  return {
    type: MessageType.Append,
    from: nodeId(from),
    to: nodeId(to),
    term: term(1),
    prevIndex: logIndex(0),
    prevTerm: term(0),
    entries: [{ term: term(1), index: logIndex(1), type: 0, data: new Uint8Array(bytes) }],
    commit: logIndex(0),
  };
}

function withCommit(m: AppendMessage, i: number): AppendMessage {
  return { ...m, commit: logIndex(i) };
}
