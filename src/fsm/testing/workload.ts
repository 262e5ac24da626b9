// Random workloads for property tests: each step is a tuple of small numbers (drawn by
// fast-check in the tests) that this interpreter turns into log entries, driving one "leader"
// Driver and learning session and service ids from its outputs. The recorded log replays on
// other replicas.

import { term } from '../../common/index.js';
import { Status } from '../../gen/multiraft/v1/output_pb.js';
import type { ApplyOutput } from '../outputs.js';
import { encodePendingFilter } from '../pending-filter.js';
import { Driver } from './driver.js';

export type Step = readonly [number, number, number, number];

interface Client {
  readonly id: number;
  nextSeq: number;
  readonly attached: Map<string, number>;
}

const names = ['x', 'y', 'z'] as const;

function createdId(out: readonly ApplyOutput[]): number | undefined {
  const body = out.at(-1)?.output.output?.output;
  if (body?.case !== 'sessionOutput' || body.value.output.case !== 'createService')
    return undefined;
  return Number(body.value.output.value.serviceId);
}

/** Attaches the client to the named service (creating it) and returns the service id. */
function attach(driver: Driver, client: Client, name: string, type?: string): number {
  const known = client.attached.get(name);
  if (known !== undefined) return known;
  const id = createdId(driver.createService(client.id, client.nextSeq++, name, '', type));
  if (id !== undefined) client.attached.set(name, id);
  return id ?? 1;
}

export function runWorkload(steps: readonly Step[], driver = new Driver()): Driver {
  const clients: Client[] = [];
  for (const [kind, a, b, c] of steps) {
    const client = clients[a % Math.max(1, clients.length)];
    const op = clients.length === 0 ? 0 : kind % 16;
    const service = () => (client ? attach(driver, client, names[b % 3]!) : 1);
    const seq = () => (client === undefined ? 1 : client.nextSeq++);
    const id = client?.id ?? 1;
    switch (op) {
      case 0: {
        const timeoutMs = BigInt([0, 10_000, 60_000, 2000][b % 4]!);
        const out = driver.input({ case: 'openSession', value: { timeoutMs } as never });
        if (out[0]?.output.status === Status.OK) {
          clients.push({ id: driver.fsm.index, nextSeq: 1, attached: new Map() });
        }
        break;
      }
      case 1: {
        if (client === undefined) break;
        const last = Math.max(0, client.nextSeq - 1 - (b % 3));
        const pending = [];
        for (let n = 1; n <= last; n++) if ((c >> (n % 16)) & 1) pending.push(n);
        const filter = encodePendingFilter(pending, { format: c % 2 ? 'bloom' : 'exact' });
        driver.keepAlive(id, last, filter, { [String(Math.max(1, last - 1))]: BigInt(c % 4) });
        break;
      }
      case 2:
        if (c % 4 === 0) driver.close(id);
        break;
      case 3:
        if (client) attach(driver, client, names[b % 3]!, c % 5 === 4 ? 'test.Other' : undefined);
        break;
      case 4:
      case 5: {
        const target = service();
        driver.call(id, seq(), target, { op: 'add', n: c % 10 }, c % 20);
        break;
      }
      case 6: {
        const target = service();
        driver.call(id, seq(), target, { op: 'stream' });
        break;
      }
      case 7: {
        const target = service();
        driver.call(id, seq(), target, { op: 'alarm', tag: b % 3, at: driver.time + (c % 3000) });
        break;
      }
      case 8:
        if (client !== undefined && client.nextSeq > 1) {
          driver.call(id, 1 + (c % (client.nextSeq - 1)), service(), { op: 'add', n: 1 });
        }
        break;
      case 9:
        driver.tick(c % 3000);
        break;
      case 10:
        driver.empty();
        break;
      case 11:
        driver.term = term(driver.term + 1);
        driver.tick(c % 20_000);
        break;
      case 12: {
        const target = service();
        driver.closeService(id, seq(), target);
        client?.attached.delete(names[b % 3]!);
        break;
      }
      case 13:
        driver.raw(Uint8Array.of(a, b, c & 0xff, kind));
        break;
      default: {
        const target = service();
        driver.call(id, seq(), target, { op: c % 3 ? 'get' : 'end' });
      }
    }
  }
  return driver;
}
