// Watch: the current value (null when there is none), then the value after every change. A slow
// consumer skips to the newest, so watch suits "what is the configuration now"; events (see
// events.ts) suit "tell me every change". An AbortSignal ends the watch.
//
//   MULTIRAFT_ENDPOINTS=localhost:5678 npx tsx examples/watch.ts

import { randomUUID } from 'node:crypto';
import { connect } from 'multiraft';

const endpoints = (process.env.MULTIRAFT_ENDPOINTS ?? 'localhost:5678').split(',');
await using client = await connect({ endpoints });
const config = client.atomicValue<{ replicas: number }>(`config-${randomUUID()}`, {
  codec: 'json',
});

const stop = new AbortController();
let seen = 0;
for await (const item of config.watch({ signal: stop.signal })) {
  console.log(
    item === null ? 'no value' : `replicas = ${item.value.replicas} (version ${item.version})`,
  );
  seen++;
  // The first item is the current value: none yet. Then change it and see the change arrive.
  if (item === null) await config.set({ replicas: 3 });
  else if (item.value.replicas === 3) await config.update({ replicas: 5 });
  else stop.abort();
}
console.log(`watched ${seen} values`);
