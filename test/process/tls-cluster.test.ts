// TLS and the development commands against real processes (issue 7): `multiraft certs` makes
// certificates that nodes accept; `multiraft cluster --nodes 3 --tls-dir` starts a cluster whose
// printed endpoints answer; clients that trust the CA work (our PartitionClient, forwarded between
// nodes over TLS, and @grpc/grpc-js), plain-text clients and clients of another CA do not; a node
// with a certificate of another CA is refused by its peer; SIGINT stops every node, exit 0.

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { clientExitCodes } from '../../src/cli/client-exit-codes.js';
import { runStatus } from '../../src/cli/status.js';
import { runValue } from '../../src/cli/value.js';
import { PartitionClient } from '../../src/client/partition-client.js';
import type { ClientTlsOptions } from '../../src/client/partition-connection.js';
import { type NodeId, nodeId, partitionId } from '../../src/common/index.js';
import { GenericClient, type GenericValue } from './generic-client.js';
import { ProcessCluster } from './process-cluster.js';
import { ValueSession } from './value-session.js';

const root = new URL('../../', import.meta.url).pathname;
const cli = ['--import', 'tsx', 'src/cli/main.ts'];
const p1 = partitionId(1);

interface PrintedNode {
  readonly id: NodeId;
  readonly pid: number;
  readonly api: string;
  readonly http: string;
}

/** The Partition service as @grpc/grpc-js loads it: `Stream` is a bidirectional stream. */
type PartitionStub = grpc.Client & {
  Stream(): grpc.ClientDuplexStream<object, { replies: { error?: { code: string } }[] }>;
};

interface CliRun {
  readonly child: ChildProcess;
  readonly stdout: string[];
  readonly stderr: string[];
  readonly exited: Promise<number | null>;
}

let dir: string;
let certsOutput: string;
let cluster: CliRun;
let nodes: PrintedNode[] = [];
const clients: PartitionClient[] = [];
const read = (file: string) => readFileSync(join(dir, file), 'utf8');

function runCli(args: readonly string[]): CliRun {
  const child = spawn(process.execPath, [...cli, ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  return { child, stdout, stderr, exited };
}

/** The node lines `multiraft cluster` prints once every node is ready. */
function printedNodes(text: string): PrintedNode[] {
  const pattern = /node (\d+) \(pid (\d+)\): API (\S+), peers \S+, http:\/\/(\S+)\/readyz/g;
  return [...text.matchAll(pattern)].map(([, id, pid, api, http]) => ({
    id: nodeId(Number(id)),
    pid: Number(pid),
    api: api!,
    http: http!,
  }));
}

function client(entry: PrintedNode, tls: ClientTlsOptions | undefined, timeoutMs = 20_000) {
  const c = new PartitionClient({
    nodes: new Map([[entry.id, entry.api]]),
    attemptTimeoutMs: 1_000,
    callTimeoutMs: timeoutMs,
    forward: true,
    tls,
  });
  clients.push(c);
  return c;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'multiraft-tls-proc-'));
  const certs = (out: string, n: number) =>
    promisify(execFile)(
      process.execPath,
      [...cli, 'certs', `--out=${join(dir, out)}`, `--nodes=${n}`],
      {
        cwd: root,
      },
    );
  const [made] = await Promise.all([certs('certs', 3), certs('rogue', 2)]);
  certsOutput = made.stdout;
  cluster = runCli([
    ...['cluster', '--nodes=3', '--base-port=0', '--partitions=3'],
    ...[`--data-dir=${join(dir, 'data')}`, `--tls-dir=${join(dir, 'certs')}`],
  ]);
  await vi.waitFor(
    () => {
      if (cluster.child.exitCode !== null) throw new Error(`cluster exited: ${cluster.stderr}`);
      expect(cluster.stderr.join('')).toContain('Ctrl-C stops every node.');
    },
    { timeout: 60_000, interval: 50 },
  );
  nodes = printedNodes(cluster.stderr.join(''));
}, 90_000);

