// One simulated run from a seed: a cluster of SimNodes (real hosts over the real WAL on
// fault-injecting disks) on a faulty network with drifting clocks, clients running the AtomicValue
// workload, a nemesis injecting faults, then healing, final reads and every check of DESIGN §8.
// The same seed replays the same run, bit for bit.

import { type NodeId, nodeId, type PartitionId, Prng, partitionOf } from '../src/common/index.js';
import { placePartitions } from '../src/host/index.js';
import { primitiveTypes } from '../src/primitives/index.js';
import { SimClock } from './clock.js';
import { EventsChecker } from './events-checker.js';
import { checkHistory, type HistoryOp, HistoryRecorder } from './linearizability/index.js';
import { Nemesis } from './nemesis.js';
import { type NetworkFaults, SimNetwork } from './network.js';
import { Scheduler } from './scheduler.js';
import { SimClient } from './sim-client.js';
import { SimNode } from './sim-node.js';
import { StateChecker } from './state-checker.js';
import type { Wire } from './wire.js';

export interface SimOptions {
  readonly seed: number;
  readonly nodes: number;
  readonly partitions: number;
  readonly clients: number;
  readonly keys: number;
  /** Simulated ms of workload under faults. */
  readonly chaosMs: number;
  readonly faults: boolean;
  readonly trace?: (line: string) => void;
}

export const defaultSimOptions: Omit<SimOptions, 'seed'> = {
  nodes: 3,
  partitions: 3,
  clients: 3,
  keys: 4,
  chaosMs: 15_000,
  faults: true,
};

export interface SeedResult {
  readonly seed: number;
  readonly ops: number;
  readonly faults: number;
  /** Whether the linearizability checker ran out of budget (counted as a failure). */
  readonly checkerUnknown: boolean;
  /** Operations whose outcome the client could not learn (possibly applied). */
  readonly unknownOps: number;
  readonly violations: readonly string[];
  readonly history: readonly HistoryOp[];
  readonly stats: Record<string, number>;
}

const mildNetwork: NetworkFaults = {
  delayMsMin: 1,
  delayMsMax: 4,
  lossRate: 0.01,
  duplicateRate: 0.01,
};
const calm: NetworkFaults = { delayMsMin: 1, delayMsMax: 2, lossRate: 0, duplicateRate: 0 };
const clientBase = 100;
const MiB = 1024 * 1024;

