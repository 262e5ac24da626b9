// The TypeScript SDK against a 3-node cluster of real processes (issue 8): the API and its typed
// errors; exactly-once changes while connections are cut; Events exactly once and in order across
// a kill and restart of the leader; Watch after a leader change, a delete and a ttl expiry;
// session expiry while the client's traffic is held; cancellation releasing everything.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  AlreadyExistsError,
  MultiraftClient as Client,
  ConflictError,
  connect,
  discover,
  type MultiraftClient,
  MultiraftError,
  NotFoundError,
  SessionExpiredError,
} from '../../src/client/index.js';
import type { NodeId } from '../../src/common/index.js';
import { partitionSamples } from '../../src/server/testing/exposition.js';
import { LinkProxy } from './link-proxy.js';
import { ProcessCluster } from './process-cluster.js';

let cluster: ProcessCluster;
const clients: MultiraftClient[] = [];
const proxies: LinkProxy[] = [];

async function direct(): Promise<MultiraftClient> {
  const client = await connect({ endpoints: [...cluster.apiAddresses().values()] });
  clients.push(client);
  return client;
}

/** A client that reaches every node through a proxy of its own. */
async function proxied(options: { sessionTimeoutMs?: number } = {}) {
  const shape = await discover([...cluster.apiAddresses().values()]);
  const nodes = new Map<NodeId, string>();
  const mine: LinkProxy[] = [];
  for (const [id, address] of shape.nodes) {
    const proxy = await LinkProxy.start(Number(address.split(':')[1]));
    mine.push(proxy);
    nodes.set(id, proxy.address);
  }
  proxies.push(...mine);
  const client = new Client({ ...shape, nodes }, { timeoutMs: 15_000, ...options });
  clients.push(client);
  return { client, proxies: mine };
}

/** The node leading the partition of `name`: the replica reports of the Cluster service. */
async function leaderOf(name: string, client: MultiraftClient): Promise<NodeId> {
  // A read makes sure the partition has a leader now.
  await client
    .atomicValue(name)
    .get()
    .catch(() => undefined);
  const shape = await discover([...cluster.apiAddresses().values()]);
  const partition = client.partitionOf(name);
  const leader = shape.leaders.get(partition);
  if (leader === undefined) throw new Error(`partition ${partition} has no leader`);
  return leader;
}

/** Sessions and streams of `partition` as the nodes' /metrics report them (the largest). */
async function serverGauges(partition: number) {
  let sessions = 0;
  let streams = 0;
  for (const id of cluster.ids) {
    if (!cluster.running(id)) continue;
    const text = await cluster.scrape(id);
    const gauge = (name: string) => Number(partitionSamples(text, name).get(partition));
    sessions = Math.max(sessions, gauge('multiraft_partition_sessions'));
    streams = Math.max(streams, gauge('multiraft_partition_streams'));
  }
  return { sessions, streams };
}

beforeAll(async () => {
  cluster = await ProcessCluster.start({ nodes: 3, partitions: 3, replication: 3 });
  await cluster.waitAllReady();
}, 60_000);

afterAll(async () => {
  for (const client of clients) await client.close();
  for (const proxy of proxies) await proxy.close();
  await cluster?.destroy();
});

