import { describe, expect, test } from 'vitest';
import { logIndex } from '../common/index.js';
import { Progress, ProgressState } from './progress.js';

const fresh = (next = 5) => new Progress(logIndex(next), 2, 0, false);

describe('Progress', () => {
  test('probe sends one message, then waits', () => {
    const pr = fresh();
    expect(pr.isPaused()).toBe(false);
    pr.sentEntries(3, 30, logIndex(7));
    expect(pr.isPaused()).toBe(true);
    expect(pr.next).toBe(5); // a probe does not move next
  });

  test('an acknowledgement moves match and unpauses; stale ones do not', () => {
    const pr = fresh();
    pr.sentEntries(1, 1, logIndex(5));
    expect(pr.maybeUpdate(logIndex(5))).toBe(true);
    expect(pr.match).toBe(5);
    expect(pr.next).toBe(6);
    expect(pr.isPaused()).toBe(false);
    expect(pr.maybeUpdate(logIndex(3))).toBe(false);
    expect(pr.match).toBe(5);
  });

  test('replicate pipelines up to the window, optimistic next', () => {
    const pr = fresh();
    pr.maybeUpdate(logIndex(4));
    pr.becomeReplicate();
    expect(pr.next).toBe(5);
    pr.sentEntries(2, 2, logIndex(6));
    expect(pr.next).toBe(7);
    expect(pr.isPaused()).toBe(false);
    pr.sentEntries(1, 1, logIndex(7));
    expect(pr.isPaused()).toBe(true);
    pr.maybeUpdate(logIndex(6));
    pr.inflights.freeLE(logIndex(6));
    expect(pr.isPaused()).toBe(false);
  });

  test('rejection in probe backs off to the hint, never below match + 1', () => {
    const pr = fresh(10);
    pr.maybeUpdate(logIndex(2));
    pr.next = logIndex(10);
    expect(pr.maybeDecrTo(logIndex(8), logIndex(4))).toBe(false); // stale: not next - 1
    expect(pr.maybeDecrTo(logIndex(9), logIndex(4))).toBe(true);
    expect(pr.next).toBe(5);
    expect(pr.maybeDecrTo(logIndex(4), logIndex(0))).toBe(true);
    expect(pr.next).toBe(3);
  });

  test('rejection in replicate falls back to match + 1', () => {
    const pr = fresh();
    pr.maybeUpdate(logIndex(4));
    pr.becomeReplicate();
    pr.sentEntries(3, 3, logIndex(7));
    expect(pr.maybeDecrTo(logIndex(3), logIndex(3))).toBe(false); // at or below match: stale
    expect(pr.maybeDecrTo(logIndex(6), logIndex(5))).toBe(true);
    expect(pr.next).toBe(5);
  });

  test('snapshot state pauses; probe resumes after the snapshot', () => {
    const pr = fresh();
    pr.maybeUpdate(logIndex(2));
    pr.becomeSnapshot(logIndex(20));
    expect(pr.state).toBe(ProgressState.Snapshot);
    expect(pr.isPaused()).toBe(true);
    pr.becomeProbe();
    expect(pr.next).toBe(21);
    expect(pr.isPaused()).toBe(false);
  });
});
