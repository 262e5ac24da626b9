#!/usr/bin/env node
// `multiraft`: the executable. Wires the real node, process signals and stdout to the CLI;
// parsing is in program.ts and ../server/config.ts, the lifecycle in start.ts.

import { CommanderError } from 'commander';
import { ConfigError, loadConfig, type NodeConfig, startNode } from '../server/index.js';
import { createLogger, flushLogger } from './logger.js';
import { buildProgram, type StartFlags } from './program.js';
import { exitCodes, runStart } from './start.js';

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

async function main(argv: readonly string[]): Promise<number> {
  let code: number = exitCodes.ok;
  const program = buildProgram({
    async start(flags) {
      code = await start(flags);
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