describe('the SDK on a 3-node cluster', () => {
  test('get, set, update, delete with typed errors and codecs', async () => {
    const client = await direct();
    const greeting = client.atomicValue('greeting', { codec: 'string' });
    await expect(greeting.get()).rejects.toBeInstanceOf(NotFoundError);
    const { version } = await greeting.set('hello');
    expect(await greeting.get()).toEqual({ value: 'hello', version });
    const exists = await greeting.set('x', { ifAbsent: true }).catch((e: unknown) => e);
    expect(exists).toBeInstanceOf(AlreadyExistsError);
    expect((exists as AlreadyExistsError<string>).current).toEqual({ value: 'hello', version });
    const conflict = await greeting.update('x', { ifVersion: version + 1 }).catch((e) => e);
    expect(conflict).toBeInstanceOf(ConflictError);
    expect((conflict as ConflictError<string>).current).toEqual({ value: 'hello', version });
    expect((conflict as MultiraftError).mayHaveApplied).toBe(false);
    const updated = await greeting.update('hi', { ifVersion: version });
    expect(updated).toEqual({ version: expect.any(Number), prevValue: 'hello' });
    expect(await greeting.delete({ ifVersion: updated.version })).toEqual({
      value: 'hi',
      version: updated.version,
    });
    await expect(greeting.delete()).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const doc = client.atomicValue<{ n: number }>('doc', { codec: 'json' });
    await doc.set({ n: 1 });
    expect((await doc.get()).value).toEqual({ n: 1 });
    await expect(doc.set({ n: 2 }, { ttl: 'soon' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    const raw = client.atomicValue('raw');
    await raw.set(new Uint8Array([1, 2, 3]), { ttl: '1m' });
    expect((await raw.get()).value).toEqual(new Uint8Array([1, 2, 3]));
    // Bytes that are not UTF-8, read as text: a typed error, not the decoder's TypeError.
    await raw.set(new Uint8Array([0xff, 0xfe]));
    await expect(client.atomicValue('raw', { codec: 'string' }).get()).rejects.toMatchObject({
      name: 'ValueDecodeError',
      code: 'DECODE_FAILED',
    });
  });

  test('exactly once while connections are cut: every acknowledged set applied once', async () => {
    const observer = await direct();
    const events = observer.atomicValue('once', { codec: 'string' }).events();
    await events.subscribed;
    const seen: string[] = [];
    const collecting = (async () => {
      for await (const e of events) if (e.type !== 'deleted') seen.push(e.value);
    })().catch(() => undefined);
    const { client, proxies: mine } = await proxied();
    const value = client.atomicValue('once', { codec: 'string' });
    const cutter = setInterval(() => {
      for (const proxy of mine) proxy.cut();
    }, 40);
    const acknowledged: string[] = [];
    const unknown: string[] = [];
    for (let i = 0; i < 100; i++) {
      try {
        await value.set(`v${i}`);
        acknowledged.push(`v${i}`);
      } catch (error) {
        if (!(error instanceof MultiraftError)) throw error;
        if (error.mayHaveApplied) unknown.push(`v${i}`);
      }
    }
    clearInterval(cutter);
    const last = await value.set('done');
    await expect.poll(() => seen.at(-1), { timeout: 15_000 }).toBe('done');
    expect(last.version).toBeGreaterThan(0);
    // Applied at most once each, and every acknowledged one exactly once, in order.
    expect(new Set(seen).size).toBe(seen.length);
    for (const v of acknowledged) expect(seen).toContain(v);
    for (const v of seen) expect([...acknowledged, ...unknown, 'done']).toContain(v);
    expect(acknowledged.length).toBeGreaterThan(50);
    await observer.close();
    await collecting;
  }, 90_000);

  test('Events: every change exactly once and in order across a kill and restart of the leader', async () => {
    const writer = await direct();
    const subscriber = await direct();
    const name = 'chain';
    const leader = await leaderOf(name, writer);
    const events = subscriber.atomicValue(name, { codec: 'string' }).events();
    await events.subscribed;
    const received: { value: string; version: number; prevValue?: string }[] = [];
    const collecting = (async () => {
      for await (const e of events) {
        received.push(e.type === 'updated' ? e : { value: e.value, version: e.version });
      }
    })().catch(() => undefined);
    const value = writer.atomicValue(name, { codec: 'string' });
    const written: { value: string; version: number }[] = [];
    for (let i = 0; i < 60; i++) {
      if (i === 20) await cluster.stop(leader, 'SIGKILL');
      if (i === 40) {
        cluster.spawn(leader);
        await cluster.waitReady(leader);
      }
      const { version } = await value.set(`c${i}`);
      written.push({ value: `c${i}`, version });
    }
    await expect.poll(() => received.length, { timeout: 20_000 }).toBe(written.length);
    expect(received.map((r) => [r.value, r.version])).toEqual(
      written.map((w) => [w.value, w.version]),
    );
    for (let i = 1; i < received.length; i++) {
      expect(received[i]!.prevValue).toBe(received[i - 1]!.value);
    }
    await subscriber.close();
    await collecting;
  }, 90_000);

  test('Events keep up with more changes between keep-alives than a stream may leave unacknowledged', async () => {
    // The state machine caches each event until a keep-alive acknowledges it and cancels a stream
    // past 1,024; the client's keep-alives come every 7.5 s, and sooner as events arrive.
    const client = await direct();
    const value = client.atomicValue('busy', { codec: 'string' });
    const abort = new AbortController();
    const events = value.events({ signal: abort.signal });
    await events.subscribed;
    let received = 0;
    let failure: unknown;
    const collecting = (async () => {
      for await (const _ of events) received++;
    })().catch((error: unknown) => {
      failure = error;
    });
    const changes = 1_500;
    const writers = Array.from({ length: 32 }, async (_, w) => {
      for (let i = w; i < changes; i += 32) await value.set(`b${i}`);
    });
    await Promise.all(writers);
    // A cancelled stream shows as its error ("stream has 1024 unacknowledged outputs"), not as a
    // count that stalls.
    await expect.poll(() => failure ?? received, { timeout: 20_000 }).toBe(changes);
    abort.abort();
    await collecting;
  }, 90_000);

  test('Watch: the current value again after a leader change, null after a delete and after a ttl', async () => {
    const client = await direct();
    const name = 'watched';
    const value = client.atomicValue(name, { codec: 'string' });
    const abort = new AbortController();
    const seen: (string | null)[] = [];
    const watching = (async () => {
      for await (const v of value.watch({ signal: abort.signal })) seen.push(v?.value ?? null);
    })();
    await expect.poll(() => seen).toEqual([null]);
    await value.set('one');
    await expect.poll(() => seen.at(-1)).toBe('one');
    const leader = await leaderOf(name, client);
    const before = seen.length;
    await cluster.stop(leader, 'SIGKILL');
    // The watch moves to the new leader, which sends the current value first.
    await expect.poll(() => seen.length, { timeout: 20_000 }).toBeGreaterThan(before);
    expect(seen.at(-1)).toBe('one');
    await value.delete();
    await expect.poll(() => seen.at(-1), { timeout: 10_000 }).toBe(null);
    await value.set('brief', { ttl: '300ms' });
    await expect.poll(() => seen.at(-1), { timeout: 10_000 }).toBe('brief');
    await expect.poll(() => seen.at(-1), { timeout: 10_000 }).toBe(null);
    abort.abort();
    await watching;
    cluster.spawn(leader);
    await cluster.waitReady(leader);
  }, 90_000);

  test('session expiry: SessionExpiredError on open streams; later calls use a new session', async () => {
    const { client, proxies: mine } = await proxied({ sessionTimeoutMs: 3_000 });
    const value = client.atomicValue('expiring', { codec: 'string' });
    await value.set('before');
    const events = value.events();
    await events.subscribed;
    const ended = (async () => {
      try {
        for await (const _ of events);
        return 'ended without error';
      } catch (error) {
        return error;
      }
    })();
    for (const proxy of mine) proxy.hold(true);
    // Keep-alives cannot pass for longer than the session timeout.
    await new Promise((resolve) => setTimeout(resolve, 4_500));
    for (const proxy of mine) proxy.hold(false);
    expect(await ended).toBeInstanceOf(SessionExpiredError);
    await value.set('after');
    expect((await value.get()).value).toBe('after');
  }, 60_000);

  test('cancellation: 1,000 aborted calls and abandoned streams leave nothing behind', async () => {
    const client = await direct();
    const value = client.atomicValue('cycled', { codec: 'string' });
    await value.set('v');
    const sessions = client.sessionCount;
    const partition = client.partitionOf('cycled');
    const serverBefore = await serverGauges(partition);
    for (let i = 0; i < 1_000; i++) {
      const abort = new AbortController();
      switch (i % 3) {
        case 0: {
          // No change comes: the stream ends when its signal aborts.
          const events = value.events({ signal: abort.signal });
          await events.subscribed;
          abort.abort();
          for await (const _ of events);
          break;
        }
        case 1:
          for await (const _ of value.watch({ signal: abort.signal })) break;
          break;
        case 2: {
          const call = value.get({ signal: abort.signal });
          abort.abort();
          await call.catch(() => undefined);
        }
      }
    }
    await expect.poll(() => client.streamCount).toBe(0);
    expect(client.sessionCount).toBe(sessions);
    expect(client.openCallCount).toBe(0);
    // On the nodes: the events streams end once a keep-alive retires them, the last few closed
    // watchers once the value changes (watchers.test.ts bounds them on an idle value); no session
    // was added. What earlier tests left may go meanwhile (a closed watcher of another value
    // lingers on its leader until that value changes or the leader does, seen once in CI), so the
    // streams may fall below the count before the cycles, never rise above it.
    await value.set('after the cycles');
    await expect
      .poll(() => serverGauges(partition), { timeout: 20_000, interval: 500 })
      .toSatisfy(
        (now: typeof serverBefore) =>
          now.sessions === serverBefore.sessions && now.streams <= serverBefore.streams,
      );
  }, 120_000);
});
