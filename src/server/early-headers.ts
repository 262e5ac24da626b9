// Response headers before the first message. connect-es commits a stream's headers together with
// its first message; the Events contract (DESIGN §7) wants them as soon as the subscription is in
// place, which may be long before the first change. The gRPC server puts each request's response
// into its handler context (`responseContext`, through the adapter's `contextValues`), and a
// handler takes `earlyHeaders` to flush its headers when it chooses. A context value, not an
// AsyncLocalStorage: on Node 20 that turns on async hooks for every promise, immediate and tick of
// the process (in a profile of one-client writes, the hooks were 4.7 % of the leader's CPU).

import type { Http2ServerResponse } from 'node:http2';
import {
  type ContextValues,
  createContextKey,
  createContextValues,
  type HandlerContext,
} from '@connectrpc/connect';

const responseKey = createContextKey<Http2ServerResponse | undefined>(undefined, {
  description: 'the HTTP/2 response of the request',
});

/** The context values of a request whose response is `res` (undefined: none to flush). */
export function responseContext(res: Http2ServerResponse | undefined): ContextValues {
  return createContextValues().set(responseKey, res);
}

/**
 * A function that sends the handler's response headers at once. The adapter's own later
 * `writeHead` then has nothing left to do. Without a response in the context (a unit test calling
 * the handler directly) the function does nothing.
 */
export function earlyHeaders(ctx: HandlerContext): () => void {
  const res = ctx.values.get(responseKey);
  const headers = ctx.responseHeader;
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
