// The public AtomicValue API against a 3-node cluster of real processes (issue 7), called by a
// standard gRPC client that does not use multiraft's code (generic-client.ts): every operation and
// every error case through every node, and Events and Watch across a kill -9 of the leader.

import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PartitionClient } from '../../src/client/partition-client.js';
import { type NodeId, partitionOf } from '../../src/common/index.js';
import { getByName } from '../../src/replica/testing/inputs.js';
import {
  GenericClient,
  type GenericValue,
  GrpcCallError,
  StreamRecorder,
} from './generic-client.js';
import { ProcessCluster } from './process-cluster.js';

const partitions = 3;
let cluster: ProcessCluster;
const clients = new Map<NodeId, GenericClient>();
let finder: PartitionClient;

const text = (s: string) => Buffer.from(s);

async function failure(call: Promise<unknown>): Promise<GrpcCallError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof GrpcCallError)) throw new Error(`expected a gRPC error, got ${error}`);
  return error;
}

/** The node leading the partition of `name` (asked with a read through multiraft's own client). */
async function leaderOf(name: string): Promise<NodeId> {
  const partition = partitionOf(name, partitions);
  await finder.query(partition, getByName(name));
  return finder.leaderOf(partition);
}

beforeAll(async () => {
  cluster = await ProcessCluster.start({
    nodes: 3,
    partitions,
    replication: 3,
    // Short sessions, so a paused node loses its own quickly.
    flags: ['--session-timeout=3000'],
  });
  await cluster.waitAllReady();
  for (const [id, address] of cluster.apiAddresses()) clients.set(id, new GenericClient(address));
  finder = new PartitionClient({ nodes: cluster.apiAddresses(), attemptTimeoutMs: 1_000 });
}, 60_000);

afterAll(async () => {
  for (const client of clients.values()) client.close();
  await finder?.close();
  await cluster?.destroy();
});

