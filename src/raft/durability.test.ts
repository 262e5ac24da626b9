import { describe, expect, test } from 'vitest';
import { AssertionError, logIndex, nodeId, term } from '../common/index.js';
import { Durability } from './durability.js';
import { type Message, MessageType } from './message.js';

const msg = (to: number): Message => ({
  type: MessageType.VoteResp,
  from: nodeId(1),
  to: nodeId(to),
  term: term(1),
  reject: false,
});

describe('Durability', () => {
  test('holds messages until the write covering their state is durable', () => {
    const d = new Durability();
    expect(d.hold(msg(2), false)).toBe(false); // nothing unwritten: send now
    expect(d.hold(msg(3), true)).toBe(true); // needs write 1
    const w1 = d.newWrite(logIndex(5), term(1));
    expect(d.hold(msg(4), false)).toBe(true); // state in write 1, not durable
    expect(d.hold(msg(5), true)).toBe(true); // needs write 2
    d.newWrite(logIndex(0), term(0));
    const r1 = d.markDurable(w1);
    expect(r1.released.map((m) => m.to)).toEqual([3, 4]);
    expect(r1.writes.map((w) => w.lastIndex)).toEqual([5]);
    expect(d.markDurable(2).released.map((m) => m.to)).toEqual([5]);
    expect(d.waitingCount).toBe(0);
  });

  test('a report for a write never issued is a bug', () => {
    expect(() => new Durability().markDurable(1)).toThrow(AssertionError);
  });
});
