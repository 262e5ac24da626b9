import { MultiraftSystem } from './multiraft-system.ts';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
const s = await MultiraftSystem.start();
const v = new Uint8Array(64);
await s.write('bench-one', v);
console.log('PIDS', [...s.processes.values()].join(' '), process.pid);
while (!existsSync('/tmp/trace-go')) await sleep(100);
await sleep(500);
for (let i = 0; i < 10; i++) {
  const t0 = performance.timeOrigin + performance.now();
  await s.write('bench-one', v);
  const t1 = performance.timeOrigin + performance.now();
  console.log('OP', i, (t0/1000).toFixed(6), (t1/1000).toFixed(6), ((t1-t0)).toFixed(3), 'ms');
  await sleep(200);
}
await s.close();
