// The command line (commander): `multiraft start|certs|cluster [options]`. Parsing only; the
// values go on unconverted (for `start` to `loadConfig`), so one set of rules checks them.

import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { configFileEnv, configOptions, type RawConfig } from '../server/index.js';
import { certsDaysDefault } from './certs.js';
import {
  type ClusterFlags,
  clusterDataDirDefault,
  clusterNodesDefault,
  clusterNodesMax,
  clusterPortStep,
} from './cluster.js';

export interface StartFlags extends RawConfig {
  readonly config?: string;
}

export interface CertsFlags {
  readonly out: string;
  readonly nodes: string;
  readonly hosts?: string;
  readonly days: string;
}

export interface ProgramActions {
  start(flags: StartFlags): Promise<void>;
  certs(flags: CertsFlags): Promise<void>;
  cluster(flags: ClusterFlags): Promise<void>;
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
  program
    .command('certs')
    .description('Make a development CA and certificates for N nodes and a client (openssl).')
    .requiredOption('--out <dir>', 'directory for the files (created; must not hold them yet)')
    .option('--nodes <n>', 'node certificates node-1 … node-N', '3')
    .option('--hosts <list>', 'more host names or IPs each node certificate names, comma-separated')
    .option('--days <n>', 'validity', String(certsDaysDefault))
    .action(async (flags: CertsFlags) => actions.certs(flags));
  program
    .command('cluster')
    .description(
      'Run a local cluster of N nodes as child processes (development); Ctrl-C stops it.',
    )
    .option('--nodes <n>', `nodes, 1..${clusterNodesMax} (default ${clusterNodesDefault})`)
    .option(
      '--base-port <port>',
      `node N listens on port + ${clusterPortStep}·(N−1) (API), +1 (peers), +2 (HTTP); ` +
        '0 picks free ports (default 5678)',
    )
    .option(
      '--data-dir <dir>',
      `node N keeps its data in DIR/node-N (default ${clusterDataDirDefault})`,
    )
    .option('--partitions <n>', 'passed to every node')
    .option('--replication <n>', 'passed to every node')
    .option('--log-level <level>', 'passed to every node')
    .option(
      '--tls-dir <dir>',
      'certificates made by `multiraft certs`: TLS between nodes and on the API',
    )
    .addHelpText(
      'after',
      '\nNode logs go to stdout, each line prefixed [node N]; messages of the cluster to stderr.',
    )
    .action(async (flags: ClusterFlags) => actions.cluster(flags));
  return program;
}

function packageVersion(): string {
  // ../../package.json from both src/cli and dist/cli.
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}
