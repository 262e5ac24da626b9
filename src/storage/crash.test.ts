// Crash tests on the fault-injecting file system: random workloads over several partitions, a
// crash after a random number of file-system operations (mid-write, between write and fdatasync,
// during a segment roll, a snapshot or a segment deletion), recovery, comparison with a model,
// and more work on the recovered log. Fixed seeds; a failure prints the seed.

import { describe, expect, it } from 'vitest';
import { logIndex, nodeId, Prng, term } from '../common/index.js';
import type { HardState } from '../raft/index.js';
import { FaultFileSystem } from './fault-fs.js';
import type { PartitionLog } from './partition-log.js';
import { entryData, p } from './test-helpers.js';
import { Wal } from './wal.js';

const partitions = 4;

interface ModelEntry {
  term: number;
  size: number;
  salt: number;
}
interface ModelPartition {
  base: number;
  entries: ModelEntry[];
  hardState: HardState;
}
type Model = ModelPartition[];

const clone = (m: Model): Model =>
  m.map((x) => ({ base: x.base, entries: x.entries.slice(), hardState: x.hardState }));

function emptyModel(): Model {
  return Array.from({ length: partitions }, () => ({
    base: 0,
    entries: [],
    hardState: { term: term(0), vote: 0, commit: logIndex(0) },
  }));
}

function lastOf(m: ModelPartition) {
  return m.base + m.entries.length;
}

function termOf(m: ModelPartition, i: number): number {
  return i <= m.base ? 0 : m.entries[i - m.base - 1]!.term;
}

/** Why the recovered log differs from model state `m`, or undefined when it matches. */
function mismatch(wal: Wal, m: Model): string | undefined {
  for (let k = 0; k < partitions; k++) {
    const log = wal.partition(p(k + 1));
    const want = m[k]!;
    if (log.lastIndex() !== lastOf(want)) return `p${k + 1} last ${log.lastIndex()}`;
    const hs = log.hardState();
    if (hs.term !== want.hardState.term || hs.commit !== want.hardState.commit) return 'hs';
    const from = Math.max(log.firstIndex(), want.base + 1);
    if (from > lastOf(want)) continue;
    const got = log.entries(logIndex(from), logIndex(lastOf(want) + 1), Number.MAX_SAFE_INTEGER);
    for (const e of got) {
      const me = want.entries[e.index - want.base - 1]!;
      const data = entryData(k + 1, e.index, me.term, me.size, me.salt);
      if (e.term !== me.term || !sameBytes(e.data, data)) return `p${k + 1} entry ${e.index}`;
    }
  }
  return undefined;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

class Workload {
  model: Model;
  history: Model[];
  durable = 0;
  terms: number[];
  constructor(
    readonly rng: Prng,
    model: Model,
  ) {
    this.model = model;
    this.history = [clone(model)];
    this.terms = model.map((x) => Math.max(1, x.hardState.term, termOf(x, lastOf(x))));
  }

  #did(): void {
    this.history.push(clone(this.model));
  }

  /** One random operation; returns false when the WAL (or the process) is gone. */
  async step(wal: Wal): Promise<void> {
    const r = this.rng;
    const k = r.below(partitions);
    const m = this.model[k]!;
    const log: PartitionLog = wal.partition(p(k + 1));
    const roll = r.float();
    if (roll < 0.55 || lastOf(m) === m.base) {
      this.#append(log, m, k, lastOf(m) + 1, 1 + r.below(5));
    } else if (roll < 0.7) {
      // Often the lowest point allowed: right after the commit index or the compaction point.
      const lowest = Math.max(m.base, m.hardState.commit) + 1;
      const from = r.below(3) === 0 ? lowest : m.base + 1 + r.below(lastOf(m) - m.base);
      if (from > m.hardState.commit) {
        this.terms[k]!++;
        this.#append(log, m, k, from, 1 + r.below(3));
      }
    } else if (roll < 0.9) {
      const hs: HardState = {
        term: term(this.terms[k]!),
        vote: nodeId(1 + r.below(3)),
        commit: logIndex(Math.max(m.hardState.commit, m.base + r.below(lastOf(m) - m.base + 1))),
      };
      log.setHardState(hs);
      m.hardState = hs;
      this.#did();
    } else if (roll < 0.93) {
      // A snapshot from the leader, past this log. The host persisted what came before.
      const mark = this.history.length - 1;
      await wal.flushed();
      this.durable = Math.max(this.durable, mark);
      await this.#receive(log, m, k, lastOf(m) + 1 + r.below(20));
    } else if (roll < 0.95 && m.hardState.commit > m.base) {
      // A state machine only applies (and snapshots) entries that are durable.
      const mark = this.history.length - 1;
      await wal.flushed();
      this.durable = Math.max(this.durable, mark);
      await this.#snapshot(log, m, m.hardState.commit);
    } else {
      const mark = this.history.length - 1;
      await wal.flushed();
      this.durable = Math.max(this.durable, mark);
    }
  }

  #append(log: PartitionLog, m: ModelPartition, k: number, from: number, count: number) {
    const t = this.terms[k]!;
    const salt = this.rng.below(1000);
    const adds: ModelEntry[] = [];
    const entries = [];
    for (let i = 0; i < count; i++) {
      const size = this.rng.below(4) === 0 ? this.rng.below(2000) : this.rng.below(64);
      adds.push({ term: t, size, salt });
      const index = from + i;
      entries.push({
        index: logIndex(index),
        term: term(t),
        type: 0 as const,
        data: entryData(k + 1, index, t, size, salt),
      });
    }
    log.append(entries);
    m.entries = m.entries.slice(0, from - m.base - 1).concat(adds);
    this.#did();
  }

  async #receive(log: PartitionLog, m: ModelPartition, k: number, index: number) {
    const t = ++this.terms[k]!;
    const meta = {
      index: logIndex(index),
      term: term(t),
      conf: { voters: [nodeId(2)], learners: [] },
    };
    const w = await log.receiveSnapshot(meta);
    await w.write(entryData(2, index, t, 300));
    try {
      await w.commit();
    } finally {
      // A crash inside commit() after the rename became durable leaves the log reset to the
      // snapshot: that outcome is a possible state too (the one before it is the other).
      m.base = index;
      m.entries = [];
      this.#did();
    }
  }

  async #snapshot(log: PartitionLog, m: ModelPartition, index: number) {
    const meta = {
      index: logIndex(index),
      term: term(termOf(m, index)),
      conf: { voters: [nodeId(1)], learners: [] },
    };
    const w = await log.createSnapshot(meta);
    await w.write(entryData(0, index, meta.term, 100));
    await w.write(entryData(1, index, meta.term, 50));
    await w.commit();
    // The log compacted to index - margin (3) when that is above its base.
    const target = index - 3;
    if (target > m.base) {
      m.entries = m.entries.slice(target - m.base);
      m.base = target;
    }
    this.#did();
  }
}

