import { request } from 'node:http';
import { describe, expect, test } from 'vitest';
import { type HttpRoute, startHttpServer } from './http.js';

const silent = { warn() {} };

function checks(state: { live: boolean; ready: boolean }) {
  return { live: () => state.live, ready: () => state.ready };
}

async function get(address: string, path: string, method = 'GET') {
  const response = await fetch(`http://${address}${path}`, { method });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text };
}

describe('health endpoints', () => {
  test('/healthz follows live(), /readyz follows live() and ready()', async () => {
    const state = { live: true, ready: false };
    await using server = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      logger: silent,
      ...checks(state),
    });
    expect(server.address).toMatch(/^127\.0\.0\.1:\d+$/);

    let reply = await get(server.address, '/healthz');
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.text)).toEqual({ status: 'ok' });
    expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
    expect(reply.headers.get('cache-control')).toBe('no-store');

    reply = await get(server.address, '/readyz');
    expect(reply.status).toBe(503);
    expect(JSON.parse(reply.text)).toEqual({
      status: 'not ready',
      reason: 'not every local partition has a known leader',
    });

    state.ready = true;
    reply = await get(server.address, '/readyz?verbose');
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.text)).toEqual({ status: 'ready' });

    state.live = false;
    expect((await get(server.address, '/healthz')).status).toBe(503);
    reply = await get(server.address, '/readyz');
    expect(reply.status).toBe(503);
    expect(JSON.parse(reply.text).reason).toBe('the node has failed');
  });

  test('unknown paths are 404, other methods 405, HEAD has no body', async () => {
    await using server = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      logger: silent,
      ...checks({ live: true, ready: true }),
    });
    expect((await get(server.address, '/')).status).toBe(404);
    expect((await get(server.address, '/healthz/x')).status).toBe(404);
    const post = await get(server.address, '/healthz', 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const head = await get(server.address, '/readyz', 'HEAD');
    expect(head).toMatchObject({ status: 200, text: '' });
  });

  test('a check that throws answers 500 and is logged', async () => {
    const warnings: string[] = [];
    await using server = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      logger: { warn: (_fields, message) => warnings.push(message) },
      live: () => true,
      ready: () => {
        throw new Error('boom');
      },
    });
    expect((await get(server.address, '/readyz')).status).toBe(500);
    expect(warnings).toEqual(['http route failed']);
  });
});

test('extra routes plug in beside the health routes but cannot replace them', async () => {
  const metrics: HttpRoute = () => ({ status: 200, body: 'up 1\n', contentType: 'text/plain' });
  const routes = new Map<string, HttpRoute>([
    ['/metrics', metrics],
    ['/healthz', () => ({ status: 418, body: '' })],
  ]);
  await using server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    logger: silent,
    routes,
    ...checks({ live: true, ready: true }),
  });
  const reply = await get(server.address, '/metrics');
  expect(reply).toMatchObject({ status: 200, text: 'up 1\n' });
  expect(reply.headers.get('content-type')).toBe('text/plain');
  expect((await get(server.address, '/healthz')).status).toBe(200);
});

test('a port in use rejects the start', async () => {
  const options = { host: '127.0.0.1', logger: silent, ...checks({ live: true, ready: true }) };
  await using first = await startHttpServer({ ...options, port: 0 });
  const port = Number(first.address.split(':').pop());
  await expect(startHttpServer({ ...options, port })).rejects.toMatchObject({
    code: 'EADDRINUSE',
  });
});

test('close ends open keep-alive connections at once and is idempotent', async () => {
  const server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    logger: silent,
    ...checks({ live: true, ready: true }),
  });
  const [host, port] = [server.address.split(':')[0], Number(server.address.split(':')[1])];
  // A kept-alive connection holding an idle socket; close must not wait for its timeout.
  let responded!: () => void;
  const idle = new Promise<void>((resolve) => {
    responded = resolve;
  });
  const agentClosed = new Promise<void>((resolve) => {
    const req = request({
      host,
      port,
      path: '/healthz',
      agent: false,
      headers: { connection: 'keep-alive' },
    });
    req.on('response', (res) => {
      res.resume();
      res.socket.on('close', () => resolve());
      res.on('end', () => responded());
    });
    req.end();
  });
  // Closing before the answer arrived would test nothing (and under load it did: a hang).
  await idle;
  const started = Date.now();
  await Promise.all([server.close(), server.close()]);
  await agentClosed;
  expect(Date.now() - started).toBeLessThan(1_000);
  await expect(fetch(`http://${server.address}/healthz`)).rejects.toThrow();
});