describe('multiraft.v1.AtomicValue through a generic gRPC client', () => {
  test('every operation and its errors, through every node', async () => {
    for (const [id, c] of clients) {
      const name = `ops-${id}`;
      expect((await failure(c.unary('Get', { name }))).code).toBe(status.NOT_FOUND);
      const { version: v1 } = await c.unary<{ version: string }>('Set', {
        name,
        value: text('one'),
      });
      expect(BigInt(v1)).toBeGreaterThan(0n);
      const got = await c.unary<{ value: GenericValue }>('Get', { name });
      expect(got.value.value.toString()).toBe('one');
      expect(got.value.version).toBe(v1);

      const exists = await failure(c.unary('Set', { name, value: text('x'), ifAbsent: true }));
      expect(exists.code).toBe(status.ALREADY_EXISTS);
      expect(exists.current?.version).toBe(v1);
      expect(Buffer.from(exists.current!.value).toString()).toBe('one');

      const conflict = await failure(
        c.unary('Update', { name, value: text('x'), prevVersion: (BigInt(v1) + 1n).toString() }),
      );
      expect(conflict.code).toBe(status.ABORTED);
      expect(conflict.current?.version).toBe(v1);

      const updated = await c.unary<{ version: string; prevValue: GenericValue }>('Update', {
        name,
        value: text('two'),
        prevVersion: v1,
      });
      expect(BigInt(updated.version)).toBeGreaterThan(BigInt(v1));
      expect(updated.prevValue.value.toString()).toBe('one');
      expect(updated.prevValue.version).toBe(v1);

      const staleDelete = await failure(c.unary('Delete', { name, prevVersion: v1 }));
      expect(staleDelete.code).toBe(status.ABORTED);
      const deleted = await c.unary<{ value: GenericValue }>('Delete', {
        name,
        prevVersion: updated.version,
      });
      expect(deleted.value.value.toString()).toBe('two');
      expect((await failure(c.unary('Get', { name }))).code).toBe(status.NOT_FOUND);
      expect((await failure(c.unary('Update', { name, value: text('y') }))).code).toBe(
        status.NOT_FOUND,
      );
      expect((await failure(c.unary('Delete', { name }))).code).toBe(status.NOT_FOUND);

      // Namespaces separate values of the same name; empty means "default".
      await c.unary('Set', { name, namespace: 'other', value: text('elsewhere') });
      await c.unary('Set', { name, namespace: '', value: text('here') });
      const inDefault = await c.unary<{ value: GenericValue }>('Get', {
        name,
        namespace: 'default',
      });
      expect(inDefault.value.value.toString()).toBe('here');
      const inOther = await c.unary<{ value: GenericValue }>('Get', { name, namespace: 'other' });
      expect(inOther.value.value.toString()).toBe('elsewhere');
    }
  }, 60_000);

  test('a ttl expires the value', async () => {
    const c = clients.get(cluster.ids[0]!)!;
    const events = new StreamRecorder(c.stub.Events({ name: 'ttl' }));
    await expect.poll(() => events.headers).toBe(true);
    await c.unary('Set', { name: 'ttl', value: text('brief'), ttl: { seconds: 0, nanos: 300e6 } });
    await expect
      .poll(() => failure(c.unary('Get', { name: 'ttl' })).then((e) => e.code), { timeout: 10_000 })
      .toBe(status.NOT_FOUND);
    await expect.poll(() => events.items.length, { timeout: 10_000 }).toBe(2);
    expect(events.items[1]).toMatchObject({ event: { deleted: { expired: true } } });
    events.call.cancel();
  });

  test('bad input is refused with the documented code and changes nothing', async () => {
    const c = clients.get(cluster.ids[1]!)!;
    const invalid = [
      { name: '', value: text('v') },
      { name: 'n'.repeat(257), value: text('v') },
      { name: 'ok', namespace: 'n'.repeat(257), value: text('v') },
      { name: 'ok', value: text('v'), ttl: { seconds: -1 } },
      { name: 'ok', value: text('v'), ttl: { seconds: 11 * 365 * 24 * 3600 } },
      { name: 'ok', value: Buffer.alloc(1024 * 1024 + 1) },
    ];
    for (const request of invalid) {
      expect((await failure(c.unary('Set', request))).code).toBe(status.INVALID_ARGUMENT);
    }
    expect((await failure(c.unary('Get', { name: '' }))).code).toBe(status.INVALID_ARGUMENT);
    // Over the 4 MiB receive limit: refused before the server reads it.
    const huge = await failure(
      c.unary('Set', { name: 'ok', value: Buffer.alloc(5 * 1024 * 1024) }),
    );
    expect(huge.code).toBe(status.RESOURCE_EXHAUSTED);
    // A name of exactly 256 bytes is fine; nothing above changed "ok".
    await c.unary('Set', { name: 'n'.repeat(256), value: text('edge') });
    expect((await failure(c.unary('Get', { name: 'ok' }))).code).toBe(status.NOT_FOUND);
  });

  test('Events and Watch across a kill -9 of the leader: no silent gap', async () => {
    const name = 'watched';
    const leader = await leaderOf(name);
    const other = cluster.ids.find((id) => id !== leader)!;
    const through = clients.get(other)!;
    const viaLeader = clients.get(leader)!;
    const events = new StreamRecorder(through.stub.Events({ name }));
    const watch = new StreamRecorder(through.stub.Watch({ name }));
    const leaderEvents = new StreamRecorder(viaLeader.stub.Events({ name }));
    await expect.poll(() => events.headers && leaderEvents.headers).toBe(true);
    await expect.poll(() => watch.items.length).toBeGreaterThan(0);
    expect(watch.items[0]).toEqual({ value: null });

    let last = '';
    /** Sets until one is acknowledged (an unknown outcome may still show up as an event). */
    const write = async (i: number) => {
      for (let attempt = 0; ; attempt++) {
        last = `v${i}.${attempt}`;
        try {
          return await through.unary('Set', { name, value: text(last) }, 5_000);
        } catch (error) {
          if (!(error instanceof GrpcCallError) || attempt > 20) throw error;
        }
      }
    };
    for (let i = 0; i < 20; i++) await write(i);
    await cluster.stop(leader, 'SIGKILL');
    for (let i = 20; i < 40; i++) await write(i);
    cluster.spawn(leader);
    await cluster.waitReady(leader);
    for (let i = 40; i < 50; i++) await write(i);

    // The stream through the killed node ended with an error, never as if nothing was missed.
    await expect.poll(() => leaderEvents.ended, { timeout: 10_000 }).toBeDefined();
    expect(leaderEvents.ended!.code).not.toBe(status.OK);
    // The stream through a surviving node goes on: each event continues from the one before.
    await expect.poll(() => lastValueOf(events.items.at(-1)), { timeout: 15_000 }).toBe(last);
    expect(events.ended).toBeUndefined();
    let previous: GenericValue | undefined;
    for (const item of events.items as EventItem[]) {
      const e = item.event;
      if (previous === undefined) expect(e.created).toBeDefined();
      else expect(e.updated?.prevValue?.version).toBe(previous.version);
      previous = (e.created ?? e.updated)!.value;
    }
    // Watch ends at the latest value, its versions never going back.
    await expect
      .poll(() => (watch.items.at(-1) as WatchItem).value?.value.toString(), { timeout: 15_000 })
      .toBe(last);
    const versions = (watch.items as WatchItem[]).flatMap((w) =>
      w.value ? [w.value.version] : [],
    );
    for (let i = 1; i < versions.length; i++) {
      expect(BigInt(versions[i]!)).toBeGreaterThanOrEqual(BigInt(versions[i - 1]!));
    }
    events.call.cancel();
    watch.call.cancel();
  }, 90_000);

  test("Events ends with an error when the node's session is lost; later calls work", async () => {
    const name = 'paused';
    const leader = await leaderOf(name);
    const paused = cluster.ids.find((id) => id !== leader)!;
    const c = clients.get(paused)!;
    const events = new StreamRecorder(c.stub.Events({ name }));
    await expect.poll(() => events.headers, { timeout: 10_000 }).toBe(true);
    process.kill(cluster.pid(paused)!, 'SIGSTOP');
    // Longer than the 3 s session timeout: the leader expires the paused node's session.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    process.kill(cluster.pid(paused)!, 'SIGCONT');
    await expect.poll(() => events.ended, { timeout: 10_000 }).toBeDefined();
    expect(events.ended!.code).toBe(status.UNAVAILABLE);
    expect(events.ended!.details).toMatch(/session expired/);
    const { version } = await c.unary<{ version: string }>('Set', { name, value: text('again') });
    expect(BigInt(version)).toBeGreaterThan(0n);
    const again = new StreamRecorder(c.stub.Events({ name }));
    await expect.poll(() => again.headers, { timeout: 10_000 }).toBe(true);
    again.call.cancel();
  }, 60_000);
});

interface EventItem {
  readonly event: {
    readonly created?: { readonly value: GenericValue };
    readonly updated?: { readonly value: GenericValue; readonly prevValue?: GenericValue };
    readonly deleted?: { readonly value: GenericValue; readonly expired: boolean };
  };
}
interface WatchItem {
  readonly value: GenericValue | null;
}

function lastValueOf(item: unknown): string | undefined {
  const e = (item as EventItem | undefined)?.event;
  return (e?.created ?? e?.updated)?.value.value.toString();
}