interface Stats {
  ops: number;
  torn: number;
  gcRecoveries: number;
}

async function runSeed(seed: number, stats: Stats): Promise<void> {
  // An fdatasync takes a macrotask: the workload queues more while a batch is in flight.
  let fs = new FaultFileSystem({ seed, syncDelay: (done) => setImmediate(done) });
  const rng = new Prng(seed ^ 0x9e3779b9);
  const opts = {
    dir: '/wal',
    segmentBytesMax: 8192,
    cacheBytesPerPartition: 512,
    catchUpMarginEntries: 3,
    pinnedSegmentsMax: 3,
    defer: (fn: () => void) => setImmediate(fn),
  };
  let model = emptyModel();
  for (let cycle = 0; cycle < 6; cycle++) {
    const wal = await Wal.open({ fs, ...opts });
    const work = new Workload(rng, model);
    // Half the cycles crash right after a write (unsynced: lost, kept or torn), half after any
    // operation (a write, an fdatasync, a segment creation, a rename, a deletion).
    if (cycle % 2 === 0) fs.crashAfterWrites = 3 + rng.below(100);
    else fs.crashAfterOps = 5 + rng.below(200);
    try {
      for (let i = 0; i < 400; i++) {
        await work.step(wal);
        if (rng.below(3) === 0) await new Promise((r) => setImmediate(r));
      }
    } catch {
      // The crash surfaced as a failed WAL or a dead file system.
    }
    stats.ops += work.history.length - 1;
    fs.crashAfterOps = undefined;
    fs.crashAfterWrites = undefined;
    // Let the dead process's pending callbacks run out before the next one starts.
    await new Promise((r) => setImmediate(r));
    const next = fs.crash();
    fs = next;
    const recovered = await Wal.open({ fs, ...opts });
    let matched = -1;
    for (let j = work.history.length - 1; j >= work.durable; j--) {
      if (mismatch(recovered, work.history[j]!) === undefined) {
        matched = j;
        break;
      }
    }
    const why = mismatch(recovered, work.history[work.durable]!);
    expect(
      matched,
      `seed ${seed} cycle ${cycle}: durable ${work.durable}: ${why}`,
    ).toBeGreaterThanOrEqual(work.durable);
    model = work.history[matched]!;
    if (recovered.tornAt) stats.torn++;
    if ((recovered.segmentSeqs()[0] ?? 1) > 1) stats.gcRecoveries++;
    await recovered.close();
  }
}

describe('crash recovery on the fault-injecting file system', () => {
  it('keeps every durable batch and nothing torn, across 30 seeds x 6 crashes', async () => {
    const stats: Stats = { ops: 0, torn: 0, gcRecoveries: 0 };
    for (let seed = 1; seed <= 30; seed++) await runSeed(seed, stats);
    console.log(`crash test: ${JSON.stringify(stats)}`);
    // The workload reaches the paths under test: torn tails and recovery after segment deletion.
    expect(stats.ops).toBeGreaterThan(1000);
    expect(stats.torn).toBeGreaterThan(8);
    expect(stats.gcRecoveries).toBeGreaterThan(10);
  });
});
