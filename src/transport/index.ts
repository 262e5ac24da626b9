// The public face of src/transport: the Transport interface the host depends on, the TCP transport
// between nodes, and the pure frame codec (docs/transport.md).
export {
  FrameTooLargeError,
  HandshakeError,
  MalformedFrameError,
  TransportError,
} from './errors.js';
export {
  type DecodeResult,
  decodeFrame,
  encodeBatchFrame,
  encodeHandshakeFrame,
  encodePingFrame,
  type Frame,
  FrameDecoder,
  FrameEncoder,
  FrameType,
  frameBytesMaxDefault,
  frameHeaderBytes,
  type Handshake,
  type PartitionMessage,
  protocolVersion,
} from './frame-codec.js';
export {
  type PeerAddress,
  type TcpTransportOptions,
  type TransportLimits,
  type TransportTlsOptions,
  transportLimitsDefault,
} from './options.js';
export { type PeerStatus, TcpTransport } from './peer-transport.js';
export {
  emptyTransportStats,
  type MessageHandler,
  silentTransportLogger,
  type Transport,
  type TransportLogger,
  type TransportStats,
} from './transport.js';
