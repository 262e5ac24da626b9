// Helpers for the transport's socket tests: clusters of transports on loopback, collectors of
// received batches, message factories (tests only).

import { createServer } from 'node:net';
import {
  logIndex,
  type NodeId,
  nodeId,
  type PartitionId,
  partitionId,
  term,
} from '../common/index.js';
import { type HeartbeatMessage, type Message, MessageType } from '../raft/index.js';
import type { PartitionMessage } from './frame-codec.js';
import type { TcpTransportOptions } from './options.js';
import { TcpTransport } from './peer-transport.js';
import type { TransportLogger } from './transport.js';

export const testLimits = {
  reconnectDelayMsMin: 5,
  reconnectDelayMsMax: 50,
  handshakeTimeoutMs: 2_000,
} as const;

export function heartbeat(from: number, to: number, context: number): HeartbeatMessage {
  return {
    type: MessageType.Heartbeat,
    from: nodeId(from),
    to: nodeId(to),
    term: term(1),
    commit: logIndex(0),
    context,
  };
}

export interface Received {
  readonly from: NodeId;
  readonly batch: readonly PartitionMessage[];
}

export class Node {
  readonly received: Received[] = [];

  constructor(
    readonly transport: TcpTransport,
    readonly logs: string[] = [],
  ) {
    transport.onMessages((from, batch) => this.received.push({ from, batch }));
  }

  get id(): NodeId {
    return this.transport.nodeId;
  }

  /** Every message received from `from`, in arrival order. */
  messagesFrom(from: number): Message[] {
    return this.received
      .filter((r) => r.from === from)
      .flatMap((r) => r.batch.map((m) => m.message));
  }

  contextsFrom(from: number): number[] {
    return this.messagesFrom(from).map((m) => (m.type === MessageType.Heartbeat ? m.context : -1));
  }
}

export function collectingLogger(lines: string[]): TransportLogger {
  return {
    debug: (m) => lines.push(`debug ${m}`),
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
  };
}

/** Starts transports with ids 1..n on free loopback ports and gives each the others' addresses. */
export async function startNodes(
  n: number,
  extra: Partial<TcpTransportOptions> = {},
  clusterId = 'test-cluster',
): Promise<Node[]> {
  const nodes: Node[] = [];
  for (let i = 1; i <= n; i++) {
    const logs: string[] = [];
    const transport = await TcpTransport.start({
      nodeId: nodeId(i),
      clusterId,
      listen: { host: '127.0.0.1', port: 0 },
      limits: testLimits,
      logger: collectingLogger(logs),
      ...extra,
    });
    nodes.push(new Node(transport, logs));
  }
  for (const a of nodes) {
    for (const b of nodes) if (a !== b) a.transport.setPeer(b.id, b.transport.address);
  }
  return nodes;
}

export async function closeAll(nodes: readonly Node[]): Promise<void> {
  await Promise.all(nodes.map((n) => n.transport.close()));
}

/** A loopback port that nothing listens on (it was bound, then released). */
export async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export const p = (n: number): PartitionId => partitionId(n);
