// The configuration of one node (DESIGN §7) and its resolution from four sources, highest first:
// command-line flags, environment variables (`MULTIRAFT_*`), a JSON config file (`--config`, the
// same keys in camelCase) and defaults. `resolveConfig` is pure apart from resolving paths against
// `cwd`; `loadConfig` reads the file and checks the TLS files. Every bad value is a `ConfigError`
// naming the key and source.

import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type NodeId, nodeId as toNodeId } from '../common/index.js';
import { ConfigError } from './config-error.js';
import { type MemberSpec, nodeIdMax, parsePeers } from './peers.js';
import { readTlsMaterial } from './tls-material.js';

export { ConfigError } from './config-error.js';
export { formatHostPort, formatPeers, type MemberSpec, parsePeers } from './peers.js';

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

/** Certificate files for mutual TLS between nodes: all three or none. */
export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string;
}

/**
 * Certificate files of the API port (TLS for clients, docs/tls.md): certificate and key together.
 * With `caFile`, clients must present a certificate that CA signed (mutual TLS for clients).
 */
export interface ApiTlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string | undefined;
}

export interface NodeConfig {
  readonly nodeId: NodeId;
  /** Every node of the cluster, this one included, sorted by id. */
  readonly members: readonly MemberSpec[];
  /** Absolute path of the data directory. */
  readonly dataDir: string;
  /** Partitions of the cluster, numbered 1..partitions. */
  readonly partitions: number;
  /** Replicas per partition, 1..members.length. */
  readonly replication: number;
  /** Address the API, peer and HTTP servers bind. */
  readonly listenHost: string;
  /** Ports to bind; 0 asks for any free port (the node reports the one it got). */
  readonly apiPort: number;
  readonly peerPort: number;
  readonly httpPort: number;
  /** Host the other nodes and clients use to reach this node. */
  readonly advertise: string;
  readonly tls: TlsFiles | undefined;
  /** TLS on the API port; undefined serves plain text. */
  readonly apiTls: ApiTlsFiles | undefined;
  readonly logLevel: LogLevel;
  /** A partition snapshots after this many applied entries since its last snapshot. */
  readonly snapshotEntries: number;
  /** Entries kept behind a snapshot, so a briefly lagging follower catches up without one. */
  readonly snapshotRetainEntries: number;
  /** Largest value in bytes; the same on every node (it is part of the cluster's identity). */
  readonly valueBytesMax: number;
  /** Timeout of the sessions this node holds for the gRPC API's calls. */
  readonly sessionTimeoutMs: number;
}

export const apiPortDefault = 5678;
export const peerPortDefault = 5679;
export const httpPortDefault = 5680;
export const dataDirDefault = './data';
export const partitionsMax = 10_000;
/** Partitions of a one-node cluster, and of a larger one. */
export const partitionsDefaultSingle = 4;
export const partitionsDefaultCluster = 12;
/** Replication defaults to min(this, nodes). */
export const replicationDefaultMax = 3;
export const snapshotEntriesDefault = 10_000;
export const snapshotRetainEntriesDefault = 1_000;
export const valueBytesMaxDefault = 1024 * 1024;
/** Stays below the gRPC receive limit of 4 MiB, so the value check answers (DESIGN §7). */
export const valueBytesMaxMax = 4 * 1024 * 1024 - 64 * 1024;
export const sessionTimeoutMsDefault = 30_000;

