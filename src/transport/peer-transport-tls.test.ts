// Mutual TLS between transports, with a throwaway CA and node certificates made by the openssl CLI.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { nodeId } from '../common/index.js';
import { closeAll, heartbeat, type Node, p, startNodes } from './_test-helpers.js';
import type { TransportTlsOptions } from './options.js';

const waitFor = <T>(fn: () => T) => vi.waitFor(fn, { timeout: 10_000, interval: 5 });

let dir: string;
let tls: (name: string, ca?: string) => TransportTlsOptions;

/** Runs the openssl CLI in the temporary directory; arguments split on spaces. */
function openssl(args: string): void {
  execFileSync('openssl', args.split(' '), { cwd: dir, stdio: 'pipe' });
}

const ec = '-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes';

function makeCa(name: string): void {
  openssl(`req -x509 ${ec} -keyout ${name}.key -out ${name}.crt -days 1 -subj /CN=${name}`);
}

function makeCert(name: string, ca: string): void {
  openssl(`req ${ec} -keyout ${name}.key -out ${name}.csr -subj /CN=${name}`);
  openssl(
    `x509 -req -in ${name}.csr -CA ${ca}.crt -CAkey ${ca}.key -CAcreateserial ` +
      `-out ${name}.crt -days 1 -extfile ext.cnf`,
  );
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'multiraft-tls-'));
  writeFileSync(
    join(dir, 'ext.cnf'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n',
  );
  makeCa('ca');
  makeCa('rogue-ca');
  for (const n of ['node-1', 'node-2', 'node-3']) makeCert(n, 'ca');
  makeCert('rogue', 'rogue-ca');
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  tls = (name, ca = 'ca') => ({
    ca: read(`${ca}.crt`),
    cert: read(`${name}.crt`),
    key: read(`${name}.key`),
  });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

let open: Node[] = [];
afterEach(async () => {
  await closeAll(open);
  open = [];
});

async function tlsNodes(names: string[], ca = 'ca'): Promise<Node[]> {
  const nodes: Node[] = [];
  for (const [i, name] of names.entries()) {
    const [node] = await startNodes(1, { nodeId: nodeId(i + 1), tls: tls(name, ca) });
    nodes.push(node!);
  }
  open.push(...nodes);
  return nodes;
}

/** A raw TLS client; resolves with the bytes it received once the server closed it. */
function rawTlsClient(port: number, options: object): Promise<number> {
  return new Promise((resolve) => {
    let received = 0;
    const socket = connect({ host: '127.0.0.1', port, ...options });
    socket.on('data', (d: Buffer) => {
      received += d.length;
    });
    socket.on('secureConnect', () => socket.write('x'));
    socket.on('error', () => {});
    socket.on('close', () => resolve(received));
  });
}

describe('TcpTransport with mutual TLS', () => {
  it('exchanges messages between nodes holding certificates of the cluster CA', async () => {
    const [a, b, c] = await tlsNodes(['node-1', 'node-2', 'node-3']);
    for (const x of [a!, b!, c!]) {
      for (const y of [a!, b!, c!]) if (x !== y) x.transport.setPeer(y.id, y.transport.address);
    }
    a!.transport.send(b!.id, p(1), heartbeat(1, 2, 12));
    c!.transport.send(a!.id, p(2), heartbeat(3, 1, 31));
    await waitFor(() => expect(b!.contextsFrom(1)).toEqual([12]));
    await waitFor(() => expect(a!.contextsFrom(3)).toEqual([31]));
    expect(b!.transport.stats().tlsErrors).toBe(0);
  });

  it('refuses a client without a certificate, or with one of another CA', async () => {
    const [, b] = await tlsNodes(['node-1', 'node-2']);
    const port = b!.transport.address.port;
    const ca = tls('node-1').ca;
    expect(await rawTlsClient(port, { ca })).toBe(0);
    expect(await rawTlsClient(port, { ca, cert: tls('rogue').cert, key: tls('rogue').key })).toBe(
      0,
    );
    await waitFor(() => expect(b!.transport.stats().tlsErrors).toBe(2));
    expect(b!.transport.stats().connectionsAccepted).toBe(0);
    expect(b!.logs.filter((l) => l.includes('TLS refused'))).toHaveLength(2);
  });

  it('closes promptly while a TLS handshake is pending', async () => {
    const [node] = await startNodes(1, { nodeId: nodeId(2), tls: tls('node-2') });
    const socket = netConnect({ host: '127.0.0.1', port: node!.transport.address.port });
    socket.on('error', () => {});
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    await node!.transport.close(); // would wait for the silent socket if it were not tracked
    await closed;
  });

  it('a node of another CA neither connects nor delivers', async () => {
    const [good] = await startNodes(1, { nodeId: nodeId(2), tls: tls('node-2') });
    // The rogue has a certificate of another CA; its id is lower, so it dials.
    const [rogue] = await startNodes(1, { nodeId: nodeId(1), tls: tls('rogue', 'rogue-ca') });
    open.push(good!, rogue!);
    good!.transport.setPeer(rogue!.id, rogue!.transport.address);
    rogue!.transport.setPeer(good!.id, good!.transport.address);
    rogue!.transport.send(good!.id, p(1), heartbeat(1, 2, 1));
    await waitFor(() => expect(good!.transport.stats().tlsErrors).toBeGreaterThanOrEqual(2));
    expect(good!.received).toEqual([]);
    expect(rogue!.transport.peerStatus(good!.id)?.connected).toBe(false);
  });
});
