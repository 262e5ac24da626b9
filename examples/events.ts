// Events: every change, exactly once and in order, as created / updated / deleted (expired when a
// ttl removed it). `subscribed` resolves once every later change will show; breaking out of the
// `for await` ends the subscription on client and server.
//
//   MULTIRAFT_ENDPOINTS=localhost:5678 npx tsx examples/events.ts

import { randomUUID } from 'node:crypto';
import { connect } from 'multiraft';

const endpoints = (process.env.MULTIRAFT_ENDPOINTS ?? 'localhost:5678').split(',');
await using client = await connect({ endpoints });
const job = client.atomicValue(`job-${randomUUID()}`, { codec: 'string' });

const events = job.events();
await events.subscribed;
await job.set('queued');
await job.update('running');
await job.delete();

let count = 0;
for await (const event of events) {
  const was = event.type === 'updated' ? `, was ${event.prevValue}` : '';
  console.log(`${event.type} ${event.value} (version ${event.version}${was})`);
  if (++count === 3) break;
}
