/**
 * The wire of the partition protocol and of log entries, as the SDK, the node's server and the
 * state machine write and read it: hand codecs for the messages on every write's path (calls,
 * replies, the inputs they carry), each held to protobuf-es, which remains the fallback for every
 * other shape (common/proto-wire.ts).
 *
 * Use:
 * ```ts
 * router.service(PartitionFrames, impl);              // frames of encoded calls and replies
 * const call = decodeCall(frame.calls[i]);            // node side
 * frame.replies.push(encodeReply(reply));
 * ```
 */

export {
  decodeRequest,
  decodeResponse,
  decodeValue,
  encodeRequest,
  type RequestInit,
  type Response,
  readRequest,
  readResponse,
  writeResponse,
  writeValueMessage,
} from './atomic-value-wire.js';
export { decodeCall, encodeCall, readCall } from './partition-call.js';
export { PartitionFrames } from './partition-frames.js';
export {
  type InputEncoding,
  inputEncoding,
  readPartitionInput,
  writeInput,
} from './partition-input.js';
export { decodeReply, encodeReply, readReply } from './partition-reply.js';
