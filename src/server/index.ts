// The public face of src/server: one running node (storage, transport, host, partition protocol),
// its configuration, and its HTTP endpoints.
export {
  type CallErrorFields,
  callErrorOf,
  PartitionCallError,
  unknownPartition,
} from './call-error.js';
export {
  type ClusterBackend,
  type ClusterMember,
  ClusterPeers,
  ClusterService,
  stateHash,
} from './cluster-service.js';
export {
  type ApiTlsFiles,
  apiPortDefault,
  ConfigError,
  type ConfigSources,
  configFileEnv,
  configOptions,
  formatHostPort,
  formatPeers,
  type LogLevel,
  loadConfig,
  logLevels,
  type MemberSpec,
  type NodeConfig,
  parsePeers,
  type RawConfig,
  resolveConfig,
  type TlsFiles,
} from './config.js';
export { ForwardedCallError, Forwarder } from './forwarder.js';
export { type GrpcServer, type GrpcServerOptions, listenGrpc } from './grpc-server.js';
export { HealthService } from './health-service.js';
export {
  type HttpReply,
  type HttpRoute,
  type HttpServer,
  type HttpServerOptions,
  startHttpServer,
} from './http.js';
export { type RunningNode, startNode } from './node.js';
export { type MetricsSource, NodeMetrics } from './node-metrics.js';
export {
  type PartitionBackend,
  PartitionService,
  type PartitionServiceLimits,
  partitionServiceLimitsDefault,
} from './partition-service.js';
export { apiDialTls, type NodeTlsMaterial, readTlsMaterial } from './tls-material.js';
