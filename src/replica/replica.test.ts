import { create, fromBinary } from '@bufbuild/protobuf';
import { describe, expect, test } from 'vitest';
import { LogEntrySchema } from '../gen/multiraft/v1/log_pb.js';
import { QueryInputSchema, Status } from '../gen/multiraft/v1/output_pb.js';
import { bytes, decode, duration, wire } from '../primitives/testing/atomic-value-wire.js';
import { NotLeaderError } from '../raft/index.js';
import { LeadershipChangedError, OverloadedError, SupersededError } from './errors.js';
import { RecordingCaller, RecordingQuery, TestCluster } from './testing/cluster.js';
import { callValue, createValue, getByName, openSession, valueResult } from './testing/inputs.js';

/** Opens a session and creates value `v` on a single-node cluster; returns ids. */
function setup(extra = {}) {
  const c = new TestCluster(1, extra);
  c.elect(1);
  const open = new RecordingCaller();
  c.replica(1).propose(openSession(), open);
  c.stabilize();
  const session = Number(open.last?.index);
  expect(open.last?.output?.output.case).toBe('openSession');
  const created = new RecordingCaller();
  c.replica(1).propose(createValue(session, 1), created);
  c.stabilize();
  const service = Number(created.last?.index);
  expect(created.last?.status).toBe(Status.OK);
  return { c, session, service };
}

