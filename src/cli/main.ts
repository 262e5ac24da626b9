#!/usr/bin/env node
// `multiraft`: the executable. Wires the real node, process signals and stdout to the CLI;
// parsing is in program.ts and ../server/config.ts, the lifecycles in start.ts and cluster.ts,
// the client commands in value.ts and status.ts.

import { CommanderError } from 'commander';
import { ConfigError, loadConfig, type NodeConfig, startNode } from '../server/index.js';
import { CertsError, describeDevCerts, makeDevCerts } from './certs.js';
import { runCluster } from './cluster.js';
import { createLogger, flushLogger } from './logger.js';
import { buildProgram, type CertsFlags, type StartFlags } from './program.js';
import { exitCodes, runStart } from './start.js';
import { runStatus } from './status.js';
import { type ClientIo, runValue } from './value.js';

async function start(flags: StartFlags): Promise<number> {
  const { config: configPath, ...values } = flags;
  let config: NodeConfig;
  try {
    config = await loadConfig({ flags: values, env: process.env, configPath });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const logger = createLogger('info');
    logger.error({ key: error.key, source: error.source }, error.message);
    await flushLogger(logger);
    return exitCodes.badConfig;
  }
  const logger = createLogger(config.logLevel);
  // A bug (a failed assertion) still crashes the process, but leaves a JSON line saying why.
  const crash = (error: unknown) => {
    logger.fatal({ err: error }, 'crashed');
    process.exit(exitCodes.failed);
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
  const print = process.stderr.isTTY
    ? (line: string) => process.stderr.write(`${line}\n`)
    : undefined;
  const code = await runStart(config, { startNode, logger, print });
  await flushLogger(logger);
  return code;
}

async function certs(flags: CertsFlags): Promise<number> {
  const nodes = Number(flags.nodes);
  const hosts = flags.hosts
    ?.split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
  try {
    const made = await makeDevCerts({ outDir: flags.out, nodes, hosts, days: Number(flags.days) });
    for (const line of describeDevCerts(made, nodes)) process.stdout.write(`${line}\n`);
    return exitCodes.ok;
  } catch (error) {
    if (!(error instanceof CertsError)) throw error;
    process.stderr.write(`multiraft certs: ${error.message}\n`);
    return exitCodes.failed;
  }
}

/** The process as the client commands see it: Ctrl-C or SIGTERM aborts `stop`. */
function clientIo(): ClientIo {
  const stop = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => stop.abort(new Error(`${signal} received`)));
  }
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    env: process.env,
    stop: stop.signal,
  };
}

async function main(argv: readonly string[]): Promise<number> {
  let code: number = exitCodes.ok;
  const program = buildProgram({
    async start(flags) {
      code = await start(flags);
    },
    async certs(flags) {
      code = await certs(flags);
    },
    async cluster(flags) {
      code = await runCluster(flags, {
        // This very program, from dist/ or from the sources through a loader such as tsx.
        command: { executable: process.execPath, args: [...process.execArgv, process.argv[1]!] },
        env: process.env,
        cwd: process.cwd(),
        signals: process,
        print: (line) => process.stderr.write(`${line}\n`),
        log: (line) => process.stdout.write(`${line}\n`),
      });
    },
    async value(request) {
      code = await runValue(request, clientIo());
    },
    async status(flags) {
      code = await runStatus(flags, clientIo());
    },
  });
  try {
    await program.parseAsync(argv);
  } catch (error) {
    // Help and --version end with exit code 0; every other usage error is code 2.
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : exitCodes.badConfig;
    throw error;
  }
  return code;
}

process.exit(await main(process.argv));
