// Randomized interleavings on 3- and 5-node clusters: messages delivered in any order, dropped,
// duplicated; ticks; partitions; writes reported durable late; proposals, reads and compactions.
// After every step: at most one leader per term (election safety), no two different entries
// committed at one index (state-machine safety), and every leader's log holds every entry
// committed so far (leader completeness: nothing committed is lost across leader changes).
// Finally the network heals and the cluster must elect a leader and commit again (liveness).
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { type NodeId, nodeId } from '../common/index.js';
import { bytes, Cluster, text } from './_test-cluster.js';
import { RaftError } from './errors.js';
import { Role } from './raft.js';

type Action =
  | { k: 'tick' | 'ready' | 'persist' | 'propose' | 'read' | 'compact' | 'flush'; n: number }
  | { k: 'crash'; n: number }
  | { k: 'deliver' | 'drop' | 'dup'; n: number; pick: number }
  | { k: 'partition'; mask: number }
  | { k: 'heal' | 'tick-all' | 'round' };

const actionArb = (size: number): fc.Arbitrary<Action> => {
  const n = fc.integer({ min: 1, max: size });
  const pick = fc.nat({ max: 1000 });
  // Above `size`: aimed at the leader (as a host forwards), else at node n.
  const aimed = fc.integer({ min: 1, max: 2 * size });
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ k: fc.constant('tick' as const), n }) },
    { weight: 5, arbitrary: fc.record({ k: fc.constant('tick-all' as const) }) },
    { weight: 3, arbitrary: fc.record({ k: fc.constant('round' as const) }) },
    { weight: 10, arbitrary: fc.record({ k: fc.constant('flush' as const), n }) },
    { weight: 4, arbitrary: fc.record({ k: fc.constant('ready' as const), n }) },
    { weight: 5, arbitrary: fc.record({ k: fc.constant('persist' as const), n }) },
    { weight: 5, arbitrary: fc.record({ k: fc.constant('propose' as const), n: aimed }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('read' as const), n: aimed }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('compact' as const), n }) },
    { weight: 3, arbitrary: fc.record({ k: fc.constant('crash' as const), n }) },
    { weight: 6, arbitrary: fc.record({ k: fc.constant('deliver' as const), n, pick }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('drop' as const), n, pick }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('dup' as const), n, pick }) },
    {
      weight: 1,
      arbitrary: fc.record({ k: fc.constant('partition' as const), mask: fc.nat({ max: 31 }) }),
    },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('heal' as const) }) },
  );
};

class Checker {
  readonly leaders = new Map<number, NodeId>();
  /** index -> "term:data" of every entry any node applied. */
  readonly committed = new Map<number, string>();
  /** index -> the lowest term of a leader that committed it (commits happen on leaders). */
  readonly commitTerm = new Map<number, number>();

  constructor(readonly c: Cluster) {}

  check(): void {
    for (const [id, n] of this.c.nodes) {
      const s = n.raw.status();
      if (s.role === Role.Leader) {
        const other = this.leaders.get(s.term);
        if (other !== undefined && other !== id) {
          throw new Error(`two leaders in term ${s.term}: ${other} and ${id}`);
        }
        this.leaders.set(s.term, id);
        for (let i = 1; i <= s.commit; i++) {
          const t = this.commitTerm.get(i);
          if (t === undefined || t > s.term) this.commitTerm.set(i, s.term);
        }
      }
    }
  }

