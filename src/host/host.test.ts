import { afterEach, describe, expect, test } from 'vitest';
import { type NodeId, nodeId, partitionId } from '../common/index.js';
import { Status } from '../gen/multiraft/v1/output_pb.js';
import { bytes, decode, wire } from '../primitives/testing/atomic-value-wire.js';
import { NotLeaderError } from '../raft/index.js';
import { OverloadedError } from '../replica/index.js';
import {
  callValue,
  createValue,
  getByName,
  openSession,
  valueResult,
} from '../replica/testing/inputs.js';
import { HostStoppedError, UnknownPartitionError } from './errors.js';
import type { Host } from './host.js';
import type { HostObserver } from './observer.js';
import { type HostClock, systemClock } from './options.js';
import { HostCluster, proposeOn, queryOn, waitFor } from './testing/host-cluster.js';

const p1 = partitionId(1);

/** Counts what a host reports; a timing counts once its stop function runs. */
class CountingObserver implements HostObserver {
  readonly counts = {
    proposals: 0,
    answered: 0,
    reads: 0,
    applies: 0,
    applied: 0,
    taken: 0,
    installed: 0,
    sent: 0,
  };
  proposal() {
    this.counts.proposals++;
    return () => {
      this.counts.answered++;
    };
  }
  read() {
    this.counts.reads++;
  }
  apply() {
    this.counts.applies++;
    return (entries: number) => {
      this.counts.applied += entries;
    };
  }
  snapshotTaken() {
    this.counts.taken++;
  }
  snapshotInstalled() {
    this.counts.installed++;
  }
  snapshotSent() {
    this.counts.sent++;
  }
}
let cluster: HostCluster | undefined;

afterEach(async () => {
  await cluster?.stopAll();
  cluster = undefined;
});

async function newCluster(options: ConstructorParameters<typeof HostCluster>[0]) {
  cluster = new HostCluster(options);
  await cluster.startAll();
  await waitFor(() => cluster!.ids.every((id) => cluster!.host(id).ready()), 'every leader');
  return cluster;
}

