// What a process costs, read from /proc: resident set size and CPU time (user + system). The
// benchmarks sample it before and after a measurement, so CPU per operation is per process.

import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const ticksPerSec = 100;

export interface ProcessUsage {
  readonly rssMiB: number;
  readonly cpuSec: number;
}

/** RSS and CPU seconds of `pid` so far. */
export function usage(pid: number): ProcessUsage {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  // The command name in field 2 may hold spaces; the fields after its ')' are fixed.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { rssMiB: rssKiB / 1024, cpuSec: ticks / ticksPerSec };
}

/** A named set of processes whose CPU time is read together. */
export type ProcessSet = ReadonlyMap<string, number>;

/** CPU seconds per named process, to subtract from a later sample. */
export function cpuSample(processes: ProcessSet): Map<string, number> {
  return new Map([...processes].map(([name, pid]) => [name, usage(pid).cpuSec]));
}

/** CPU µs each process spent per operation since `before`. */
export function cpuPerOp(
  processes: ProcessSet,
  before: ReadonlyMap<string, number>,
  ops: number,
): Record<string, number> {
  const after = cpuSample(processes);
  const out: Record<string, number> = {};
  for (const [name, sec] of after) out[name] = (1e6 * (sec - (before.get(name) ?? sec))) / ops;
  return out;
}
