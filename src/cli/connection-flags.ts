// Where the client commands find the cluster: `--endpoints`, then MULTIRAFT_ENDPOINTS, then
// localhost:5678 (DESIGN §7); TLS from PEM files (docs/tls.md) when `--tls-ca` or a client
// certificate is given.

import { readFile } from 'node:fs/promises';
import { type ClientTlsOptions, InvalidArgumentError } from '../client/index.js';

export const endpointsEnv = 'MULTIRAFT_ENDPOINTS';
export const endpointsDefault = 'localhost:5678';

export interface ConnectionFlags {
  /** Comma-separated `host:port` list. */
  readonly endpoints?: string;
  readonly tlsCa?: string;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
}

export interface Connection {
  readonly endpoints: readonly string[];
  readonly tls?: ClientTlsOptions;
}

export function resolveEndpoints(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): string[] {
  const list = (flag ?? env[endpointsEnv] ?? endpointsDefault)
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (list.length === 0) throw new InvalidArgumentError('no endpoints given');
  return list;
}

export async function resolveConnection(
  flags: ConnectionFlags,
  env: Readonly<Record<string, string | undefined>>,
): Promise<Connection> {
  const endpoints = resolveEndpoints(flags.endpoints, env);
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) {
    throw new InvalidArgumentError('--tls-cert and --tls-key go together');
  }
  if (flags.tlsCa === undefined && flags.tlsCert === undefined) return { endpoints };
  const [ca, cert, key] = await Promise.all(
    [flags.tlsCa, flags.tlsCert, flags.tlsKey].map((path) =>
      path === undefined ? undefined : pem(path),
    ),
  );
  return { endpoints, tls: { ca, cert, key } };
}

async function pem(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new InvalidArgumentError(`cannot read ${path}: ${(error as Error).message}`);
  }
}
