// An HTTP/2 server for connect-es routes (gRPC, gRPC-web, Connect), plain text or TLS (ALPN h2
// only: gRPC needs HTTP/2), with a shutdown that ends long-lived streams instead of waiting for
// them forever.

import {
  createSecureServer,
  createServer,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type ServerHttp2Session,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { Code, ConnectError, type ConnectRouter } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { responseContext } from './early-headers.js';

export interface GrpcServerOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly routes: (router: ConnectRouter) => void;
  /** Serve TLS with this PEM certificate and key; with `ca`, clients must present a certificate it signed. */
  readonly tls?: { readonly cert: string; readonly key: string; readonly ca?: string | undefined };
  /** How long `close()` lets sessions finish before destroying them. Default 1000 ms. */
  readonly closeGraceMs?: number;
}

export interface GrpcServer extends AsyncDisposable {
  readonly port: number;
  /** `host:port`, as clients dial it. */
  readonly address: string;
  /** Aborts every handler with UNAVAILABLE, then closes the sessions and the listener. */
  close(): Promise<void>;
}

export async function listenGrpc(options: GrpcServerOptions): Promise<GrpcServer> {
  const host = options.host ?? '127.0.0.1';
  const graceMs = options.closeGraceMs ?? 1_000;
  const shutdown = new AbortController();
  // The adapter hands `contextValues` the request alone; each request's response waits here.
  const responses = new WeakMap<object, Http2ServerResponse>();
  const handler = connectNodeAdapter({
    routes: options.routes,
    shutdownSignal: shutdown.signal,
    contextValues: (req) => responseContext(responses.get(req)),
  });
  const serve = (req: Http2ServerRequest, res: Http2ServerResponse) => {
    responses.set(req, res);
    handler(req, res);
  };
  const tls = options.tls;
  const server =
    tls === undefined
      ? createServer(serve)
      : createSecureServer(
          {
            cert: tls.cert,
            key: tls.key,
            ...(tls.ca === undefined ? {} : { ca: tls.ca, requestCert: true }),
            rejectUnauthorized: true,
          },
          serve,
        );
  const sessions = new Set<ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= new Promise<void>((resolve) => {
      shutdown.abort(new ConnectError('the node is shutting down', Code.Unavailable));
      const timer = setTimeout(() => {
        for (const session of sessions) session.destroy();
      }, graceMs);
      server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      for (const session of sessions) session.close();
    });
    return closing;
  };
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return { port, address, close, [Symbol.asyncDispose]: close };
}
