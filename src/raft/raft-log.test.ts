import { describe, expect, test } from 'vitest';
import { logIndex, term } from '../common/index.js';
import { type Entry, EntryType } from './log-types.js';
import { MemoryStorage } from './memory-storage.js';
import { RaftLog } from './raft-log.js';
import { CompactedError } from './storage.js';

const ent = (index: number, t: number, data = ''): Entry => ({
  index: logIndex(index),
  term: term(t),
  type: EntryType.Normal,
  data: new TextEncoder().encode(data),
});

/** A log whose storage holds entries 1..n with the given terms. */
function logWith(terms: number[]): { log: RaftLog; storage: MemoryStorage } {
  const storage = MemoryStorage.withVoters([1]);
  storage.append(terms.map((t, i) => ent(i + 1, t)));
  return { log: new RaftLog(storage, logIndex(0), logIndex(0)), storage };
}

describe('RaftLog', () => {
  test('reads storage and the unstable tail', () => {
    const { log } = logWith([1, 1, 2]);
    log.append([ent(4, 3, 'x')]);
    expect(log.lastIndex()).toBe(4);
    expect(log.term(logIndex(4))).toBe(3);
    expect(log.term(logIndex(2))).toBe(1);
    expect(log.entriesFrom(logIndex(2), 1000).map((e) => e.index)).toEqual([2, 3, 4]);
    expect(log.termOrZero(logIndex(9))).toBe(0);
  });

  test('maybeAppend: match, conflict truncation and commit', () => {
    const { log } = logWith([1, 1, 1]);
    expect(log.maybeAppend(logIndex(3), term(2), logIndex(3), [])).toBeUndefined();
    const last = log.maybeAppend(logIndex(1), term(1), logIndex(9), [ent(2, 2), ent(3, 2)]);
    expect(last).toBe(3);
    expect(log.term(logIndex(2))).toBe(2);
    expect(log.committed).toBe(3); // min(leader commit, last new index)
    // Truncation lowers the durable prefix.
    expect(log.durableIndex).toBe(1);
  });

  test('append that matches existing entries keeps them', () => {
    const { log } = logWith([1, 1, 1]);
    expect(log.maybeAppend(logIndex(0), term(0), logIndex(0), [ent(1, 1), ent(2, 1)])).toBe(2);
    expect(log.unstableEntries).toEqual([]);
    expect(log.lastIndex()).toBe(3);
  });

  test('isUpToDate compares last term, then last index', () => {
    const { log } = logWith([1, 2, 2]);
    expect(log.isUpToDate(logIndex(3), term(2))).toBe(true);
    expect(log.isUpToDate(logIndex(2), term(2))).toBe(false);
    expect(log.isUpToDate(logIndex(1), term(3))).toBe(true);
    expect(log.isUpToDate(logIndex(9), term(1))).toBe(false);
  });

  test('findConflictByTerm returns the last index with term at most t', () => {
    const { log } = logWith([1, 1, 2, 2, 4]);
    expect(log.findConflictByTerm(logIndex(5), term(3))).toEqual({ index: 4, term: 2 });
    expect(log.findConflictByTerm(logIndex(5), term(1))).toEqual({ index: 2, term: 1 });
    expect(log.findConflictByTerm(logIndex(5), term(4))).toEqual({ index: 5, term: 4 });
    expect(log.findConflictByTerm(logIndex(5), term(0))).toEqual({ index: 0, term: 0 });
  });

  test('compaction: reads below the first index throw CompactedError', () => {
    const { log, storage } = logWith([1, 1, 1, 1]);
    log.commitTo(logIndex(3));
    storage.createSnapshot(logIndex(3), new Uint8Array());
    storage.compact(logIndex(3));
    expect(log.firstIndex()).toBe(4);
    expect(log.term(logIndex(3))).toBe(1);
    expect(() => log.term(logIndex(2))).toThrow(CompactedError);
    expect(() => log.entriesFrom(logIndex(2), 100)).toThrow(CompactedError);
  });

  test('byte limits keep at least one entry', () => {
    const storage = MemoryStorage.withVoters([1]);
    storage.append([ent(1, 1, 'aaaa'), ent(2, 1, 'bbbb'), ent(3, 1, 'cc')]);
    const log = new RaftLog(storage, logIndex(0), logIndex(0));
    log.append([ent(4, 1, 'd')]);
    expect(log.entriesFrom(logIndex(1), 0).length).toBe(1);
    expect(log.entriesFrom(logIndex(1), 4).length).toBe(2);
    expect(log.entriesFrom(logIndex(2), 7).map((e) => e.index)).toEqual([2, 3, 4]);
  });

  test('committed entries come only from what Storage holds', () => {
    const { log, storage } = logWith([1]);
    log.append([ent(2, 1), ent(3, 1)]);
    log.commitTo(logIndex(3));
    expect(log.nextCommittedEntries(100).map((e) => e.index)).toEqual([1]);
    storage.append(log.unstableEntries);
    log.stableAll();
    expect(log.nextCommittedEntries(100).map((e) => e.index)).toEqual([1, 2, 3]);
  });

  test('restore replaces the log by a snapshot', () => {
    const { log } = logWith([1, 1]);
    const conf = { voters: [], learners: [] };
    log.restore({ meta: { index: logIndex(7), term: term(3), conf }, data: new Uint8Array() });
    expect(log.lastIndex()).toBe(7);
    expect(log.firstIndex()).toBe(8);
    expect(log.committed).toBe(7);
    expect(log.term(logIndex(7))).toBe(3);
    expect(() => log.term(logIndex(5))).toThrow(CompactedError);
  });

  test('durableTo ignores a write whose entries were replaced', () => {
    const { log } = logWith([1]);
    log.append([ent(2, 1), ent(3, 1)]);
    log.append([ent(3, 2)]);
    log.durableTo(logIndex(3), term(1)); // the write of 3@1, since replaced
    expect(log.durableIndex).toBe(1);
    log.durableTo(logIndex(3), term(2));
    expect(log.durableIndex).toBe(3);
  });
});
