// The command line (commander): `multiraft start [options]`. Parsing only; the values go to
// `loadConfig` unconverted, so flags, environment and file are checked by one set of rules.

import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { configFileEnv, configOptions, type RawConfig } from '../server/index.js';

export interface StartFlags extends RawConfig {
  readonly config?: string;
}

export interface ProgramActions {
  start(flags: StartFlags): Promise<void>;
}

/** The `multiraft` program. Usage errors throw a CommanderError (exitOverride) for main to map. */
export function buildProgram(actions: ProgramActions): Command {
  const program = new Command('multiraft')
    .description('A strongly consistent store for distributed primitives (multi-Raft).')
    .version(packageVersion())
    .exitOverride()
    .showHelpAfterError('(add --help for the options)');
  const start = program
    .command('start')
    .description('Run one node (a single-node cluster in ./data unless told otherwise).')
    .option('--config <file>', `JSON file with the same keys in camelCase [env ${configFileEnv}]`);
  for (const option of configOptions)
    start.option(option.flag, `${option.help} [env ${option.env}]`);
  start
    .addHelpText('after', '\nPrecedence: flags > environment variables > config file > defaults.')
    .action(async (flags: StartFlags) => actions.start(flags));
  return program;
}

function packageVersion(): string {
  // ../../package.json from both src/cli and dist/cli.
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}
