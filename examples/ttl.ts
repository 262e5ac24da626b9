// TTL: a value set with `ttl` disappears by itself. The expiry runs on the partition leader's
// clock, so this polls (every 100 ms, for at most 10 s) instead of guessing the moment.
//
//   MULTIRAFT_ENDPOINTS=localhost:5678 npx tsx examples/ttl.ts

import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, NotFoundError } from 'multiraft';

const endpoints = (process.env.MULTIRAFT_ENDPOINTS ?? 'localhost:5678').split(',');
await using client = await connect({ endpoints });
const session = client.atomicValue(`session-${randomUUID()}`, { codec: 'string' });

await session.set('logged in', { ttl: '1s' });
console.log(`set: ${(await session.get()).value}`);
let expired = false;
for (let attempt = 0; attempt < 100 && !expired; attempt++) {
  try {
    await session.get();
    await sleep(100);
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    console.log('expired');
    expired = true;
  }
}
if (!expired) {
  console.error('still there after 10 s');
  process.exitCode = 1;
}
