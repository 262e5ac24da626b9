// The lifecycle of `multiraft start` (DESIGN §7): start the node and its HTTP endpoints, log where
// they listen, wait for SIGTERM or SIGINT, then stop accepting, flush and close, within a deadline.
// The node and the signal source are injected so tests drive it without a process or sockets.
//
// Exit codes: 0 after a clean shutdown; 1 when the node or the HTTP server cannot start, when
// closing throws, or when closing outlasts `shutdownTimeoutMs` (the write-ahead log is crash-safe,
// so a forced exit loses nothing acknowledged, but the operator should know it was forced);
// 2 for a configuration error (decided in main.ts, before this runs). A repeated signal while
// shutting down is logged and changes nothing.

import type { Logger } from 'pino';
import type { NodeConfig, RunningNode } from '../server/index.js';
import {
  formatPeers,
  type HttpServer,
  type HttpServerOptions,
  startHttpServer,
} from '../server/index.js';

export const exitCodes = { ok: 0, failed: 1, badConfig: 2 } as const;
export type ExitCode = (typeof exitCodes)[keyof typeof exitCodes];

/**
 * Closing must finish within this after the first signal. DESIGN §7 allows 5 s from signal to
 * exit; the rest is for flushing the last log lines and leaving the process.
 */
export const shutdownTimeoutMsDefault = 4_500;

export const stopSignals = ['SIGTERM', 'SIGINT'] as const;
export type StopSignal = (typeof stopSignals)[number];

/** Where stop signals come from: `process` in production. */
export interface SignalSource {
  on(signal: StopSignal, listener: (signal: StopSignal) => void): unknown;
}

export interface StartDeps {
  readonly startNode: (config: NodeConfig, logger: Logger) => Promise<RunningNode>;
  readonly logger: Logger;
  readonly signals?: SignalSource;
  readonly startHttpServer?: (options: HttpServerOptions) => Promise<HttpServer>;
  readonly shutdownTimeoutMs?: number;
  /** A line for a human at a terminal (main.ts passes stderr when it is a TTY). */
  readonly print?: (line: string) => void;
}

/**
 * Runs a node until a stop signal and returns the exit code. The signal listeners stay installed
 * until the process exits, so a late signal cannot kill it with another code.
 */
export async function runStart(config: NodeConfig, deps: StartDeps): Promise<ExitCode> {
  const stop = listenForStop(deps.signals ?? process, deps.logger);
  const timeoutMs = deps.shutdownTimeoutMs ?? shutdownTimeoutMsDefault;
  const deadline = delay(timeoutMs);
  void stop.requested.then(() => deadline.start());
  const lifecycle = run(config, deps, stop.requested);
  const forced = deadline.promise.then(() => {
    deps.logger.error({ timeoutMs }, 'shutdown did not finish in time; exiting anyway');
    return exitCodes.failed;
  });
  try {
    return await Promise.race([lifecycle, forced]);
  } finally {
    deadline.cancel();
  }
}

async function run(
  config: NodeConfig,
  deps: StartDeps,
  stopRequested: Promise<StopSignal>,
): Promise<ExitCode> {
  const { logger } = deps;
  const { nodeId, partitions, replication, dataDir, listenHost } = config;
  const peers = formatPeers(config.members);
  const tls = config.tls !== undefined;
  const apiTls = config.apiTls !== undefined;
  const settings = { nodeId, peers, partitions, replication, dataDir, listenHost, tls, apiTls };
  logger.info(settings, 'starting');
  let node: RunningNode;
  try {
    node = await deps.startNode(config, logger);
  } catch (error) {
    logger.error({ err: error }, `node failed to start: ${message(error)}`);
    return exitCodes.failed;
  }
  let http: HttpServer;
  try {
    http = await (deps.startHttpServer ?? startHttpServer)({
      host: config.listenHost,
      port: config.httpPort,
      live: () => node.live(),
      ready: () => node.ready(),
      logger,
      routes: node.httpRoutes,
    });
  } catch (error) {
    logger.error({ err: error }, `http server failed to start: ${message(error)}`);
    await close(logger, 'node', () => node.close());
    return exitCodes.failed;
  }
  const { api, peer } = node.addresses;
  const fields = { api, peer, http: http.address, nodeId: config.nodeId, dataDir: config.dataDir };
  logger.info(fields, 'listening');
  deps.print?.(
    `multiraft node ${config.nodeId}: API ${api}, peers ${peer}, ` +
      `http://${http.address}/readyz (data in ${config.dataDir}); Ctrl-C stops it`,
  );
  const signal = await stopRequested;
  logger.info({ signal }, 'shutting down');
  // Stop answering health checks first, so a load balancer sees the node go away; then the node.
  const httpClosed = await close(logger, 'http server', () => http.close());
  const nodeClosed = await close(logger, 'node', () => node.close());
  if (!httpClosed || !nodeClosed) return exitCodes.failed;
  logger.info('stopped');
  return exitCodes.ok;
}

async function close(logger: Logger, what: string, action: () => Promise<void>) {
  try {
    await action();
    return true;
  } catch (error) {
    logger.error({ err: error }, `closing the ${what} failed: ${message(error)}`);
    return false;
  }
}

function listenForStop(signals: SignalSource, logger: Logger) {
  let first: StopSignal | undefined;
  let resolve!: (signal: StopSignal) => void;
  const requested = new Promise<StopSignal>((r) => {
    resolve = r;
  });
  const onSignal = (signal: StopSignal) => {
    if (first !== undefined) {
      logger.warn({ signal }, `${signal} ignored: already shutting down after ${first}`);
      return;
    }
    first = signal;
    resolve(signal);
  };
  for (const signal of stopSignals) signals.on(signal, onSignal);
  return { requested };
}

/** A delay started on demand; `cancel` clears its timer (and stops a later `start`). */
function delay(timeoutMs: number) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let cancelled = false;
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return {
    promise,
    start() {
      if (!cancelled) timer = setTimeout(resolve, timeoutMs);
    },
    cancel() {
      cancelled = true;
      clearTimeout(timer);
    },
  };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
