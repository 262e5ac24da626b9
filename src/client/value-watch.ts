// A watch of one AtomicValue (DESIGN §4), shared by the SDK and the server's gateway: the value is
// created first if need be (a watch needs the primitive), then a query stream on the leader sends
// the current value and every new one. When the leader changes, or ends its watcher, the stream is
// asked again and the current value comes first.

import type { PartitionId } from '../common/index.js';
import type { Value } from '../gen/atomix/multiraft/atomic/value/v1/fsm_pb.js';
import type {
  Call,
  PartitionSessions,
  PrimitiveName,
  SessionCallFailure,
} from '../session/index.js';
import {
  type AtomicValueAnswer,
  answerOf,
  primitiveQuery,
  watchPayload,
} from './atomic-value-wire.js';
import type { PartitionClient } from './partition-client.js';

/** Why a watch ended on its own. */
export type WatchEnd =
  | { readonly kind: 'refused'; readonly answer: Extract<AtomicValueAnswer, { ok: false }> }
  | { readonly kind: 'no-primitive'; readonly failure: SessionCallFailure }
  | { readonly kind: 'gave-up' };

export interface WatchHandlers {
  /** The value now, or undefined when there is none. */
  value(value: Value | undefined): void;
  ended(why: WatchEnd): void;
}

/** Starts the watch; `stop()` ends it without a call to `ended`. */
export function watchValue(
  calls: PartitionClient,
  sessions: PartitionSessions,
  target: { readonly partition: PartitionId; readonly primitive: PrimitiveName },
  /** How long creating the primitive may take, in the client's time. */
  createDeadline: number,
  handlers: WatchHandlers,
): { stop(): void } {
  let call: Call | undefined;
  let over = false;
  const stop = () => {
    over = true;
    call?.abandon();
  };
  const end = (why: WatchEnd) => {
    if (over) return;
    stop();
    handlers.ended(why);
  };
  sessions.ensure(target.partition, target.primitive, createDeadline, {
    failed: (failure) => end({ kind: 'no-primitive', failure }),
    ready: () => {
      if (over) return;
      call = calls.call({
        partition: target.partition,
        payload: { kind: 'query', input: primitiveQuery(target.primitive, watchPayload) },
        deadline: Number.POSITIVE_INFINITY,
        stream: true,
        onReply: (reply) => {
          if (reply.kind === 'end') {
            call?.retryNow();
            return false;
          }
          if (reply.kind !== 'result') return false;
          const answer = answerOf(reply.result);
          if (!answer.ok) {
            end({ kind: 'refused', answer });
            return true;
          }
          if (answer.output.case === 'watch') handlers.value(answer.output.value.value);
          return false;
        },
        onGiveUp: () => end({ kind: 'gave-up' }),
      });
    },
  });
  return { stop };
}
