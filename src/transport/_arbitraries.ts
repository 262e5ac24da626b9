// fast-check generators of every Raft message with every field (tests only).

import fc from 'fast-check';
import { logIndex, nodeId, partitionId, term } from '../common/index.js';
import { type Entry, EntryType, type Message, MessageType } from '../raft/index.js';
import type { PartitionMessage } from './frame-codec.js';

/** Mostly small numbers (the common case, 1-byte varints) and the extremes of 2^53 − 1. */
export const u53 = fc.oneof(
  fc.integer({ min: 0, max: 200 }),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  fc.constantFrom(0, 127, 128, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER),
);
const node = u53.map(nodeId);
const trm = u53.map(term);
const idx = u53.map(logIndex);
const bytes = fc.uint8Array({ maxLength: 64 });

const entry: fc.Arbitrary<Entry> = fc.record({
  term: trm,
  index: idx,
  type: fc.constantFrom(EntryType.Normal, EntryType.ConfChange),
  data: bytes,
});

const header = { from: node, to: node, term: trm };

export const messageArb: fc.Arbitrary<Message> = fc.oneof(
  fc.record({
    type: fc.constant(MessageType.Append),
    ...header,
    prevIndex: idx,
    prevTerm: trm,
    entries: fc.array(entry, { maxLength: 5 }),
    commit: idx,
  }),
  fc.record({
    type: fc.constant(MessageType.AppendResp),
    ...header,
    index: idx,
    reject: fc.boolean(),
    rejectHint: idx,
    hintTerm: trm,
  }),
  fc.record({
    type: fc.constantFrom(MessageType.Vote, MessageType.PreVote),
    ...header,
    lastIndex: idx,
    lastTerm: trm,
  }),
  fc.record({
    type: fc.constantFrom(MessageType.VoteResp, MessageType.PreVoteResp),
    ...header,
    reject: fc.boolean(),
  }),
  fc.record(
    {
      type: fc.constant(MessageType.Heartbeat),
      ...header,
      commit: idx,
      context: u53,
      quiesce: fc.constant(true as const),
    },
    { requiredKeys: ['type', 'from', 'to', 'term', 'commit', 'context'] },
  ),
  fc.record({ type: fc.constant(MessageType.HeartbeatResp), ...header, context: u53 }),
  fc.record({
    type: fc.constant(MessageType.Snapshot),
    ...header,
    meta: fc.record({
      index: idx,
      term: trm,
      conf: fc.record({
        voters: fc.array(node, { maxLength: 5 }),
        learners: fc.array(node, { maxLength: 3 }),
      }),
    }),
    offset: u53,
    totalBytes: u53,
    data: bytes,
  }),
  fc.record({ type: fc.constant(MessageType.ReadIndex), ...header, context: u53 }),
  fc.record({ type: fc.constant(MessageType.ReadIndexResp), ...header, context: u53, index: idx }),
);

export const partitionMessageArb: fc.Arbitrary<PartitionMessage> = fc.record({
  partitionId: u53.map(partitionId),
  message: messageArb,
});

export const batchArb = fc.array(partitionMessageArb, { maxLength: 40 });
