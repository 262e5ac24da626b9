import { create } from '@bufbuild/protobuf';
import { describe, expect, test } from 'vitest';
import {
  MinHeap,
  type NodeId,
  nodeId,
  type PartitionId,
  Prng,
  partitionId,
} from '../common/index.js';
import { PartitionInputSchema } from '../gen/atomix/multiraft/v1/fsm_pb.js';
import { CommandOutputSchema } from '../gen/multiraft/v1/output_pb.js';
import { Call, type CallHost, type CallPayload, type CallSpec, type Timers } from './call.js';

/** Hand-moved time for the tests. */
class FakeTimers implements Timers {
  now = 0;
  #seq = 0;
  readonly #queue = new MinHeap<{ at: number; seq: number; run: () => void; off: boolean }>(
    (a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq),
  );
  after(delayMs: number, run: () => void) {
    const event = { at: this.now + delayMs, seq: this.#seq++, run, off: false };
    this.#queue.push(event);
    return { cancel: () => (event.off = true) };
  }
  advance(ms: number): void {
    const until = this.now + ms;
    for (let e = this.#queue.peek(); e !== undefined && e.at <= until; e = this.#queue.peek()) {
      this.#queue.pop();
      this.now = e.at;
      if (!e.off) e.run();
    }
    this.now = until;
  }
}

class FakeHost implements CallHost {
  readonly timers = new FakeTimers();
  readonly random = new Prng(3);
  readonly nodes = [nodeId(1), nodeId(2), nodeId(3)];
  readonly attemptTimeoutMs = 100;
  readonly refreshMs = 1_000;
  readonly sent: { to: NodeId; call: number; payload: CallPayload }[] = [];
  readonly calls = new Map<number, Call>();
  #ids = 0;
  #leader = new Map<PartitionId, NodeId>();
  send(to: NodeId, call: number, _partition: PartitionId, payload: CallPayload): void {
    this.sent.push({ to, call, payload });
  }
  register(id: number, call: Call): void {
    this.calls.set(id, call);
  }
  unregister(id: number): void {
    this.calls.delete(id);
  }
  nextCallId(): number {
    return ++this.#ids;
  }
  leaderOf(p: PartitionId): NodeId {
    return this.#leader.get(p) ?? nodeId(1);
  }
  setLeader(p: PartitionId, node: NodeId): void {
    this.#leader.set(p, node);
  }
  get last() {
    return this.sent[this.sent.length - 1]!;
  }
}

const input = create(PartitionInputSchema, {
  input: { case: 'sessionInput', value: { sessionId: 4n, sequenceNum: 9n } },
});
const output = create(CommandOutputSchema, { index: 12n, sequenceNum: 1n, done: true });

function start(host: FakeHost, overrides: Partial<CallSpec> = {}) {
  const seen: { replies: unknown[]; gaveUp: boolean | undefined } = {
    replies: [],
    gaveUp: undefined,
  };
  const call = new Call(host, {
    partition: partitionId(1),
    payload: { kind: 'propose', input },
    deadline: host.timers.now + 1_000,
    onReply: (reply) => {
      seen.replies.push(reply);
      return true;
    },
    onGiveUp: (mayHaveApplied) => {
      seen.gaveUp = mayHaveApplied;
    },
    ...overrides,
  });
  return { call, seen };
}

describe('Call', () => {
  test('follows a NOT_LEADER hint and resends the same command (same sequence number)', () => {
    const host = new FakeHost();
    const { call, seen } = start(host);
    expect(host.last.to).toBe(1);
    call.reply({
      kind: 'error',
      call: host.last.call,
      code: 'NOT_LEADER',
      leaderHint: 3,
      safeToRetry: true,
    });
    host.timers.advance(50);
    expect(host.sent).toHaveLength(2);
    expect(host.last.to).toBe(3);
    expect(host.last.payload).toBe(host.sent[0]!.payload);
    call.reply({ kind: 'output', call: host.last.call, output });
    expect(seen.replies).toHaveLength(1);
    expect(call.over).toBe(true);
    expect(host.calls.size).toBe(0);
  });

  test('an unanswered attempt moves to the next node; giving up then reports "may have applied"', () => {
    const host = new FakeHost();
    const { seen } = start(host);
    host.timers.advance(100);
    expect(host.sent.map((s) => s.to)).toEqual([1, 2]);
    host.timers.advance(2_000);
    expect(seen.gaveUp).toBe(true);
    expect(seen.replies).toHaveLength(0);
  });

  test('only certain refusals: giving up reports that nothing happened', () => {
    const host = new FakeHost();
    const { call, seen } = start(host, { deadline: 300 });
    for (let i = 0; i < 50 && !call.over; i++) {
      call.reply({
        kind: 'error',
        call: host.last.call,
        code: 'NOT_LEADER',
        leaderHint: 0,
        safeToRetry: true,
      });
      host.timers.advance(20);
    }
    host.timers.advance(1_000);
    expect(seen.gaveUp).toBe(false);
    expect(new Set(host.sent.map((s) => s.to)).size).toBe(3);
  });

  test('a refusal whose outcome is unknown counts as possibly applied', () => {
    const host = new FakeHost();
    const { call, seen } = start(host, { deadline: 100 });
    call.reply({
      kind: 'error',
      call: host.last.call,
      code: 'LEADERSHIP_CHANGED',
      leaderHint: 0,
      safeToRetry: false,
    });
    host.timers.advance(1_000);
    expect(seen.gaveUp).toBe(true);
  });

  test('replies to an earlier attempt are ignored', () => {
    const host = new FakeHost();
    const { call, seen } = start(host);
    const first = host.last.call;
    host.timers.advance(100);
    call.reply({ kind: 'output', call: first, output });
    expect(seen.replies).toHaveLength(0);
    call.reply({ kind: 'output', call: host.last.call, output });
    expect(seen.replies).toHaveLength(1);
  });

  test('a stream stays open through silence and is re-sent every refresh to follow the leader', () => {
    const host = new FakeHost();
    const { call } = start(host, {
      stream: true,
      deadline: Number.POSITIVE_INFINITY,
      onReply: () => false,
    });
    call.reply({ kind: 'output', call: host.last.call, output });
    host.timers.advance(999);
    expect(host.sent).toHaveLength(1);
    host.timers.advance(1);
    expect(host.sent).toHaveLength(2);
    expect(host.last.to).toBe(1);
    call.retryNow();
    host.timers.advance(0);
    expect(host.sent).toHaveLength(3);
    call.abandon();
    host.timers.advance(10_000);
    expect(host.sent).toHaveLength(3);
  });
});
