// Response headers before the first message. connect-es commits a stream's headers together with
// its first message; the Events contract (DESIGN §7) wants them as soon as the subscription is in
// place, which may be long before the first change. The gRPC server runs every request inside
// `withEarlyHeaders`, and a handler takes `earlyHeaders` to flush its headers when it chooses.

import { AsyncLocalStorage } from 'node:async_hooks';
import type { Http2ServerResponse } from 'node:http2';

const current = new AsyncLocalStorage<Http2ServerResponse>();

/** Runs the request handler so that `earlyHeaders` can reach its response. */
export function withEarlyHeaders<T>(res: Http2ServerResponse, handle: () => T): T {
  return current.run(res, handle);
}

/**
 * A function that sends `headers` (the handler's response headers) at once, bound to the current
 * request: call this in the handler itself, since the callbacks that later learn the moment run in
 * other asynchronous contexts. The adapter's own later `writeHead` then has nothing left to do.
 * Outside a request (a unit test calling the handler directly) the function does nothing.
 */
export function earlyHeaders(headers: Headers): () => void {
  const res = current.getStore();
  return () => {
    // The client may be gone by the time the subscription is in place: nothing to send then.
    if (res === undefined || res.headersSent || res.stream.destroyed || res.stream.closed) return;
    const fields: Record<string, string> = {};
    headers.forEach((value, key) => {
      fields[key] = value;
    });
    try {
      res.writeHead(200, fields);
      // Node's compatibility response has flushHeaders (the type definitions lack it).
      (res as unknown as { flushHeaders(): void }).flushHeaders();
    } catch {
      // The stream closed between the check and the write; the adapter sees the end itself.
      return;
    }
    // The adapter calls writeHead once more with the same headers after the first message.
    res.writeHead = () => res;
  };
}