/** Every setting: its config-file key, command-line flag and environment variable. */
export const configOptions = [
  {
    key: 'nodeId',
    flag: '--node-id <id>',
    env: 'MULTIRAFT_NODE_ID',
    help: 'this node (default 1)',
  },
  {
    key: 'peers',
    flag: '--peers <list>',
    env: 'MULTIRAFT_PEERS',
    help: 'all nodes, id=host:peerPort[/apiPort],… (default: this node alone)',
  },
  { key: 'dataDir', flag: '--data-dir <dir>', env: 'MULTIRAFT_DATA_DIR', help: 'default ./data' },
  {
    key: 'partitions',
    flag: '--partitions <n>',
    env: 'MULTIRAFT_PARTITIONS',
    help: 'default 4 for one node, 12 for more',
  },
  {
    key: 'replication',
    flag: '--replication <n>',
    env: 'MULTIRAFT_REPLICATION',
    help: 'replicas per partition (default min(3, nodes))',
  },
  {
    key: 'listen',
    flag: '--listen <host>',
    env: 'MULTIRAFT_LISTEN',
    help: 'address to bind (default 127.0.0.1 if advertising loopback, else 0.0.0.0)',
  },
  { key: 'apiPort', flag: '--api-port <port>', env: 'MULTIRAFT_API_PORT', help: 'default 5678' },
  { key: 'peerPort', flag: '--peer-port <port>', env: 'MULTIRAFT_PEER_PORT', help: 'default 5679' },
  { key: 'httpPort', flag: '--http-port <port>', env: 'MULTIRAFT_HTTP_PORT', help: 'default 5680' },
  {
    key: 'advertise',
    flag: '--advertise <host>',
    env: 'MULTIRAFT_ADVERTISE',
    help: 'host others reach this node at (default: from --peers, else 127.0.0.1)',
  },
  { key: 'tlsCert', flag: '--tls-cert <file>', env: 'MULTIRAFT_TLS_CERT', help: 'PEM certificate' },
  { key: 'tlsKey', flag: '--tls-key <file>', env: 'MULTIRAFT_TLS_KEY', help: 'PEM private key' },
  { key: 'tlsCa', flag: '--tls-ca <file>', env: 'MULTIRAFT_TLS_CA', help: 'PEM CA of the cluster' },
  {
    key: 'apiTlsCert',
    flag: '--api-tls-cert <file>',
    env: 'MULTIRAFT_API_TLS_CERT',
    help: 'PEM certificate of the API port (serves TLS)',
  },
  {
    key: 'apiTlsKey',
    flag: '--api-tls-key <file>',
    env: 'MULTIRAFT_API_TLS_KEY',
    help: 'PEM private key of the API port',
  },
  {
    key: 'apiTlsCa',
    flag: '--api-tls-ca <file>',
    env: 'MULTIRAFT_API_TLS_CA',
    help: 'PEM CA of client certificates: clients must present one',
  },
  {
    key: 'snapshotEntries',
    flag: '--snapshot-entries <n>',
    env: 'MULTIRAFT_SNAPSHOT_ENTRIES',
    help: 'snapshot a partition after this many applied entries (default 10000)',
  },
  {
    key: 'snapshotRetainEntries',
    flag: '--snapshot-retain-entries <n>',
    env: 'MULTIRAFT_SNAPSHOT_RETAIN_ENTRIES',
    help: 'entries kept behind a snapshot for lagging followers (default 1000)',
  },
  {
    key: 'valueBytesMax',
    flag: '--value-bytes-max <n>',
    env: 'MULTIRAFT_VALUE_BYTES_MAX',
    help: 'largest value in bytes, the same on every node (default 1048576)',
  },
  {
    key: 'sessionTimeout',
    flag: '--session-timeout <ms>',
    env: 'MULTIRAFT_SESSION_TIMEOUT',
    help: 'timeout of the sessions the node holds for gRPC API calls (default 30000)',
  },
  {
    key: 'logLevel',
    flag: '--log-level <level>',
    env: 'MULTIRAFT_LOG_LEVEL',
    help: `${logLevels.join('|')} (default info)`,
  },
] as const;

export type ConfigKey = (typeof configOptions)[number]['key'];
/** Raw values of one source: strings from flags and the environment, JSON values from a file. */
export type RawConfig = { readonly [K in ConfigKey]?: unknown };

/** The config file's path: `--config` or this environment variable. */
export const configFileEnv = 'MULTIRAFT_CONFIG';

export interface ConfigSources {
  readonly flags: RawConfig;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly file?: Readonly<Record<string, unknown>>;
  /** Names the file in error messages. */
  readonly filePath?: string;
  /** Relative paths (data directory, TLS files) resolve against it; default the process's. */
  readonly cwd?: string;
}

interface Raw {
  readonly value: unknown;
  readonly source: string;
}

/** Resolves and validates a node's configuration. Throws `ConfigError`. */
export function resolveConfig(sources: ConfigSources): NodeConfig {
  const get = reader(sources);
  const cwd = sources.cwd ?? process.cwd();
  const logLevel = oneOf('logLevel', get('logLevel'), logLevels) ?? 'info';
  const cluster = resolveCluster(get);
  const listenHost =
    text('listen', get('listen')) ??
    (isLoopback(cluster.advertise) ? loopbackOf(cluster) : '0.0.0.0');
  const httpPort = integer('httpPort', get('httpPort'), 0, 65_535) ?? httpPortDefault;
  checkDistinctPorts(get, { ...cluster, httpPort });
  const nodes = cluster.members.length;
  const partitions =
    integer('partitions', get('partitions'), 1, partitionsMax) ??
    (nodes === 1 ? partitionsDefaultSingle : partitionsDefaultCluster);
  const replication =
    integer('replication', get('replication'), 1, nodes) ?? Math.min(replicationDefaultMax, nodes);
  const dataDir = resolve(cwd, text('dataDir', get('dataDir')) ?? dataDirDefault);
  const tls = resolveTls(get, cwd);
  const apiTls = resolveApiTls(get, cwd);
  const snapshotEntries =
    integer('snapshotEntries', get('snapshotEntries'), 1, 2 ** 31) ?? snapshotEntriesDefault;
  const snapshotRetainEntries =
    integer('snapshotRetainEntries', get('snapshotRetainEntries'), 0, 2 ** 31) ??
    snapshotRetainEntriesDefault;
  const valueBytesMax =
    integer('valueBytesMax', get('valueBytesMax'), 1, valueBytesMaxMax) ?? valueBytesMaxDefault;
  const sessionTimeoutMs =
    integer('sessionTimeout', get('sessionTimeout'), 1_000, 24 * 60 * 60 * 1000) ??
    sessionTimeoutMsDefault;
  return {
    ...cluster,
    dataDir,
    partitions,
    replication,
    listenHost,
    httpPort,
    tls,
    apiTls,
    logLevel,
    snapshotEntries,
    snapshotRetainEntries,
    valueBytesMax,
    sessionTimeoutMs,
  };
}