afterAll(async () => {
  for (const c of clients) await c.close();
  if (cluster?.child.exitCode === null) {
    cluster.child.kill('SIGKILL');
    for (const n of nodes) process.kill(n.pid, 'SIGKILL');
  }
  await rm(dir, { recursive: true, force: true });
});

describe('multiraft certs', () => {
  test('prints the flags of every node and the CA clients trust', () => {
    expect(certsOutput).toContain(`--api-tls-cert=${join(dir, 'certs', 'node-3.crt')}`);
    expect(certsOutput).toContain(`clients trust ${join(dir, 'certs', 'ca.crt')}`);
    for (const f of ['ca.crt', 'node-1.key', 'client.crt', 'client.key']) {
      expect(read(`certs/${f}`)).toContain('-----BEGIN');
    }
  });
});

describe('multiraft cluster --nodes 3 with TLS', () => {
  test('prints every node; the printed HTTP endpoints answer /readyz', async () => {
    expect(nodes.map((n) => n.id)).toEqual([1, 2, 3]);
    for (const n of nodes) expect((await fetch(`http://${n.http}/readyz`)).status).toBe(200);
  });

  test('a PartitionClient trusting the CA works through every node (forwarding is TLS too)', async () => {
    for (const entry of nodes) {
      const session = await ValueSession.open(client(entry, { ca: read('certs/ca.crt') }), p1);
      const service = await session.create(`tls-${entry.id}`);
      await session.set(service, `over TLS via ${entry.id}`);
      expect(await session.get(`tls-${entry.id}`)).toBe(`over TLS via ${entry.id}`);
      await session.close();
    }
  });

  test('a PartitionClient in plain text, or trusting another CA, gets no answer', async () => {
    for (const tls of [undefined, { ca: read('rogue/ca.crt') }]) {
      await expect(ValueSession.open(client(nodes[0]!, tls, 2_000), p1)).rejects.toMatchObject({
        name: 'CallGaveUpError',
      });
    }
  });

  test('@grpc/grpc-js with the CA calls the Partition service; plain text and unknown CAs fail', async () => {
    const definition = protoLoader.loadSync('multiraft/v1/partition.proto', {
      includeDirs: [join(root, 'proto')],
      longs: String,
    });
    const proto = grpc.loadPackageDefinition(definition) as unknown as {
      multiraft: { v1: { Partition: grpc.ServiceClientConstructor } };
    };
    const call = (credentials: grpc.ChannelCredentials) =>
      new Promise<unknown>((resolve, reject) => {
        const stub = new proto.multiraft.v1.Partition(
          nodes[1]!.api,
          credentials,
        ) as unknown as PartitionStub;
        const s = stub.Stream();
        s.on('data', (frame) => {
          resolve(frame.replies[0]?.error?.code);
          s.end();
          stub.close();
        });
        s.on('error', (error) => {
          stub.close();
          reject(error);
        });
        s.write({ calls: [{ callId: '1', partitionId: 999, query: {} }] });
      });
    const ca = Buffer.from(read('certs/ca.crt'));
    expect(await call(grpc.credentials.createSsl(ca))).toBe('UNKNOWN_PARTITION');
    const unavailable = { code: grpc.status.UNAVAILABLE };
    await expect(call(grpc.credentials.createInsecure())).rejects.toMatchObject(unavailable);
    const rogue = Buffer.from(read('rogue/ca.crt'));
    await expect(call(grpc.credentials.createSsl(rogue))).rejects.toMatchObject(unavailable);
  });

  test('a generic gRPC client with the CA sets and gets an AtomicValue through every node', async () => {
    const ca = Buffer.from(read('certs/ca.crt'));
    for (const entry of nodes) {
      const c = new GenericClient(entry.api, grpc.credentials.createSsl(ca));
      const name = `generic-tls-${entry.id}`;
      await c.unary('Set', { name, value: Buffer.from('secret') });
      const got = await c.unary<{ value: GenericValue }>('Get', { name });
      expect(got.value.value.toString()).toBe('secret');
      c.close();
    }
  });

  test('multiraft value and status with --tls-ca work; in plain text they find no cluster (exit 5)', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = {
      out: (line: string) => out.push(line),
      err: (line: string) => err.push(line),
      env: {},
      stop: new AbortController().signal,
    };
    const endpoints = nodes.map((n) => n.api).join(',');
    const tls = { endpoints, tlsCa: join(dir, 'certs/ca.crt') };
    const set = { action: 'set', name: 'cli-tls', value: 'over tls', flags: tls } as const;
    expect(await runValue(set, io)).toBe(0);
    expect(await runValue({ action: 'get', name: 'cli-tls', flags: tls }, io)).toBe(0);
    expect(out.at(-1)).toBe('over tls');
    expect(await runStatus({ ...tls, json: true }, io)).toBe(0);
    expect(JSON.parse(out.at(-1)!).nodes).toHaveLength(3);
    expect(err).toEqual([]);
    expect(await runStatus({ endpoints }, io)).toBe(clientExitCodes.unavailable);
    expect(err).toEqual([expect.stringMatching(/^UNAVAILABLE: /)]);
  });

  test('a node whose key does not match its certificate: a config error, exit 2', async () => {
    const run = runCli([
      ...['start', `--data-dir=${join(dir, 'bad')}`, '--api-port=0', '--peer-port=0'],
      ...['--http-port=0', `--api-tls-cert=${join(dir, 'certs/node-1.crt')}`],
      `--api-tls-key=${join(dir, 'certs/node-2.key')}`,
    ]);
    expect(await run.exited).toBe(2);
    expect(run.stdout.join('')).toContain('invalid apiTlsCert');
  });

  test('SIGINT to the command stops every node and exits 0', async () => {
    cluster.child.kill('SIGINT');
    // On failure, the command's own account of which node exited how.
    expect(await cluster.exited, cluster.stderr.join('')).toBe(0);
    expect(cluster.stderr.join('')).toContain('every node stopped');
    for (const n of nodes) expect(() => process.kill(n.pid, 0)).toThrow(/ESRCH/);
  });
});

