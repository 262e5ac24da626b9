// Create-if-absent: the first of two contenders to `set(…, { ifAbsent: true })` owns the name;
// the other gets AlreadyExistsError carrying the owner's value. A simple claim or lock, with a
// ttl so that an owner that dies does not hold it forever.
//
//   MULTIRAFT_ENDPOINTS=localhost:5678 npx tsx examples/create-if-absent.ts

import { randomUUID } from 'node:crypto';
import { AlreadyExistsError, connect } from 'multiraft';

const endpoints = (process.env.MULTIRAFT_ENDPOINTS ?? 'localhost:5678').split(',');
await using client = await connect({ endpoints });
const lock = client.atomicValue(`lock-${randomUUID()}`, { codec: 'string' });

for (const contender of ['alice', 'bob']) {
  try {
    const { version } = await lock.set(contender, { ifAbsent: true, ttl: '30s' });
    console.log(`${contender} holds the lock (version ${version})`);
  } catch (error) {
    if (!(error instanceof AlreadyExistsError)) throw error;
    console.log(`${contender} waits: ${error.current.value} holds it`);
  }
}
// Release it, but only if it is still ours: delete at the version we read.
const { version } = await lock.get();
await lock.delete({ ifVersion: version });
console.log('released');