type LoadSources = Omit<ConfigSources, 'file' | 'filePath'> & {
  readonly configPath?: string | undefined;
};

/**
 * Reads the config file named by `--config` or `MULTIRAFT_CONFIG`, if any, then resolves; and
 * reads the TLS files it names, so that a bad one is a ConfigError at start too.
 */
export async function loadConfig(sources: LoadSources): Promise<NodeConfig> {
  const config = await resolveWithFile(sources);
  await readTlsMaterial(config);
  return config;
}

async function resolveWithFile(sources: LoadSources): Promise<NodeConfig> {
  const fromEnv = sources.env[configFileEnv];
  const path = sources.configPath ?? (fromEnv === '' ? undefined : fromEnv);
  if (path === undefined) return resolveConfig(sources);
  const source = sources.configPath !== undefined ? '--config' : configFileEnv;
  const filePath = resolve(sources.cwd ?? process.cwd(), path);
  let body: string;
  try {
    body = await readFile(filePath, 'utf8');
  } catch (cause) {
    throw new ConfigError('config', source, `cannot read ${filePath}: ${message(cause)}`, {
      cause,
    });
  }
  let file: unknown;
  try {
    file = JSON.parse(body);
  } catch (cause) {
    throw new ConfigError('config', source, `${filePath} is not JSON: ${message(cause)}`, {
      cause,
    });
  }
  if (typeof file !== 'object' || file === null || Array.isArray(file)) {
    throw new ConfigError('config', source, `${filePath} must hold a JSON object`);
  }
  return resolveConfig({ ...sources, file: file as Record<string, unknown>, filePath });
}

type Get = (key: ConfigKey) => Raw | undefined;

/** Picks each key from the highest source that sets it; an empty environment variable is unset. */
function reader(sources: ConfigSources): Get {
  const fileName = sources.filePath ?? 'config file';
  const file = sources.file ?? {};
  const known = new Set<string>(configOptions.map((o) => o.key));
  for (const key of Object.keys(file)) {
    if (!known.has(key)) throw new ConfigError(key, fileName, 'unknown key in the config file');
  }
  return (key) => {
    const option = configOptions.find((o) => o.key === key)!;
    const flag = sources.flags[key];
    if (flag !== undefined) return { value: flag, source: option.flag.split(' ')[0]! };
    const env = sources.env[option.env];
    if (env !== undefined && env !== '') return { value: env, source: option.env };
    if (Object.hasOwn(file, key)) return { value: file[key], source: `"${key}" in ${fileName}` };
    return undefined;
  };
}

interface Cluster {
  readonly nodeId: NodeId;
  readonly members: readonly MemberSpec[];
  readonly advertise: string;
  readonly apiPort: number;
  readonly peerPort: number;
}

/**
 * Without `peers` the cluster is this node alone at advertise:peerPort/apiPort. With `peers` this
 * node must be listed (so its id must be given: a default of 1 on every host would be a silent
 * split) and its entry is how the others reach it; the ports bound default to that entry's.
 */
function resolveCluster(get: Get): Cluster {
  const idRaw = get('nodeId');
  const id = integer('nodeId', idRaw, 1, nodeIdMax);
  const peersRaw = get('peers');
  const advertiseRaw = get('advertise');
  const advertise = text('advertise', advertiseRaw);
  if (peersRaw === undefined) {
    const nodeId = toNodeId(id ?? 1);
    const host = advertise ?? '127.0.0.1';
    const apiPort = integer('apiPort', get('apiPort'), 0, 65_535) ?? apiPortDefault;
    const peerPort = integer('peerPort', get('peerPort'), 0, 65_535) ?? peerPortDefault;
    return {
      nodeId,
      members: [{ id: nodeId, host, peerPort, apiPort }],
      advertise: host,
      apiPort,
      peerPort,
    };
  }
  const members = parsePeers(peersText(peersRaw), peersRaw.source);
  if (id === undefined) throw new ConfigError('nodeId', 'default', 'required when peers is set');
  const self = members.find((m) => m.id === id);
  if (self === undefined) {
    throw new ConfigError('nodeId', idRaw!.source, `node ${id} is not listed in peers`);
  }
  if (advertise !== undefined && advertise !== self.host) {
    const why = `"${advertise}" differs from this node's host in peers ("${self.host}")`;
    throw new ConfigError('advertise', advertiseRaw!.source, why);
  }
  const apiPort = integer('apiPort', get('apiPort'), 0, 65_535) ?? self.apiPort;
  const peerPort = integer('peerPort', get('peerPort'), 0, 65_535) ?? self.peerPort;
  return { nodeId: self.id, members, advertise: self.host, apiPort, peerPort };
}

