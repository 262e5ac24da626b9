import { expect, test } from 'vitest';
import { sessionId } from '../common/index.js';
import { decodePendingFilter } from '../fsm/index.js';
import { ClientSession } from './client-session.js';
import { keepAliveInput } from './keep-alive.js';

test('a keep-alive carries L, a filter containing every pending number, and A', () => {
  const s = new ClientSession(sessionId(9), 0, { timeoutMs: 3000 });
  const seqs = Array.from({ length: 50 }, () => s.allocate());
  for (const seq of seqs.filter((n) => n % 3 === 0)) s.finish(seq);
  const stream = seqs[0]!;
  s.startStream(stream);
  s.streamOutput(stream, 1);
  const input = keepAliveInput(s.keepAlive(10));
  expect(input.sessionId).toBe(9n);
  expect(input.lastCommandSequenceNum).toBe(50n);
  expect(input.outputStreamSequenceNums).toEqual({ '1': 1n });
  const filter = decodePendingFilter(input.pendingCommandsFilter);
  expect(filter).toBeDefined();
  for (const seq of seqs) {
    if (seq % 3 !== 0) expect(filter!.mightContain(seq)).toBe(true);
  }
  // The exact format is chosen for a short list, so finished numbers are certainly absent.
  for (const seq of seqs) if (seq % 3 === 0) expect(filter!.mightContain(seq)).toBe(false);
});
