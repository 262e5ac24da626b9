import { MultiraftSystem } from './multiraft-system.js';
import { prepare, run, workloads } from './workloads.js';
const flags = process.argv.slice(2);
const system = await MultiraftSystem.start({ execArgv: flags });
try {
  await prepare(system);
  for (const id of (process.env.W ?? 'write-1,write-256').split(',')) {
    const w = workloads.find((x) => x.id === id)!;
    const f = await run(system, w, { warmupMs: 1000, durationMs: 5000 });
    console.log(flags.join(' ') || '(none)', id, Math.round(f.opsPerSec), f.p50Ms.toFixed(2), f.p99Ms.toFixed(2), JSON.stringify(Object.fromEntries(Object.entries(f.cpuUsPerOp).map(([k, v]) => [k, Math.round(v)]))));
  }
} finally {
  await system.close();
}
