// Cancellation and errors: every call takes `{ signal, timeoutMs }`; a stream ends when its signal
// aborts. Every error is a MultiraftError with a `code` and `mayHaveApplied`: false means the call
// certainly did not happen (retry freely), true means its outcome is unknown (read before
// retrying a change that must not happen twice).
//
//   MULTIRAFT_ENDPOINTS=localhost:5678 npx tsx examples/cancellation.ts

import { randomUUID } from 'node:crypto';
import { AbortedError, type AtomicValueClient, connect, MultiraftError } from 'multiraft';

const endpoints = (process.env.MULTIRAFT_ENDPOINTS ?? 'localhost:5678').split(',');
await using client = await connect({ endpoints, timeoutMs: 5_000 });
const greeting = client.atomicValue(`greeting-${randomUUID()}`, { codec: 'string' });

// A signal aborted before the call: it is never sent.
const cancelled = new AbortController();
cancelled.abort();
try {
  await greeting.set('never', { signal: cancelled.signal });
} catch (error) {
  if (!(error instanceof AbortedError)) throw error;
  console.log(`${error.code}: may have applied: ${error.mayHaveApplied}`);
}

/** Sets `value`, retrying what certainly failed and checking what may have happened. */
async function setWithRetry(value: AtomicValueClient<string>, text: string, attempts = 3) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await value.set(text, { timeoutMs: 2_000 });
    } catch (error) {
      if (!(error instanceof MultiraftError) || attempt === attempts) throw error;
      if (error.mayHaveApplied) {
        // Outcome unknown: it may be there already (a `set` is safe to repeat anyway; an
        // `update` with `ifVersion` would fail with ConflictError if it had happened).
        const now = await value.get().catch(() => undefined);
        if (now?.value === text) return { version: now.version };
      }
    }
  }
}
const { version } = await setWithRetry(greeting, 'hello');
console.log(`set at version ${version}`);

// A stream ends, without an error, when its signal aborts: here after 300 ms.
let items = 0;
for await (const _ of greeting.watch({ signal: AbortSignal.timeout(300) })) items++;
console.log(`watch ended after ${items} value`);
