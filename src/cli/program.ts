// The command line (commander): `multiraft start|certs|cluster|value|status [options]`. Parsing
// only; the values go on unconverted (for `start` to `loadConfig`), so one set of rules checks them.

import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { configFileEnv, configOptions, type RawConfig } from '../server/index.js';
import { certsDaysDefault } from './certs.js';
import { clientExitCodesHelp } from './client-exit-codes.js';
import {
  type ClusterFlags,
  clusterDataDirDefault,
  clusterNodesDefault,
  clusterNodesMax,
  clusterPortStep,
} from './cluster.js';
import { endpointsDefault, endpointsEnv } from './connection-flags.js';
import type { StatusFlags } from './status.js';
import type { ValueAction, ValueFlags, ValueRequest } from './value.js';

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
  value(request: ValueRequest): Promise<void>;
  status(flags: StatusFlags): Promise<void>;
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
  addValueCommands(program, actions);
  withConnection(
    program
      .command('status')
      .description(
        'Print the nodes and every partition: leader, replicas, terms, applied indexes.',
      ),
  ).action(async (flags: StatusFlags) => actions.status(flags));
  return program;
}

/** `multiraft value get|set|update|delete|watch|events NAME [VALUE]`. */
function addValueCommands(program: Command, actions: ProgramActions): void {
  const value = program
    .command('value')
    .description('Read, change or follow an AtomicValue (values are UTF-8 text).')
    .addHelpText('after', `\n${clientExitCodesHelp}`);
  const ttl = ['--ttl <duration>', "expire after it: '500ms', '5s', '1m30s', '2h'"] as const;
  const ifVersion = ['--if-version <n>', 'only if the value is at this version'] as const;
  const leaf = (action: ValueAction, args: string, description: string) =>
    withConnection(value.command(`${action} ${args}`).description(description)).option(
      '--namespace <ns>',
      'the namespace of the name (default "default")',
    );
  const run =
    (action: ValueAction) =>
    async (name: string, ...rest: unknown[]) => {
      // commander passes the positional arguments, then the flags and the command.
      const text = rest.length === 3 ? (rest[0] as string) : undefined;
      const flags = rest[rest.length - 2] as ValueFlags;
      await actions.value({ action, name, ...(text === undefined ? {} : { value: text }), flags });
    };
  leaf(
    'get',
    '<name>',
    'Print the value (with --json: {"value","version"}); exit 3 if none.',
  ).action(run('get'));
  leaf('set', '<name> <value>', 'Set the value; print its version.')
    .option(...ttl)
    .option('--if-absent', 'only if there is no value (exit 4 otherwise)')
    .action(run('set'));
  leaf('update', '<name> <value>', 'Replace an existing value; print its version and the old one.')
    .option(...ttl)
    .option(...ifVersion)
    .action(run('update'));
  leaf('delete', '<name>', 'Remove the value; print what it was.')
    .option(...ifVersion)
    .action(run('delete'));
  leaf('watch', '<name>', 'Print the value now and after every change until Ctrl-C.').action(
    run('watch'),
  );
  leaf(
    'events',
    '<name>',
    'Print every change (created, updated, deleted, expired) until Ctrl-C.',
  ).action(run('events'));
}

/** The flags of every command that talks to a running cluster. */
function withConnection(command: Command): Command {
  return command
    .option(
      '--endpoints <list>',
      `host:port of nodes, comma-separated [env ${endpointsEnv}] (default ${endpointsDefault})`,
    )
    .option('--tls-ca <file>', 'dial with TLS, trusting this CA (PEM)')
    .option('--tls-cert <file>', 'a client certificate (PEM), with --tls-key, for TLS')
    .option('--tls-key <file>', 'the key of --tls-cert (PEM)')
    .option('--json', 'one JSON object per line on stdout')
    .addHelpText('after', `\n${clientExitCodesHelp}`);
}

function packageVersion(): string {
  // ../../package.json from both src/cli and dist/cli.
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}
