import { describe, expect, test } from 'vitest';
import { nodeId } from '../common/index.js';
import { MessageType } from '../raft/index.js';
import { RecordingCaller, TestCluster } from './testing/cluster.js';
import { openSession } from './testing/inputs.js';

/** The messages the leader's next Ready carries. */
function nextMessages(c: TestCluster, id: number) {
  const rd = c.replica(id).ready();
  c.replica(id).advance();
  return rd?.messages ?? [];
}

describe('Replica quiescence', () => {
  test('an idle leader sends a quiesce heartbeat to every follower, who may then rest', () => {
    const c = new TestCluster(3);
    c.elect(1);
    c.tick(2);
    expect(c.replica(1).quiesce()).toBe(true);
    const beats = nextMessages(c, 1);
    expect(beats.map((m) => [m.type, m.to, m.type === MessageType.Heartbeat && m.quiesce])).toEqual(
      [
        [MessageType.Heartbeat, 2, true],
        [MessageType.Heartbeat, 3, true],
      ],
    );
    for (const m of beats) c.replica(m.to).step(m);
    expect(c.replica(2).canRest(nodeId(1))).toBe(true);
    expect(c.replica(2).canRest(nodeId(3))).toBe(false);
  });

  test('a leader with a proposal waiting, or a session whose timer is due, does not quiesce', () => {
    const c = new TestCluster(3);
    c.elect(1);
    c.cut(1, 2);
    c.cut(1, 3);
    c.replica(1).propose(openSession(1_000), new RecordingCaller());
    c.stabilize();
    expect(c.replica(1).quiesce()).toBe(false);
    c.heal();
    c.tick(2);
    expect(c.replica(1).quiesce()).toBe(true);
    nextMessages(c, 1);
    // The session's expiry deadline comes due: a quiet leader must wake to fire it.
    c.clock.nowMs += 60_000;
    expect(c.replica(1).timerDue()).toBe(true);
    expect(c.replica(1).quiesce()).toBe(false);
  });

  test('a follower that lacks committed entries may not rest; followers never quiesce', () => {
    const c = new TestCluster(3);
    c.elect(1);
    c.tick(2);
    expect(c.replica(2).quiesce()).toBe(false);
    expect(c.replica(3).canRest(nodeId(1))).toBe(true);
    c.cut(1, 3);
    c.replica(1).propose(openSession(), new RecordingCaller());
    c.stabilize();
    // Node 3 missed the entry: its log ends before the leader's commit.
    expect(c.replica(1).quiesce()).toBe(false);
  });
});