export async function runSeed(options: SimOptions): Promise<SeedResult> {
  const random = new Prng(options.seed);
  const scheduler = new Scheduler();
  const trace = options.trace ?? (() => {});
  const violations: string[] = [];
  const violation = (what: string) => {
    violations.push(`t=${scheduler.now}: ${what}`);
    trace(`VIOLATION ${what}`);
  };
  const nodeIds = Array.from({ length: options.nodes }, (_, i) => nodeId(i + 1));
  const placement = placePartitions(nodeIds, options.partitions, nodeIds.length);
  const partitions = [...placement.keys()];
  const nodes = new Map<NodeId, SimNode>();
  const clients = new Map<NodeId, SimClient>();
  const network = new SimNetwork<Wire>(scheduler, random.fork(), (from, to, wire) => {
    if (to >= clientBase) clients.get(to)?.deliver(wire);
    else nodes.get(to)?.deliver(from, wire);
  });
  network.faults = options.faults ? mildNetwork : calm;
  const send = (from: NodeId, to: NodeId, wire: Wire) => network.send(from, to, wire);
  const reachable = (from: NodeId, to: NodeId) =>
    !network.isCut(from, to) && nodes.get(to)?.up === true;
  const nemesis = new Nemesis({
    scheduler,
    random: random.fork(),
    network,
    nodes,
    partitions,
    trace,
  });
  const states = new StateChecker(violation);
  const leaders = new Map<string, NodeId>();
  const observe = (node: SimNode) => {
    nemesis.observe(node);
    // Hashing every applied state would double a run's time: only where a divergence is likely.
    const suspect = nemesis.suspect;
    if (suspect !== undefined) states.observe(node, suspect);
    for (const [partition, replica] of node.replicas()) {
      if (!replica.isLeader) continue;
      const key = `${partition}:${replica.status().term}`;
      const known = leaders.get(key);
      if (known === undefined) {
        leaders.set(key, node.id);
        trace(
          `t=${scheduler.now} node ${node.id} leads partition ${key.replace(':', ' in term ')}`,
        );
      } else if (known !== node.id) {
        violation(
          `two leaders in partition ${partition} term ${key.split(':')[1]}: ${known}, ${node.id}`,
        );
      }
    }
  };
  // One entry per Append (0) splits a new leader's empty entry from older ones: the figure-8
  // window that a single batched Append would close.
  const maxMsgBytes = random.pick([0, 200, 64 * 1024]);
  const maxInflightMsgs = random.pick([1, 4, 256]);
  // Small segments roll over and are collected (a record must fit in half a segment: only with
  // small Appends); a small cache sends reads of old entries to disk; a small catch-up margin
  // releases entries soon after a snapshot, so laggards get snapshots.
  const smallAppends = maxMsgBytes <= 200;
  const wal = {
    segmentBytesMax: random.pick(smallAppends ? [16 * 1024, 64 * MiB] : [1 * MiB, 64 * MiB]),
    pinnedSegmentsMax: random.pick([2, 4]),
    cacheBytesPerPartition: random.pick([4 * 1024, 1 * MiB]),
    catchUpMarginEntries: random.pick([0, 20, 1000]),
  };
  // Sessions' keep-alives come every 1.25 s, so with the default (20 ticks, 2 s) no partition ever
  // goes quiet here. With 3 ticks idle partitions rest between them: quiet leaders wake on their
  // timers, quiet followers on a lost leader, and nodes stop ticking while all are quiet.
  const quiesceAfterTicks = random.pick([3, 20]);
  for (const id of nodeIds) {
    const drift = options.faults ? (random.float() - 0.5) * 0.02 : 0;
    nodes.set(
      id,
      new SimNode({
        id,
        placement,
        scheduler,
        send,
        reachable,
        random: random.fork(),
        clock: new SimClock(() => scheduler.now, drift, 1_700_000_000_000 + random.int(0, 200)),
        fsm: { types: primitiveTypes, sessionTimeoutMsDefault: 5_000 },
        tickMs: 100,
        fsyncMsMin: 1,
        fsyncMsMax: options.faults ? 8 : 2,
        snapshotEntries: 40 + random.int(0, 80),
        quiesceAfterTicks,
        maxMsgBytes,
        maxInflightMsgs,
        wal,
        observe,
      }),
    );
  }
  const recorder = new HistoryRecorder();
  const events = new EventsChecker(violation);
  const keys = Array.from({ length: options.keys }, (_, i) => `default/value-${i}`);
  const partitionFor = (key: string): PartitionId =>
    partitionOf(key.split('/')[1] ?? key, options.partitions);
  for (let i = 0; i < options.clients; i++) {
    const id = nodeId(clientBase + i);
    clients.set(
      id,
      new SimClient({
        id,
        name: `c${i + 1}`,
        nodes: nodeIds,
        keys,
        partitionOf: partitionFor,
        scheduler,
        random: random.fork(),
        send,
        recorder,
        events,
        violation,
        sessionTimeoutMs: 5_000,
        attemptTimeoutMs: 300,
        opTimeoutMs: 3_000,
        subscribe: i === 0 ? keys : [],
        thinkMsMax: 40,
      }),
    );
  }

  const startMs = 1_000;
  const healMs = startMs + options.chaosMs;
  scheduler.after(startMs, () => {
    for (const client of clients.values()) client.start();
  });
  if (options.faults) nemesis.run(startMs + 500, healMs);
  await scheduler.runUntil(healMs);

  // Heal: every fault ends, every node runs; the workload stops and in-flight calls settle.
  nemesis.healAll();
  network.faults = calm;
  trace(`t=${scheduler.now} healed`);
  for (const client of clients.values()) client.pause();
  await scheduler.runUntil(healMs + 4_000);

  // Progress and durability: a final read of every key must be answered.
  const reader = clients.values().next().value as SimClient;
  let answered: boolean | undefined;
  reader.finalReads(keys, scheduler.now + 15_000, (ok) => {
    answered = ok;
  });
  await scheduler.runUntil(scheduler.now + 16_000);
  if (answered !== true) violation('no progress after healing: final reads were not all answered');

  for (const client of clients.values()) client.stop();
  await convergence(scheduler, nodes, partitions, violation);

  const history = recorder.history();
  const check = checkHistory(history);
  if (check.verdict === 'violation') {
    violation(`linearizability ${check.verdict} on ${check.key}\n${check.explanation ?? ''}`);
  }
  let ops = 0;
  let sessions = 0;
  for (const client of clients.values()) {
    ops += client.opsIssued;
    sessions += client.sessionsOpened;
  }
  let crashes = 0;
  let tornTails = 0;
  for (const node of nodes.values()) {
    crashes += node.crashes;
    tornTails += node.tornTails;
  }
  return {
    seed: options.seed,
    ops,
    faults: nemesis.count,
    checkerUnknown: check.verdict === 'unknown',
    unknownOps: recorder.unknownCount,
    violations,
    history,
    stats: {
      sessions,
      crashes,
      tornTails,
      events: events.events,
      subscriptions: events.subscriptions,
      messages: network.stats.sent,
      terms: leaders.size,
    },
  };
}

/** After a quiet period every replica of a partition has applied the same index and state. */
async function convergence(
  scheduler: Scheduler,
  nodes: ReadonlyMap<NodeId, SimNode>,
  partitions: readonly PartitionId[],
  violation: (what: string) => void,
): Promise<void> {
  for (let waited = 0; waited <= 20_000; waited += 500) {
    await scheduler.runUntil(scheduler.now + 500);
    const problems = divergence(nodes, partitions);
    if (problems.length === 0) return;
    if (waited === 20_000) for (const p of problems) violation(p);
  }
}

function divergence(
  nodes: ReadonlyMap<NodeId, SimNode>,
  partitions: readonly PartitionId[],
): string[] {
  const problems: string[] = [];
  for (const partition of partitions) {
    const states = [...nodes.values()].map((node) => {
      const replica = node.replicas().get(partition);
      return { node: node.id, applied: replica?.applied ?? -1, state: replica?.stateSnapshot() };
    });
    const first = states[0];
    if (first === undefined) continue;
    for (const s of states.slice(1)) {
      if (s.applied !== first.applied) {
        problems.push(
          `partition ${partition}: node ${s.node} applied ${s.applied}, node ${first.node} ${first.applied}`,
        );
      } else if (!sameBytes(s.state, first.state)) {
        problems.push(
          `partition ${partition}: nodes ${first.node} and ${s.node} differ at index ${s.applied}`,
        );
      }
    }
  }
  return problems;
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