function peersText(raw: Raw): string {
  if (typeof raw.value === 'string') return raw.value;
  // A config file may list one entry per array element.
  if (Array.isArray(raw.value) && raw.value.every((v) => typeof v === 'string')) {
    return raw.value.join(',');
  }
  throw new ConfigError('peers', raw.source, 'must be a string (or, in a file, an array of them)');
}

function checkDistinctPorts(
  get: Get,
  ports: { apiPort: number; peerPort: number; httpPort: number },
): void {
  const seen = new Map<number, ConfigKey>();
  for (const key of ['apiPort', 'peerPort', 'httpPort'] as const) {
    const port = ports[key];
    const other = seen.get(port);
    if (port !== 0 && other !== undefined) {
      const source = get(key)?.source ?? get(other)?.source ?? 'default';
      throw new ConfigError(key, source, `port ${port} is also the ${other}`);
    }
    seen.set(port, key);
  }
}

function resolveTls(get: Get, cwd: string): TlsFiles | undefined {
  const keys = ['tlsCert', 'tlsKey', 'tlsCa'] as const;
  const [cert, key, ca] = keys.map((k) => text(k, get(k)));
  if (cert === undefined && key === undefined && ca === undefined) return undefined;
  if (cert === undefined || key === undefined || ca === undefined) {
    const missing = keys.filter((k) => get(k) === undefined);
    const given = keys.filter((k) => get(k) !== undefined).map((k) => get(k)!.source);
    const why = `TLS needs tlsCert, tlsKey and tlsCa together; ${missing.join(' and ')} not set`;
    throw new ConfigError(missing[0]!, `only ${given.join(', ')}`, why);
  }
  return { certFile: resolve(cwd, cert), keyFile: resolve(cwd, key), caFile: resolve(cwd, ca) };
}

function resolveApiTls(get: Get, cwd: string): ApiTlsFiles | undefined {
  const cert = text('apiTlsCert', get('apiTlsCert'));
  const key = text('apiTlsKey', get('apiTlsKey'));
  const ca = text('apiTlsCa', get('apiTlsCa'));
  if (cert === undefined && key === undefined && ca === undefined) return undefined;
  if (cert === undefined || key === undefined) {
    const [missing, given] =
      cert === undefined ? ['apiTlsCert', 'apiTlsKey'] : ['apiTlsKey', 'apiTlsCert'];
    const source = get(given as ConfigKey)?.source ?? get('apiTlsCa')!.source;
    throw new ConfigError(
      missing,
      `only ${source}`,
      'API TLS needs apiTlsCert and apiTlsKey together',
    );
  }
  return {
    certFile: resolve(cwd, cert),
    keyFile: resolve(cwd, key),
    caFile: ca === undefined ? undefined : resolve(cwd, ca),
  };
}

function integer(key: ConfigKey, raw: Raw | undefined, min: number, max: number) {
  if (raw === undefined) return undefined;
  const { value, source } = raw;
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\s*\d+\s*$/.test(value)
        ? Number(value)
        : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === nodeIdMax ? `≥ ${min}` : `in ${min}..${max}`;
    throw new ConfigError(key, source, `must be an integer ${range}, got ${JSON.stringify(value)}`);
  }
  return n;
}

function text(key: ConfigKey, raw: Raw | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw.value !== 'string' || raw.value.trim() === '') {
    throw new ConfigError(
      key,
      raw.source,
      `must be a non-empty string, got ${JSON.stringify(raw.value)}`,
    );
  }
  return raw.value.trim();
}

function oneOf<T extends string>(key: ConfigKey, raw: Raw | undefined, allowed: readonly T[]) {
  const value = text(key, raw)?.toLowerCase();
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(key, raw!.source, `must be one of ${allowed.join(', ')}, got "${value}"`);
  }
  return value as T;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The loopback address matching the advertised one's family. */
function loopbackOf(cluster: Cluster): string {
  return cluster.advertise === '::1' ? '::1' : '127.0.0.1';
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
