// Compare-and-set: three workers each add 1 to a shared counter five times. Each reads the value
// and its version, then updates only at that version; on ConflictError another worker got there
// first, and the error carries the value as it is now, so the loop goes on without a read.
//
//   MULTIRAFT_ENDPOINTS=localhost:5678 npx tsx examples/cas-loop.ts

import { randomUUID } from 'node:crypto';
import { ConflictError, connect } from 'multiraft';

const endpoints = (process.env.MULTIRAFT_ENDPOINTS ?? 'localhost:5678').split(',');
await using client = await connect({ endpoints });
const counter = client.atomicValue<number>(`counter-${randomUUID()}`, { codec: 'json' });
await counter.set(0);

async function increment(): Promise<number> {
  let current = await counter.get();
  for (;;) {
    try {
      await counter.update(current.value + 1, { ifVersion: current.version });
      return current.value + 1;
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      current = error.current as { value: number; version: number };
    }
  }
}

const workers = Array.from({ length: 3 }, async () => {
  for (let i = 0; i < 5; i++) await increment();
});
await Promise.all(workers);
const { value } = await counter.get();
console.log(`counter = ${value}`);
if (value !== 15) process.exitCode = 1;