describe('multiraft cluster when a node exits on its own', () => {
  test('the others are stopped and the exit is 1', async () => {
    // Node 1's API port is taken, so it exits at start.
    const busy: Server = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      const run = runCli([
        ...['cluster', '--nodes=2', `--base-port=${port}`, '--partitions=2'],
        `--data-dir=${join(dir, 'data-busy')}`,
      ]);
      expect(await run.exited).toBe(1);
      expect(run.stderr.join('')).toMatch(/node 1 exited with code 1 on its own/);
      for (const n of printedNodes(run.stderr.join(''))) {
        expect(() => process.kill(n.pid, 0)).toThrow(/ESRCH/);
      }
    } finally {
      busy.close();
    }
  });
});

describe('a node with a certificate of another CA', () => {
  test('is refused by its peer; the cluster does not become ready', async () => {
    const tlsOf = (certs: string, id: number) => [
      `--tls-cert=${join(dir, certs, `node-${id}.crt`)}`,
      `--tls-key=${join(dir, certs, `node-${id}.key`)}`,
      `--tls-ca=${join(dir, certs, 'ca.crt')}`,
    ];
    const pair = await ProcessCluster.start({
      nodes: 2,
      partitions: 2,
      replication: 2,
      nodeFlags: (id) => (id === 1 ? tlsOf('certs', 1) : tlsOf('rogue', 2)),
    });
    try {
      const refusals = () => pair.output(nodeId(2)).match(/TLS refused/g)?.length ?? 0;
      await vi.waitFor(() => expect(refusals()).toBeGreaterThanOrEqual(2), {
        timeout: 20_000,
        interval: 50,
      });
      for (const id of pair.ids) {
        expect((await fetch(`http://${pair.httpAddress(id)}/readyz`)).status).toBe(503);
      }
    } finally {
      await pair.destroy();
    }
  });
});
