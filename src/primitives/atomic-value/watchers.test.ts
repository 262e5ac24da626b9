import { describe, expect, test } from 'vitest';
import { logIndex } from '../../common/index.js';
import type { QuerySink } from '../../fsm/index.js';
import { WatcherSet } from './watchers.js';

function sink(): QuerySink & { closed: boolean; received: number } {
  return {
    index: logIndex(1),
    closed: false,
    received: 0,
    next() {
      this.received++;
    },
    end() {
      this.closed = true;
    },
  };
}

describe('WatcherSet', () => {
  test('watchers that come and go on an unchanging value do not pile up', () => {
    const set = new WatcherSet();
    const live = sink();
    set.add(live);
    for (let i = 0; i < 1_000; i++) {
      const gone = sink();
      set.add(gone);
      gone.closed = true;
    }
    // Pruned whenever the set doubled: never more than twice the live ones plus the threshold.
    expect(set.size).toBeLessThanOrEqual(16);
    set.send({ status: 0, payload: new Uint8Array() });
    expect(live.received).toBe(1);
    expect(set.size).toBe(1);
  });

  test('a closed sink is not added; a sink that throws is dropped', () => {
    const set = new WatcherSet();
    const closed = sink();
    closed.closed = true;
    set.add(closed);
    expect(set.size).toBe(0);
    const broken = {
      ...sink(),
      next: () => {
        throw new Error('broken');
      },
    };
    set.add(broken);
    set.send({ status: 0, payload: new Uint8Array() });
    expect(set.size).toBe(0);
  });
});
