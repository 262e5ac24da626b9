// Hand-written binary encoding of every Raft message (docs/transport.md). Pure: no node:* import.
// A message is: u8 type, varint from, to, term, then the fields of its type in declaration order.
// Numbers are varints (≤ 2^53 − 1), booleans one byte (0 or 1), byte strings varint-length-prefixed.
// Decoding is strict (unknown type, bad boolean, non-minimal varint, short input → DecodeError),
// so that encode(decode(bytes)) reproduces the bytes exactly.

import {
  type ByteReader,
  type ByteWriter,
  DecodeError,
  type LogIndex,
  logIndex,
  type NodeId,
  nodeId,
  type Term,
  term,
  unreachable,
} from '../common/index.js';
import type {
  AppendMessage,
  AppendRespMessage,
  ConfState,
  Entry,
  HeartbeatMessage,
  HeartbeatRespMessage,
  Message,
  ReadIndexMessage,
  ReadIndexRespMessage,
  SnapshotMessage,
  SnapshotMeta,
  VoteMessage,
  VoteRespMessage,
} from '../raft/index.js';
import { EntryType, MessageType } from '../raft/index.js';

/** Smallest possible encodings, used to bound decoded counts by the bytes left. */
const entryBytesMin = 4;
const nodeIdBytesMin = 1;

export function encodeMessage(w: ByteWriter, m: Message): void {
  w.u8(m.type);
  w.varint(m.from);
  w.varint(m.to);
  w.varint(m.term);
  switch (m.type) {
    case MessageType.Append:
      w.varint(m.prevIndex);
      w.varint(m.prevTerm);
      encodeEntries(w, m.entries);
      w.varint(m.commit);
      return;
    case MessageType.AppendResp:
      w.varint(m.index);
      w.bool(m.reject);
      w.varint(m.rejectHint);
      w.varint(m.hintTerm);
      return;
    case MessageType.Vote:
    case MessageType.PreVote:
      w.varint(m.lastIndex);
      w.varint(m.lastTerm);
      return;
    case MessageType.VoteResp:
    case MessageType.PreVoteResp:
      w.bool(m.reject);
      return;
    case MessageType.Heartbeat:
      w.varint(m.commit);
      w.varint(m.context);
      w.bool(m.quiesce === true);
      return;
    case MessageType.HeartbeatResp:
    case MessageType.ReadIndex:
      w.varint(m.context);
      return;
    case MessageType.Snapshot:
      encodeSnapshotMeta(w, m.meta);
      w.varint(m.offset);
      w.varint(m.totalBytes);
      w.lengthPrefixed(m.data);
      return;
    case MessageType.ReadIndexResp:
      w.varint(m.context);
      w.varint(m.index);
      return;
    default:
      unreachable(m, 'encodeMessage: unknown message type');
  }
}

function encodeEntries(w: ByteWriter, entries: readonly Entry[]): void {
  w.varint(entries.length);
  for (const e of entries) {
    w.varint(e.term);
    w.varint(e.index);
    w.u8(e.type);
    w.lengthPrefixed(e.data);
  }
}

function encodeSnapshotMeta(w: ByteWriter, meta: SnapshotMeta): void {
  w.varint(meta.index);
  w.varint(meta.term);
  encodeNodeIds(w, meta.conf.voters);
  encodeNodeIds(w, meta.conf.learners);
}

function encodeNodeIds(w: ByteWriter, ids: readonly NodeId[]): void {
  w.varint(ids.length);
  for (const id of ids) w.varint(id);
}