  /** Records what `id` applied in its last Ready and checks the leader's log. */
  afterReady(id: NodeId, applied: readonly { index: number; term: number; data: Uint8Array }[]) {
    for (const e of applied) {
      const value = `${e.term}:${text(e.data)}`;
      const known = this.committed.get(e.index);
      if (known !== undefined && known !== value) {
        throw new Error(`index ${e.index} committed as ${known} and as ${value} (node ${id})`);
      }
      this.committed.set(e.index, value);
    }
    const n = this.c.node(id);
    const status = n.raw.status();
    if (status.role !== Role.Leader) return;
    // Leader completeness: a leader holds every entry committed in its term or an earlier one.
    for (const [index, value] of this.committed) {
      const committedIn = this.commitTerm.get(index);
      if (committedIn === undefined || committedIn > status.term) continue;
      if (index < n.storage.firstIndex() || index > n.storage.lastIndex()) {
        if (index > n.storage.lastIndex()) {
          throw new Error(`leader ${id} lacks committed index ${index}`);
        }
        continue;
      }
      const t = Number(value.slice(0, value.indexOf(':')));
      if (n.storage.term(index as never) !== t) {
        throw new Error(`leader ${id} holds a different entry at committed index ${index}`);
      }
    }
  }
}

function runActions(size: number, seed: number, preVote: boolean, actions: Action[]): void {
  const c = new Cluster({
    voters: size,
    seed,
    log: false,
    config: {
      preVote,
      checkQuorum: preVote,
      electionTimeoutTicks: 4,
      heartbeatTicks: 1,
      maxInflightMsgs: 3,
      maxMsgBytes: 8,
      snapshotChunkBytes: 16,
    },
  });
  for (const n of c.nodes.values()) n.manualPersist = true;
  const checker = new Checker(c);
  let proposals = 0;
  const ready = (id: NodeId) => {
    const n = c.node(id);
    if (!n.raw.hasReady()) return;
    // Capture what the Ready applies through the harness's state machine.
    const before = n.lastApplied;
    c.processReady(id, false);
    const applied: { index: number; term: number; data: Uint8Array }[] = [];
    // Every entry applied one by one (a snapshot install skips what it covers).
    for (let i = Math.max(before + 1, n.storage.firstIndex()); i <= n.lastApplied; i++) {
      const d = n.applied.get(i) ?? '';
      applied.push({ index: i, term: termOf(c, id, i), data: bytes(d) });
    }
    checker.afterReady(id, applied);
  };
  for (const a of actions) {
    step(c, a, ready, () => `v${++proposals}`);
    checker.check();
  }
  // Heal, make everything durable, and require progress: a leader that commits a new entry.
  for (const i of c.nodes.keys()) c.group.set(i, 0);
  for (const n of c.nodes.values()) n.manualPersist = false;
  for (const id of c.nodes.keys()) c.persist(id, false);
  settle(c, checker, ready);
}

function termOf(c: Cluster, id: NodeId, index: number): number {
  const s = c.node(id).storage;
  return index >= s.firstIndex() - 1 ? s.term(index as never) : -1;
}

