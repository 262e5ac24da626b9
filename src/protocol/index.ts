/**
 * The wire of the partition protocol, of log entries and of the AtomicValue's payloads, as the
 * SDK, the node's server and the state machine write and read it: hand codecs for the messages on
 * every write's path (calls, replies, the inputs they carry, the AtomicValue's requests and
 * responses), each held to protobuf-es, which remains the fallback for every other shape
 * (common/proto-wire.ts). Pure: the simulator runs it.
 *
 * Use:
 * ```ts
 * router.service(PartitionFrames, impl);              // frames of encoded calls and replies
 * const call = decodeCall(frame.calls[i]);            // node side
 * frame.replies.push(encodeReply(reply));
 * const payload = encodeRequest({ case: 'get', value: {} });   // SDK side
 * const output = decodeResponse(result.payload);
 * ```
 */

export {
  decodeRequest,
  decodeResponse,
  decodeValue,
  encodeRequest,
  type RequestInit,
  type Response,
  writeResponse,
  writeValueMessage,
} from './atomic-value-wire.js';
export { decodeCall, encodeCall } from './partition-call.js';
export { PartitionFrames } from './partition-frames.js';
export { inputEmbedding, readPartitionInput } from './partition-input.js';
export { decodeReply, encodeReply } from './partition-reply.js';