/** Decodes one message; throws DecodeError (caught by the frame codec) on malformed input. */
export function decodeMessage(r: ByteReader): Message {
  const type = r.u8();
  const from = nodeId(r.varint());
  const to = nodeId(r.varint());
  const t = term(r.varint());
  switch (type) {
    case MessageType.Append:
      return decodeAppend(r, from, to, t);
    case MessageType.AppendResp:
      return decodeAppendResp(r, from, to, t);
    case MessageType.Vote:
    case MessageType.PreVote: {
      const m: VoteMessage = { type, from, to, term: t, lastIndex: idx(r), lastTerm: trm(r) };
      return m;
    }
    case MessageType.VoteResp:
    case MessageType.PreVoteResp: {
      const m: VoteRespMessage = { type, from, to, term: t, reject: r.bool() };
      return m;
    }
    case MessageType.Heartbeat: {
      const commit = idx(r);
      const context = r.varint();
      const m: HeartbeatMessage = r.bool()
        ? { type, from, to, term: t, commit, context, quiesce: true }
        : { type, from, to, term: t, commit, context };
      return m;
    }
    case MessageType.HeartbeatResp: {
      const m: HeartbeatRespMessage = { type, from, to, term: t, context: r.varint() };
      return m;
    }
    case MessageType.Snapshot:
      return decodeSnapshot(r, from, to, t);
    case MessageType.ReadIndex: {
      const m: ReadIndexMessage = { type, from, to, term: t, context: r.varint() };
      return m;
    }
    case MessageType.ReadIndexResp: {
      const m: ReadIndexRespMessage = {
        type,
        from,
        to,
        term: t,
        context: r.varint(),
        index: idx(r),
      };
      return m;
    }
    default:
      throw new DecodeError(`unknown message type ${type}`);
  }
}

const idx = (r: ByteReader): LogIndex => logIndex(r.varint());
const trm = (r: ByteReader): Term => term(r.varint());

function decodeAppend(r: ByteReader, from: NodeId, to: NodeId, t: Term): AppendMessage {
  const prevIndex = idx(r);
  const prevTerm = trm(r);
  const entries = decodeEntries(r);
  const commit = idx(r);
  return { type: MessageType.Append, from, to, term: t, prevIndex, prevTerm, entries, commit };
}

function decodeAppendResp(r: ByteReader, from: NodeId, to: NodeId, t: Term): AppendRespMessage {
  const index = idx(r);
  const reject = r.bool();
  const rejectHint = idx(r);
  const hintTerm = trm(r);
  return { type: MessageType.AppendResp, from, to, term: t, index, reject, rejectHint, hintTerm };
}

function decodeEntries(r: ByteReader): Entry[] {
  const n = r.count(entryBytesMin);
  const entries: Entry[] = [];
  for (let i = 0; i < n; i++) {
    const entryTerm = trm(r);
    const index = idx(r);
    const type = r.u8();
    if (type !== EntryType.Normal && type !== EntryType.ConfChange) {
      throw new DecodeError(`unknown entry type ${type}`);
    }
    entries.push({ term: entryTerm, index, type, data: r.lengthPrefixed() });
  }
  return entries;
}

function decodeSnapshot(r: ByteReader, from: NodeId, to: NodeId, t: Term): SnapshotMessage {
  const index = idx(r);
  const metaTerm = trm(r);
  const conf: ConfState = { voters: decodeNodeIds(r), learners: decodeNodeIds(r) };
  const meta: SnapshotMeta = { index, term: metaTerm, conf };
  const offset = r.varint();
  const totalBytes = r.varint();
  const data = r.lengthPrefixed();
  return { type: MessageType.Snapshot, from, to, term: t, meta, offset, totalBytes, data };
}

function decodeNodeIds(r: ByteReader): NodeId[] {
  const n = r.count(nodeIdBytesMin);
  const ids: NodeId[] = [];
  for (let i = 0; i < n; i++) ids.push(nodeId(r.varint()));
  return ids;
}

/**
 * An upper bound of the encoded size, cheap to compute: what the send queue counts against its
 * byte limit. Each number takes at most 8 bytes; data is counted exactly.
 */
export function messageBytesEstimate(m: Message): number {
  const header = 1 + 3 * 8 + 6 * 8;
  switch (m.type) {
    case MessageType.Append: {
      let bytes = header + 8;
      for (const e of m.entries) bytes += 3 * 8 + 1 + e.data.length;
      return bytes;
    }
    case MessageType.Snapshot:
      return (
        header + 8 * (3 + m.meta.conf.voters.length + m.meta.conf.learners.length) + m.data.length
      );
    default:
      return header;
  }
}
