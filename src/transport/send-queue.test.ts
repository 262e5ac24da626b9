import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { partitionId } from '../common/index.js';
import { MessageType } from '../raft/index.js';
import { heartbeat } from './_test-helpers.js';
import { messageBytesEstimate } from './message-codec.js';
import { SendQueue } from './send-queue.js';

describe('SendQueue', () => {
  it('keeps order and stays within both limits, against a simple model', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 3000 }),
        fc.array(fc.oneof(fc.constant('shift' as const), fc.nat(1000)), { maxLength: 300 }),
        (messagesMax, bytesMax, ops) => {
          const q = new SendQueue(messagesMax, bytesMax);
          const model: number[] = [];
          const size = messageBytesEstimate(heartbeat(1, 2, 0));
          for (const op of ops) {
            if (op === 'shift') {
              const item = q.shift();
              const expected = model.shift();
              expect(
                item?.message.type === MessageType.Heartbeat ? item.message.context : undefined,
              ).toBe(expected);
            } else {
              const fits = model.length < messagesMax && (model.length + 1) * size <= bytesMax;
              expect(q.push(partitionId(1), heartbeat(1, 2, op))).toBe(fits);
              if (fits) model.push(op);
            }
            expect(q.length).toBe(model.length);
            expect(q.bytes).toBe(model.length * size);
          }
          expect(q.clear()).toBe(model.length);
          expect(q.bytes).toBe(0);
        },
      ),
    );
  });
});
