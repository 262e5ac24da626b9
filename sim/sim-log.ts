// One partition's log on a simulated disk. Writes are visible at once (Raft reads them through
// `visible`) and durable only once a simulated fsync covering them completes. A crash keeps the
// durable image plus a random prefix of the unsynced writes, as a real disk may have written some
// of them before power went: Raft must never have promised anything about those.

import type { LogIndex, Prng } from '../src/common/index.js';
import { type HardState, MemoryStorage, type Snapshot } from '../src/raft/index.js';
import type { ReplicaReady } from '../src/replica/index.js';

type Write = (storage: MemoryStorage) => void;

export class SimLog {
  #durable: MemoryStorage;
  #visible: MemoryStorage;
  /** Writes applied to `visible` and not yet to `durable`, in order. */
  #unsynced: Write[] = [];

  constructor(voters: readonly number[]) {
    this.#durable = MemoryStorage.withVoters(voters);
    this.#visible = this.#durable.clone();
  }

  /** What Raft reads. */
  get visible(): MemoryStorage {
    return this.#visible;
  }

  get unsyncedCount(): number {
    return this.#unsynced.length;
  }

  /** Applies one Ready's writes, in Raft's order: snapshot, entries, hard state, local snapshot. */
  write(rd: ReplicaReady): void {
    const { snapshot, entries, hardState, localSnapshot } = rd;
    if (snapshot !== undefined) this.#push((s) => s.applySnapshot(snapshot));
    if (entries.length > 0) this.#push((s) => s.append(entries));
    if (hardState !== undefined) this.#push((s) => setHardState(s, hardState));
    if (localSnapshot !== undefined) this.#push((s) => compactTo(s, localSnapshot));
  }

  /** The first `count` unsynced writes became durable. */
  sync(count: number): void {
    for (const write of this.#unsynced.slice(0, count)) write(this.#durable);
    this.#unsynced = this.#unsynced.slice(count);
  }

  /** Power loss: keeps the durable image and a random prefix of unsynced writes. */
  crash(random: Prng, keepUnsyncedRate: number): { lost: number } {
    const kept = random.chance(keepUnsyncedRate) ? random.int(0, this.#unsynced.length) : 0;
    this.sync(kept);
    const lost = this.#unsynced.length;
    this.#unsynced = [];
    this.#visible = this.#durable.clone();
    return { lost };
  }

  #push(write: Write): void {
    write(this.#visible);
    this.#unsynced.push(write);
  }
}

function setHardState(storage: MemoryStorage, hardState: HardState): void {
  storage.setHardState(hardState);
}

/** Records a snapshot the replica took and releases the entries it covers. */
function compactTo(storage: MemoryStorage, snapshot: Snapshot): void {
  const index: LogIndex = snapshot.meta.index;
  if (index <= storage.snapshot().meta.index) return;
  storage.createSnapshot(index, snapshot.data, snapshot.meta.conf);
  storage.compact(index);
}