function step(c: Cluster, a: Action, ready: (id: NodeId) => void, data: () => string): void {
  const ids = [...c.nodes.keys()];
  const id = nodeId('n' in a ? a.n : 1);
  const inbox = c.inbox.get(id) ?? [];
  switch (a.k) {
    case 'tick':
      return c.node(id).raw.tick();
    case 'tick-all':
      for (const i of ids) c.node(i).raw.tick();
      return;
    case 'round':
      // Every node: take its messages, handle its Ready, make its writes durable.
      for (const i of ids) step(c, { k: 'flush', n: i }, ready, data);
      for (const i of ids) c.persist(i, false);
      return;
    case 'ready':
      return ready(id);
    case 'flush': {
      // Deliver the whole inbox in order (the usual case), then handle the node's Ready.
      c.inbox.set(id, []);
      for (const m of inbox) {
        if (c.group.get(m.from) === c.group.get(m.to)) c.node(id).raw.step(m);
      }
      return ready(id);
    }
    case 'persist':
      return c.persist(id, false);
    case 'crash':
      return c.restart(id);
    case 'propose':
    case 'read':
      try {
        const leader = ids.find((i) => c.node(i).raw.status().role === Role.Leader);
        const self = nodeId(((a.n - 1) % ids.length) + 1);
        const target = c.node(a.n > ids.length && leader !== undefined ? leader : self).raw;
        if (a.k === 'propose') target.propose(bytes(data()));
        else target.readIndex(1);
      } catch (error) {
        if (!(error instanceof RaftError)) throw error;
      }
      return;
    case 'compact': {
      // A snapshot of the state machine at the applied index; the log before it is dropped,
      // in the durable image as well (the snapshot is written durably on its own).
      const n = c.node(id);
      const at = n.lastApplied;
      if (at <= n.storage.snapshot().meta.index || at > n.durable.lastIndex()) return;
      // Both images must hold the applied entry itself: a snapshot is stamped with the term of
      // the entry it covers, and a durable image still holding an overwritten entry at `at`
      // would stamp it with the wrong term (a host snapshots what it applied, with its term).
      if (n.durable.term(at) !== n.storage.term(at)) return;
      for (const store of [n.storage, n.durable]) {
        store.createSnapshot(at, c.snapshotData(n, at));
        store.compact(at);
      }
      return;
    }
    case 'deliver': {
      if (inbox.length === 0) return;
      const [m] = inbox.splice(a.pick % inbox.length, 1);
      if (m && c.group.get(m.from) === c.group.get(m.to)) c.node(id).raw.step(m);
      return;
    }
    case 'drop':
      if (inbox.length > 0) inbox.splice(a.pick % inbox.length, 1);
      return;
    case 'dup':
      if (inbox.length > 0) inbox.push(inbox[a.pick % inbox.length]!);
      return;
    case 'partition':
      for (const [k, i] of ids.entries()) c.group.set(i, (a.mask >> k) & 1);
      return;
    case 'heal':
      for (const i of ids) c.group.set(i, 0);
      return;
  }
}

function settle(c: Cluster, checker: Checker, ready: (id: NodeId) => void): void {
  const ids = [...c.nodes.keys()];
  let proposed: { leader: NodeId; index: number } | undefined;
  for (let round = 0; round < 300; round++) {
    for (const id of ids) c.node(id).raw.tick();
    for (let k = 0; k < 50; k++) {
      let moved = false;
      for (const id of ids) {
        if (c.node(id).raw.hasReady()) {
          ready(id);
          moved = true;
        }
      }
      for (const id of ids) moved = c.deliver(id, false) || moved;
      checker.check();
      if (!moved) break;
    }
    const leader = ids.find((id) => c.node(id).raw.status().role === Role.Leader);
    if (leader === undefined) continue;
    if (proposed === undefined || proposed.leader !== leader) {
      try {
        proposed = { leader, index: c.node(leader).raw.propose(bytes('final')).index };
      } catch (error) {
        if (!(error instanceof RaftError)) throw error;
      }
      continue;
    }
    if (ids.every((id) => c.node(id).lastApplied >= proposed!.index)) return;
  }
  throw new Error('no progress after healing: the cluster did not commit a new entry');
}

describe('randomized interleavings keep Raft safe', () => {
  for (const size of [3, 5]) {
    test(`${size} nodes`, () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 1 << 30 }),
          fc.boolean(),
          fc.array(actionArb(size), { minLength: 300, maxLength: 800, size: 'max' }),
          (seed, preVote, actions) => {
            runActions(size, seed, preVote, actions);
          },
        ),
        // A time limit stops a long shrink so the counterexample is still printed.
        {
          numRuns: size === 3 ? 500 : 250,
          interruptAfterTimeLimit: 40_000,
        },
      );
    });
  }

  test('the checker catches two different entries at one index', () => {
    const c = new Cluster({ voters: 3, log: false });
    const checker = new Checker(c);
    checker.afterReady(nodeId(1), [{ index: 2, term: 1, data: bytes('a') }]);
    expect(() => checker.afterReady(nodeId(2), [{ index: 2, term: 1, data: bytes('b') }])).toThrow(
      /committed as/,
    );
  });
});
