// The side-by-side workloads of DESIGN §9 / issue 9 and the closed-loop runner that measures one
// of them on one system: warm-up, then a fixed measured interval; every operation's latency, the
// rate, and CPU µs per operation of every server process and of this (the client's) process.

import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchSystem } from './bench-system.js';
import { cpuPerOp, cpuSample } from './process-usage.js';
import { percentile } from './stats.js';

export interface RunFigures {
  readonly opsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly ops: number;
  /** Failed operations (not counted in ops); a workload gives up beyond `errorsMax`. */
  readonly errors: number;
  /** CPU µs per operation, per process ("client" is the benchmark process). */
  readonly cpuUsPerOp: Record<string, number>;
}

export interface Timing {
  readonly warmupMs: number;
  readonly durationMs: number;
}

export interface Workload {
  readonly id: string;
  readonly label: string;
  /** Operations in flight (subscribers for the notification workload). */
  readonly clients: number;
  readonly kind: 'write' | 'read' | 'cas' | 'notify';
  /** What one operation is, for the table. */
  readonly unit: string;
}

export const valueBytes = 64;
/** Keys of the multi-client writes and reads. */
export const keyCount = 1_000;
export const casKeyCount = 16;
export const notifyPutsPerSec = 100;
export const subscriberCount = 100;
const errorsMax = 1_000;

export const workloads: readonly Workload[] = [
  { id: 'write-1', label: 'write, 1 client', clients: 1, kind: 'write', unit: 'writes' },
  { id: 'write-16', label: 'write, 16 clients', clients: 16, kind: 'write', unit: 'writes' },
  { id: 'write-64', label: 'write, 64 clients', clients: 64, kind: 'write', unit: 'writes' },
  { id: 'write-256', label: 'write, 256 clients', clients: 256, kind: 'write', unit: 'writes' },
  { id: 'read-1', label: 'linearizable read, 1 client', clients: 1, kind: 'read', unit: 'reads' },
  {
    id: 'read-64',
    label: 'linearizable read, 64 clients',
    clients: 64,
    kind: 'read',
    unit: 'reads',
  },
  { id: 'cas-64', label: 'CAS, 64 clients on 16 values', clients: 64, kind: 'cas', unit: 'CAS' },
  {
    id: 'notify-100',
    label: 'put→event, 100 subscribers',
    clients: subscriberCount,
    kind: 'notify',
    unit: 'events',
  },
];

/** A 64-byte value that names its sequence number (the notification workload reads it back). */
export function payload(seq: number): Uint8Array {
  return Buffer.from(String(seq).padEnd(valueBytes, ' '));
}

function sequenceOf(value: Uint8Array): number {
  return Number(Buffer.from(value).toString().trim());
}

export const keyOf = (i: number) => `bench-${i % keyCount}`;
export const casKeyOf = (i: number) => `bench-cas-${i % casKeyCount}`;
const oneKey = 'bench-one';
const notifyKey = 'bench-notify';

/** Every key the workloads read or compare exists before any clock starts. */
export async function prepare(system: BenchSystem): Promise<void> {
  const keys = [oneKey, notifyKey];
  for (let i = 0; i < keyCount; i++) keys.push(keyOf(i));
  for (let i = 0; i < casKeyCount; i++) keys.push(casKeyOf(i));
  for (let i = 0; i < keys.length; i += 64) {
    await Promise.all(keys.slice(i, i + 64).map((k) => system.write(k, payload(0))));
  }
}

export function run(system: BenchSystem, w: Workload, t: Timing): Promise<RunFigures> {
  const value = payload(0);
  switch (w.kind) {
    case 'write':
      return closedLoop(system, w.clients, t, () =>
        w.clients === 1
          ? () => system.write(oneKey, value)
          : (c, i) => system.write(keyOf(c + i * w.clients), value),
      );
    case 'read':
      return closedLoop(
        system,
        w.clients,
        t,
        () => (c, i) => system.read(keyOf(c + i * w.clients)),
      );
    case 'cas':
      return closedLoop(system, w.clients, t, () => {
        const cas = system.casWorker();
        return async (c) => {
          await cas(casKeyOf(c), value);
        };
      });
    case 'notify':
      return notification(system, w.clients, t);
  }
}