/** 3 nodes whose idle partitions go quiet after 5 ticks (50 ms); `quiet`: all are, everywhere. */
async function quiescingCluster(partitions: number, clock?: (id: NodeId) => HostClock) {
  const c = await newCluster({
    nodes: 3,
    partitions,
    replication: 3,
    limits: { quiesceAfterTicks: 5 },
    ...(clock === undefined ? {} : { clock }),
  });
  const quiet = () => c.ids.every((id) => c.host(id).activeCount() === 0);
  return { c, quiet };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Opens a session on the partition's leader and creates value `v`; returns ids. */
async function session(c: HostCluster, partition = p1) {
  const leader = c.leaderOf(partition)!;
  const open = await proposeOn(leader, partition, openSession());
  expect(open.status).toBe(Status.OK);
  const s = Number(open.index);
  const created = await proposeOn(leader, partition, createValue(s, 1));
  expect(created.status).toBe(Status.OK);
  return { session: s, service: Number(created.index) };
}

async function setValue(c: HostCluster, ids: { session: number; service: number }, seq: number) {
  const leader = c.leaderOf(p1);
  if (leader === undefined) throw new Error('no leader');
  const out = await proposeOn(
    leader,
    p1,
    callValue(ids.session, seq, ids.service, wire.set(bytes(`v${seq}`))),
  );
  return valueResult(out);
}

/** The value of `v` read on `host`, as text. */
async function getValue(host: Host) {
  const { result } = await queryOn(host, p1, getByName());
  return (decode(result).output as { get?: { value: string } } | undefined)?.get?.value;
}

describe('Host', () => {
  test('a single node elects itself in every partition and serves commands and reads', async () => {
    const c = await newCluster({ nodes: 1, partitions: 4, replication: 1 });
    expect(c.host(nodeId(1)).partitionIds().map(Number)).toEqual([1, 2, 3, 4]);
    const ids = await session(c);
    expect(await setValue(c, ids, 2)).toMatchObject({ status: 'OK' });
    expect(await getValue(c.host(nodeId(1)))).toBe('v2');
  });

  test('the observer hears every proposal answered, reads and applied entries', async () => {
    const observer = new CountingObserver();
    const c = await newCluster({
      nodes: 1,
      partitions: 2,
      replication: 1,
      observer: () => observer,
    });
    const ids = await session(c);
    for (let seq = 2; seq <= 4; seq++) await setValue(c, ids, seq);
    await getValue(c.host(nodeId(1)));
    // A refused proposal is answered too (unknown partition).
    await expect(proposeOn(c.host(nodeId(1)), partitionId(9), openSession())).rejects.toThrow();
    expect(observer.counts).toMatchObject({ proposals: 6, answered: 6, reads: 1 });
    // Both partitions applied their leader's empty entry and tick; partition 1 the commands too.
    const applied = c
      .host(nodeId(1))
      .status()
      .reduce((n, s) => n + s.applied, 0);
    expect(observer.counts.applied).toBe(applied);
  });

  test('data survives a clean restart of every node', async () => {
    const c = await newCluster({ nodes: 3, partitions: 3, replication: 3 });
    const ids = await session(c);
    for (let seq = 2; seq <= 6; seq++) await setValue(c, ids, seq);
    await c.stopAll();
    await c.startAll();
    await waitFor(() => c.ids.every((id) => c.host(id).ready()), 'leaders after restart');
    expect(await getValue(c.leaderOf(p1)!)).toBe('v6');
  });

  test('3 nodes: preferred leaders of fresh partitions spread over the nodes', async () => {
    const c = await newCluster({ nodes: 3, partitions: 6, replication: 3 });
    const leaders = c
      .host(nodeId(1))
      .status()
      .map((s) => s.leader);
    expect(new Set(leaders).size).toBe(3);
  });

  test('the leader crashes: a new one is elected, nothing acknowledged is lost; it catches up', async () => {
    const c = await newCluster({ nodes: 3, partitions: 1, replication: 3 });
    const ids = await session(c);
    for (let seq = 2; seq <= 10; seq++) await setValue(c, ids, seq);
    const old = c.leaderOf(p1)!.nodeId;
    await c.crash(old);
    await waitFor(() => c.leaderOf(p1) !== undefined, 'a new leader');
    expect(c.leaderOf(p1)!.nodeId).not.toBe(old);
    expect(await getValue(c.leaderOf(p1)!)).toBe('v10');
    expect(await setValue(c, ids, 11)).toMatchObject({ status: 'OK' });
    const back = await c.start(old);
    const applied = () => c.leaderOf(p1)!.status()[0]!.applied;
    await waitFor(() => back.status()[0]!.applied >= applied(), 'the restarted node catches up');
    expect(back.stateSnapshot(p1)).toEqual(c.leaderOf(p1)!.stateSnapshot(p1));
  });

  test('a follower that fell behind the compacted log catches up through a snapshot', async () => {
    const observers = new Map<number, CountingObserver>();
    const c = await newCluster({
      nodes: 3,
      partitions: 1,
      replication: 3,
      limits: { snapshotEntries: 10 },
      wal: { catchUpMarginEntries: 0 },
      observer: (id) => observers.get(id) ?? observers.set(id, new CountingObserver()).get(id)!,
    });
    const ids = await session(c);
    const lagging = c.ids.find((id) => id !== c.leaderOf(p1)!.nodeId)!;
    c.network.setDown(lagging, true);
    for (let seq = 2; seq <= 40; seq++) await setValue(c, ids, seq);
    c.network.setDown(lagging, false);
    const leader = c.leaderOf(p1)!;
    await waitFor(
      () => c.host(lagging).status()[0]!.applied >= leader.status()[0]!.applied,
      'the lagging node catches up',
    );
    expect(c.logger(lagging).lines.some((l) => l.includes('installed snapshot'))).toBe(true);
    // The observers heard it: the leader took and sent a snapshot, the lagging node installed it.
    expect(observers.get(leader.nodeId)!.counts).toMatchObject({ sent: 1, answered: 41 });
    expect(observers.get(leader.nodeId)!.counts.taken).toBeGreaterThanOrEqual(3);
    expect(observers.get(lagging)!.counts).toMatchObject({ installed: 1, proposals: 0 });
    expect(c.host(lagging).stateSnapshot(p1)).toEqual(leader.stateSnapshot(p1));
    // The installed snapshot and the entries after it survive a restart of that node.
    await c.stop(lagging);
    const back = await c.start(lagging);
    await waitFor(() => back.status()[0]!.applied >= leader.status()[0]!.applied, 'restart');
    expect(back.stateSnapshot(p1)).toEqual(leader.stateSnapshot(p1));
  });

  test('back-pressure: beyond pendingProposalsMax a proposal is refused, safe to retry', async () => {
    const c = await newCluster({
      nodes: 1,
      partitions: 1,
      replication: 1,
      limits: { pendingProposalsMax: 1 },
    });
    const host = c.host(nodeId(1));
    const first = proposeOn(host, p1, openSession());
    const second = proposeOn(host, p1, openSession());
    await expect(second).rejects.toBeInstanceOf(OverloadedError);
    await expect(second).rejects.toMatchObject({ safeToRetry: true });
    expect((await first).status).toBe(Status.OK);
  });

  test('unknown partitions and partitions held elsewhere are refused with the right error', async () => {
    const c = await newCluster({ nodes: 3, partitions: 3, replication: 1 });
    const host = c.host(nodeId(1));
    await expect(proposeOn(host, partitionId(9), openSession())).rejects.toBeInstanceOf(
      UnknownPartitionError,
    );
    // Partition 2 lives on node 2 only.
    const refused = proposeOn(host, partitionId(2), openSession());
    await expect(refused).rejects.toBeInstanceOf(NotLeaderError);
    await expect(refused).rejects.toMatchObject({ leaderHint: 2 });
  });

  test('a failed fsync stops the host: callers are failed, nothing more is served', async () => {
    const c = await newCluster({ nodes: 1, partitions: 1, replication: 1 });
    const host = c.host(nodeId(1));
    await session(c);
    c.fs(nodeId(1)).failNextSync = true;
    const pending = proposeOn(host, p1, openSession());
    await expect(pending).rejects.toBeDefined();
    await waitFor(() => c.fatal(nodeId(1)) !== undefined, 'the fatal error');
    expect(host.failure).toBeDefined();
    expect(host.ready()).toBe(false);
    await expect(proposeOn(host, p1, openSession())).rejects.toBeInstanceOf(HostStoppedError);
  });

  test('idle partitions go quiet on every node and wake on traffic', async () => {
    const { c, quiet } = await quiescingCluster(3);
    await waitFor(quiet, 'every partition quiet');
    // A follower rests on the quiesce heartbeat itself; its answer is still on the way then (seen
    // once in CI). Heartbeats that had not stopped would go on every tick (10 ms here) and show.
    await sleep(20);
    const sent = c.network.delivered;
    await sleep(200);
    expect(c.network.delivered).toBe(sent);
    expect(quiet()).toBe(true);
    // A command wakes its partition, commits, and the partition goes quiet again.
    const ids = await session(c);
    expect(await setValue(c, ids, 2)).toMatchObject({ status: 'OK' });
    await waitFor(quiet, 'quiet again');
    expect(await getValue(c.leaderOf(p1)!)).toBe('v2');
  });

  test('a node whose partitions are all quiet stops ticking until traffic wakes one', async () => {
    const ticks = new Map<NodeId, number>();
    const counting = (id: NodeId): HostClock => ({
      ...systemClock,
      every: (ms, fn) =>
        systemClock.every(ms, () => {
          ticks.set(id, (ticks.get(id) ?? 0) + 1);
          fn();
        }),
    });
    const { c, quiet } = await quiescingCluster(3, counting);
    await waitFor(quiet, 'every partition quiet');
    await sleep(30);
    const before = new Map(ticks);
    // Ticks are 10 ms apart here: 200 ms of ticking would be about 20 per node.
    await sleep(200);
    expect(ticks).toEqual(before);
    const ids = await session(c);
    expect(await setValue(c, ids, 2)).toMatchObject({ status: 'OK' });
    // The partition woke: its leader ticks again (the commands may have been quicker than a tick).
    const leader = c.leaderOf(p1)!.nodeId;
    await waitFor(() => ticks.get(leader)! > before.get(leader)!, 'the leader ticking again');
    await waitFor(quiet, 'quiet again');
  });

  test("a quiet leader wakes when its state machine's timer is due, with no traffic", async () => {
    const { c, quiet } = await quiescingCluster(1);
    const sessions = () => c.ids.map((id) => c.host(id).replicas().get(p1)!.sessionCount);
    expect((await proposeOn(c.leaderOf(p1)!, p1, openSession(400))).status).toBe(Status.OK);
    expect(sessions()).toContain(1);
    await waitFor(quiet, 'quiet with the session open');
    // Nobody keeps the session alive: only the leader's expiry timer can end it.
    await waitFor(() => sessions().every((n) => n === 0), 'the session expired everywhere');
    await waitFor(quiet, 'quiet again');
  });

  test("a quiet follower whose leader's node becomes unreachable wakes and elects a new leader", async () => {
    const { c, quiet } = await quiescingCluster(1);
    await waitFor(quiet, 'quiet');
    // Past the next tick (10 ms here): every node has stopped ticking, so only the transport's
    // report of the lost node can wake the followers.
    await sleep(50);
    const old = c.leaderOf(p1)!.nodeId;
    c.network.setDown(old, true);
    const others = c.ids.filter((id) => id !== old);
    await waitFor(
      () => others.some((id) => c.host(id).status()[0]!.leader === id),
      'a new leader among the others',
    );
  });
});
