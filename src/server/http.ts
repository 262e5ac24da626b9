// The node's HTTP endpoints (DESIGN §7): `/healthz` (the process works) and `/readyz` (every local
// partition has a leader) for load balancers and orchestrators. Routes are a table, so `/metrics`
// is one more entry. Only GET and HEAD are served; there are no request bodies to bound.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatHostPort } from './peers.js';

/** What a route answers: a status and a body (JSON unless `contentType` says otherwise). */
export interface HttpReply {
  readonly status: number;
  readonly body: string;
  readonly contentType?: string;
}

export type HttpRoute = () => HttpReply | Promise<HttpReply>;

/** The narrow logger this server writes to (pino's fits). */
export interface HttpLogger {
  warn(fields: object, message: string): void;
}

export interface HttpServerOptions {
  readonly host: string;
  /** 0 picks a free port (see `HttpServer.address`). */
  readonly port: number;
  /** The node works (its write-ahead log has not failed). */
  readonly live: () => boolean;
  /** Every local partition has a known leader. */
  readonly ready: () => boolean;
  readonly logger: HttpLogger;
  /** More routes by path (e.g. `/metrics`); they may not replace the health routes. */
  readonly routes?: ReadonlyMap<string, HttpRoute>;
}

export interface HttpServer extends AsyncDisposable {
  /** host:port actually bound. */
  readonly address: string;
  /** Stops accepting and closes every connection, idle or not. Idempotent. */
  close(): Promise<void>;
}

/** A health check's request must not hang a connection: headers and request end within this. */
export const httpRequestTimeoutMs = 10_000;

const json = (status: number, value: object): HttpReply => ({
  status,
  body: `${JSON.stringify(value)}\n`,
});

/** The health routes: `/healthz` and `/readyz`, each 200 or 503 with a reason. */
export function healthRoutes(
  checks: Pick<HttpServerOptions, 'live' | 'ready'>,
): Map<string, HttpRoute> {
  return new Map<string, HttpRoute>([
    [
      '/healthz',
      () =>
        checks.live()
          ? json(200, { status: 'ok' })
          : json(503, { status: 'failed', reason: 'the write-ahead log has failed' }),
    ],
    [
      '/readyz',
      () => {
        if (!checks.live())
          return json(503, { status: 'not ready', reason: 'the node has failed' });
        if (!checks.ready()) {
          const reason = 'not every local partition has a known leader';
          return json(503, { status: 'not ready', reason });
        }
        return json(200, { status: 'ready' });
      },
    ],
  ]);
}

/** Starts the server; rejects if it cannot bind (the port is in use, …). */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const routes = new Map([...(options.routes ?? []), ...healthRoutes(options)]);
  const server = createServer((request, response) => {
    void serve(routes, request, response, options.logger);
  });
  server.requestTimeout = httpRequestTimeoutMs;
  server.headersTimeout = httpRequestTimeoutMs;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: options.host, port: options.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => options.logger.warn({ err: error }, 'http server error'));
  const bound = server.address() as AddressInfo;
  const address = formatHostPort(bound.address, bound.port);
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      // close() only ends idle keep-alive connections; a health check is never worth waiting for.
      server.closeAllConnections();
    });
    return closing;
  };
  return { address, close, [Symbol.asyncDispose]: close };
}

async function serve(
  routes: ReadonlyMap<string, HttpRoute>,
  request: IncomingMessage,
  response: ServerResponse,
  logger: HttpLogger,
): Promise<void> {
  const reply = await route(routes, request).catch((error: unknown) => {
    logger.warn({ err: error, url: request.url }, 'http route failed');
    return json(500, { status: 'error', reason: 'the check failed' });
  });
  response.writeHead(reply.status, {
    'content-type': reply.contentType ?? 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...(reply.status === 405 ? { allow: 'GET, HEAD' } : {}),
  });
  response.end(request.method === 'HEAD' ? undefined : reply.body);
}

async function route(
  routes: ReadonlyMap<string, HttpRoute>,
  request: IncomingMessage,
): Promise<HttpReply> {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  const handler = routes.get(path);
  if (handler === undefined) return json(404, { status: 'not found', path });
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return json(405, { status: 'method not allowed' });
  }
  return handler();
}