type Operation = (client: number, i: number) => Promise<unknown>;

/** `clients` loops, each with one operation in flight, made by `worker()` once per loop. */
async function closedLoop(
  system: BenchSystem,
  clients: number,
  t: Timing,
  worker: () => Operation,
): Promise<RunFigures> {
  const processes = withClient(system);
  const lat: number[] = [];
  let measuring = false;
  let stop = false;
  let errors = 0;
  let lastError: unknown;
  const loop = async (c: number) => {
    const op = worker();
    for (let i = 0; !stop; i++) {
      const t0 = performance.now();
      try {
        await op(c, i);
      } catch (e) {
        lastError = e;
        if (++errors > errorsMax) stop = true;
        continue;
      }
      if (measuring) lat.push(performance.now() - t0);
    }
  };
  const loops = Array.from({ length: clients }, (_, c) => loop(c));
  await sleep(t.warmupMs);
  const cpu0 = cpuSample(processes);
  const t0 = performance.now();
  measuring = true;
  await sleep(t.durationMs);
  measuring = false;
  const elapsedSec = (performance.now() - t0) / 1000;
  const ops = lat.length;
  const cpuUsPerOp = cpuPerOp(processes, cpu0, ops);
  stop = true;
  await Promise.all(loops);
  if (errors > errorsMax)
    throw new Error(`${system.name}: over ${errorsMax} errors`, { cause: lastError });
  return figuresOf(lat, elapsedSec, errors, cpuUsPerOp);
}

/**
 * One writer puts at a fixed rate; every subscriber's event is timed from just before its put was
 * issued. An operation is one event delivered to one subscriber.
 */
async function notification(
  system: BenchSystem,
  subscribers: number,
  t: Timing,
): Promise<RunFigures> {
  const processes = withClient(system);
  const issuedAt = new Map<number, number>();
  const lat: number[] = [];
  let measuring = false;
  const subscription = await system.subscribe(notifyKey, subscribers, (_, value) => {
    const at = issuedAt.get(sequenceOf(value));
    if (at !== undefined && measuring) lat.push(performance.now() - at);
  });
  let errors = 0;
  let seq = 0;
  let cpu0 = cpuSample(processes);
  const start = performance.now();
  const measureFrom = start + t.warmupMs;
  const end = measureFrom + t.durationMs;
  const puts: Promise<void>[] = [];
  // Open loop: the writer keeps its schedule whatever the latency, like a real producer.
  for (let next = start; next < end; next += 1000 / notifyPutsPerSec) {
    const wait = next - performance.now();
    if (wait > 0) await sleep(wait);
    if (!measuring && performance.now() >= measureFrom) {
      measuring = true;
      cpu0 = cpuSample(processes);
    }
    const s = ++seq;
    if (measuring) issuedAt.set(s, performance.now());
    puts.push(system.write(notifyKey, payload(s)).catch(() => void errors++));
  }
  await Promise.all(puts);
  // Let the last events arrive before the count closes.
  await sleep(Math.min(1_000, t.warmupMs));
  measuring = false;
  const elapsedSec = (performance.now() - measureFrom) / 1000;
  const ops = lat.length;
  const cpuUsPerOp = cpuPerOp(processes, cpu0, ops);
  subscription.cancel();
  return figuresOf(lat, elapsedSec, errors, cpuUsPerOp);
}

/** The figures of one measured interval from its latencies (sorted here). */
function figuresOf(
  lat: number[],
  elapsedSec: number,
  errors: number,
  cpuUsPerOp: RunFigures['cpuUsPerOp'],
): RunFigures {
  lat.sort((a, b) => a - b);
  return {
    opsPerSec: lat.length / elapsedSec,
    p50Ms: percentile(lat, 0.5),
    p99Ms: percentile(lat, 0.99),
    ops: lat.length,
    errors,
    cpuUsPerOp,
  };
}

function withClient(system: BenchSystem): Map<string, number> {
  return new Map([...system.processes, ['client', process.pid]]);
}