describe('Replica', () => {
  test('routes session-management answers by index and commands by (session, seq)', () => {
    const { c, session, service } = setup();
    expect(session).toBeGreaterThan(0);
    expect(service).toBeGreaterThan(session);
    const set = new RecordingCaller();
    c.replica(1).propose(callValue(session, 2, service, wire.set('a')), set);
    c.stabilize();
    expect(set.outputs).toHaveLength(1);
    expect(set.last?.done).toBe(true);
    expect(valueResult(set.last!)).toEqual({
      status: 'OK',
      output: { set: Number(set.last?.index) },
    });
  });

  test('a retried command replays its cached output and never executes twice', () => {
    const { c, session, service } = setup();
    const first = new RecordingCaller();
    c.replica(1).propose(callValue(session, 2, service, wire.set('a')), first);
    c.stabilize();
    const retry = new RecordingCaller();
    c.replica(1).propose(callValue(session, 2, service, wire.set('a')), retry);
    c.stabilize();
    expect(valueResult(retry.last!)).toEqual(valueResult(first.last!));
    expect(retry.last?.index).toBe(first.last?.index);
    const get = new RecordingQuery();
    c.replica(1).query(getByName(), get);
    c.stabilize();
    expect(decode(get.results[0]!.result)).toEqual({
      status: 'OK',
      output: { get: { value: 'a', index: Number(first.last?.index) } },
    });
  });

  test('a retry while the first proposal waits supersedes the first caller', () => {
    const { c, session, service } = setup();
    const first = new RecordingCaller();
    const retry = new RecordingCaller();
    c.replica(1).propose(callValue(session, 2, service, wire.set('a')), first);
    c.replica(1).propose(callValue(session, 2, service, wire.set('a')), retry);
    c.stabilize();
    expect(first.errors[0]).toBeInstanceOf(SupersededError);
    expect(first.outputs).toHaveLength(0);
    expect(retry.outputs.length).toBeGreaterThanOrEqual(1);
    expect(retry.last?.status).toBe(Status.OK);
  });

  test('stamps entries with the leader clock, never going backwards', () => {
    const { c, session, service } = setup();
    const t0 = c.clock.nowMs;
    c.clock.nowMs = t0 - 60_000;
    c.replica(1).propose(callValue(session, 2, service, wire.set('a')), new RecordingCaller());
    c.clock.nowMs = t0 + 5;
    c.replica(1).propose(callValue(session, 3, service, wire.set('b')), new RecordingCaller());
    c.stabilize();
    const stamps = c
      .node(1)
      .storage.allEntries()
      .filter((e) => e.data.length > 0)
      .map((e) => Number(fromBinary(LogEntrySchema, e.data).timestampMs));
    for (let i = 1; i < stamps.length; i++)
      expect(stamps[i]).toBeGreaterThanOrEqual(stamps[i - 1]!);
    expect(stamps.at(-1)).toBe(t0 + 5);
    expect(stamps.at(-2)).toBe(t0);
  });

  test('proposes a tick entry after winning and when a timer is due, so TTLs expire idle', () => {
    const { c, session, service } = setup();
    const ticksAfterElection = c
      .node(1)
      .storage.allEntries()
      .filter((e) => e.data.length > 0 && fromBinary(LogEntrySchema, e.data).entry.case === 'tick');
    expect(ticksAfterElection).toHaveLength(1);
    const events = new RecordingCaller();
    c.replica(1).propose(callValue(session, 2, service, wire.events()), events);
    c.replica(1).propose(
      callValue(session, 3, service, wire.set('x', { ttl: duration(1) })),
      new RecordingCaller(),
    );
    c.stabilize();
    c.tick();
    expect(events.outputs).toHaveLength(2); // acknowledgement + Created
    c.clock.nowMs += 999;
    c.tick();
    expect(events.outputs).toHaveLength(2);
    c.clock.nowMs += 1;
    c.tick();
    expect(events.outputs).toHaveLength(3);
    expect(valueResult(events.last!)).toMatchObject({
      output: { events: { deleted: { value: 'x' }, expired: true } },
    });
  });

  test('queries run after the read index is applied; a follower refuses with a hint', () => {
    const c = new TestCluster(3);
    c.elect(2);
    const open = new RecordingCaller();
    c.replica(2).propose(openSession(), open);
    c.stabilize();
    const session = Number(open.last?.index);
    const created = new RecordingCaller();
    c.replica(2).propose(createValue(session, 1), created);
    c.stabilize();
    const set = new RecordingCaller();
    c.replica(2).propose(callValue(session, 3, Number(created.last?.index), wire.set('q')), set);
    c.stabilize();
    const get = new RecordingQuery();
    c.replica(2).query(getByName(), get);
    c.stabilize();
    expect(get.results).toHaveLength(1);
    expect(get.ended).toBe(true);
    expect(get.results[0]!.index).toBeGreaterThanOrEqual(Number(set.last?.index));
    expect(decode(get.results[0]!.result)).toMatchObject({
      output: { get: { value: 'q' } },
    });
    const onFollower = new RecordingQuery();
    c.replica(1).query(getByName(), onFollower);
    expect(onFollower.errors[0]).toBeInstanceOf(NotLeaderError);
    expect((onFollower.errors[0] as NotLeaderError).leaderHint).toBe(2);
    const proposeOnFollower = new RecordingCaller();
    c.replica(3).propose(openSession(), proposeOnFollower);
    expect((proposeOnFollower.errors[0] as NotLeaderError).leaderHint).toBe(2);
  });

  test('counts sessions, services, running streams and the elections it started and won', () => {
    const c = new TestCluster(3);
    c.elect(1);
    expect(c.replica(1).elections).toEqual({ started: 1, won: 1 });
    expect(c.replica(2).elections).toEqual({ started: 0, won: 0 });
    const open = new RecordingCaller();
    c.replica(1).propose(openSession(), open);
    c.stabilize();
    const session = Number(open.last?.index);
    const created = new RecordingCaller();
    c.replica(1).propose(createValue(session, 1), created);
    c.stabilize();
    const service = Number(created.last?.index);
    const events = new RecordingCaller();
    c.replica(1).propose(callValue(session, 2, service, wire.events()), events);
    const watch = new RecordingQuery();
    const target = { case: 'serviceId', value: BigInt(service) } as const;
    c.replica(1).query(create(QueryInputSchema, { target, payload: wire.watch() }), watch);
    c.tick(5);
    const leader = c.replica(1);
    expect([leader.sessionCount, leader.serviceCount, leader.streamCount]).toEqual([1, 1, 2]);
    // A follower holds the replicated state (the events stream) but runs no watch.
    const follower = c.replica(2);
    expect([follower.sessionCount, follower.serviceCount, follower.streamCount]).toEqual([1, 1, 1]);
    c.cut(1, 2);
    c.cut(1, 3);
    c.tick(40);
    // The deposed leader's watch ended; whoever won counts the election.
    expect(leader.streamCount).toBe(1);
    const winner = c.replica(2).isLeader ? c.replica(2) : c.replica(3);
    expect(winner.elections.won).toBe(1);
    expect(winner.elections.started).toBeGreaterThanOrEqual(1);
  });

  test('a leader that loses leadership fails its waiting callers, reads and watches', () => {
    const c = new TestCluster(3);
    c.elect(1);
    const open = new RecordingCaller();
    c.replica(1).propose(openSession(), open);
    c.stabilize();
    const session = Number(open.last?.index);
    const created = new RecordingCaller();
    c.replica(1).propose(createValue(session, 1), created);
    c.stabilize();
    const watch = new RecordingQuery();
    c.replica(1).query(
      create(QueryInputSchema, {
        target: { case: 'serviceId', value: created.last!.index },
        payload: wire.watch(),
      }),
      watch,
    );
    c.stabilize();
    expect(watch.results).toHaveLength(1);
    c.cut(1, 2);
    c.cut(1, 3);
    const stranded = new RecordingCaller();
    c.replica(1).propose(
      callValue(session, 2, Number(created.last?.index), wire.set('lost')),
      stranded,
    );
    const read = new RecordingQuery();
    c.replica(1).query(getByName(), read);
    c.stabilize();
    // The cut-off leader steps down (check-quorum) and the others elect a new one.
    c.tick(40);
    const leader = c.replica(2).isLeader ? 2 : 3;
    expect(c.replica(leader).isLeader).toBe(true);
    c.heal();
    c.tick(3);
    expect(c.replica(1).isLeader).toBe(false);
    expect(stranded.errors[0]).toBeInstanceOf(LeadershipChangedError);
    expect((stranded.errors[0] as LeadershipChangedError).safeToRetry).toBe(false);
    expect(read.errors[0]).toBeInstanceOf(LeadershipChangedError);
    expect(watch.errors[0]).toBeInstanceOf(LeadershipChangedError);
    // The overwritten entry never applied anywhere: the new leader's value is untouched.
    const get = new RecordingQuery();
    c.replica(leader).query(getByName(), get);
    c.stabilize();
    expect(decode(get.results[0]!.result).status).toBe('NOT_FOUND');
  });

  test('pendingProposalsMax refuses with OverloadedError', () => {
    const { c, session, service } = setup({ pendingProposalsMax: 2 });
    const callers = [2, 3, 4].map((seq) => {
      const caller = new RecordingCaller();
      c.replica(1).propose(callValue(session, seq, service, wire.set(`v${seq}`)), caller);
      return caller;
    });
    expect(callers[2]!.errors[0]).toBeInstanceOf(OverloadedError);
    c.stabilize();
    expect(callers[0]!.last?.status).toBe(Status.OK);
    expect(callers[1]!.last?.status).toBe(Status.OK);
  });

  test('calls made from inside an output callback are deferred and still run', () => {
    const { c, session, service } = setup();
    const second = new RecordingCaller();
    const first = new RecordingCaller();
    first.onOutput = () =>
      c.replica(1).propose(callValue(session, 3, service, wire.set('b')), second);
    c.replica(1).propose(callValue(session, 2, service, wire.set('a')), first);
    c.stabilize();
    expect(first.last?.status).toBe(Status.OK);
    expect(second.last?.status).toBe(Status.OK);
  });

  test('snapshots by policy; a restarted replica restores from it and matches', () => {
    const { c, session, service } = setup({ snapshotEntries: 5 });
    for (let seq = 2; seq < 12; seq++) {
      c.replica(1).propose(
        callValue(session, seq, service, wire.set(bytes(`v${seq}`))),
        new RecordingCaller(),
      );
      c.stabilize();
    }
    expect(c.node(1).storage.snapshot().meta.index).toBeGreaterThan(0);
    const before = c.replica(1).stateSnapshot();
    c.restart(1);
    c.elect(1);
    const get = new RecordingQuery();
    c.replica(1).query(getByName(), get);
    c.stabilize();
    expect(decode(get.results[0]!.result)).toMatchObject({
      output: { get: { value: 'v11' } },
    });
    expect(c.replica(1).applied).toBeGreaterThan(0);
    expect(before.length).toBeGreaterThan(0);
  });
});
