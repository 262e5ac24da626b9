// The certificates and keys a node's configuration names (docs/tls.md), read and checked at start:
// a missing file, a file that is not PEM, or a key that does not match its certificate is a
// ConfigError (exit code 2) naming the setting, never a failed handshake later.

import { readFile } from 'node:fs/promises';
import { createSecureContext, rootCertificates } from 'node:tls';
import type { ClientTlsOptions } from '../client/index.js';
import type { ApiTlsFiles, NodeConfig, TlsFiles } from './config.js';
import { ConfigError } from './config-error.js';

/** PEM of the API port's certificate and key, and of the CA of client certificates if required. */
export interface ApiTlsMaterial {
  readonly cert: string;
  readonly key: string;
  readonly ca: string | undefined;
}

/** PEM of the cluster CA and this node's peer certificate and key. */
export interface PeerTlsMaterial {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

export interface NodeTlsMaterial {
  /** Mutual TLS between nodes. */
  readonly peer: PeerTlsMaterial | undefined;
  /** TLS on the API port. */
  readonly api: ApiTlsMaterial | undefined;
}

/** Reads and checks every TLS file of `config`. Throws ConfigError. */
export async function readTlsMaterial(
  config: Pick<NodeConfig, 'tls' | 'apiTls'>,
): Promise<NodeTlsMaterial> {
  const [peer, api] = await allInOrder([readPeer(config.tls), readApi(config.apiTls)] as const);
  return { peer, api };
}

/**
 * How this node dials other nodes' API ports (forwarding): TLS when its own API port serves TLS,
 * trusting the system's roots plus the cluster CA and the client CA when configured (so both a
 * development CA and publicly issued certificates verify), and presenting its own API certificate
 * as a client certificate (needed when the other node requires one, `apiTlsCa`).
 */
export function apiDialTls(material: NodeTlsMaterial): ClientTlsOptions | undefined {
  const api = material.api;
  if (api === undefined) return undefined;
  const extra = [material.peer?.ca, api.ca].filter((ca) => ca !== undefined);
  return { ca: [...rootCertificates, ...extra], cert: api.cert, key: api.key };
}

async function readPeer(files: TlsFiles | undefined): Promise<PeerTlsMaterial | undefined> {
  if (files === undefined) return undefined;
  const [cert, key, ca] = await allInOrder([
    readPem('tlsCert', files.certFile),
    readPem('tlsKey', files.keyFile),
    readPem('tlsCa', files.caFile),
  ] as const);
  check('tlsCert', files, { cert, key, ca });
  return { cert, key, ca };
}

async function readApi(files: ApiTlsFiles | undefined): Promise<ApiTlsMaterial | undefined> {
  if (files === undefined) return undefined;
  const [cert, key, ca] = await allInOrder([
    readPem('apiTlsCert', files.certFile),
    readPem('apiTlsKey', files.keyFile),
    files.caFile === undefined ? undefined : readPem('apiTlsCa', files.caFile),
  ] as const);
  check('apiTlsCert', files, { cert, key, ...(ca === undefined ? {} : { ca }) });
  return { cert, key, ca };
}

/**
 * Awaits every read (they run in parallel) and, when some failed, throws the first failure in
 * the order given: the error a user sees does not depend on which file the disk answered first.
 */
async function allInOrder<T extends readonly unknown[]>(
  reads: T,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(reads);
  for (const result of settled) if (result.status === 'rejected') throw result.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as {
    -readonly [K in keyof T]: Awaited<T[K]>;
  };
}

async function readPem(key: string, file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new ConfigError(key, file, `cannot read the file: ${message(cause)}`, { cause });
  }
  if (!text.includes('-----BEGIN ')) throw new ConfigError(key, file, 'not a PEM file');
  return text;
}

/** OpenSSL's own check: the key matches the certificate, and every PEM block parses. */
function check(
  key: string,
  files: { readonly certFile: string; readonly keyFile: string },
  pem: { cert: string; key: string; ca?: string },
): void {
  try {
    createSecureContext(pem);
  } catch (cause) {
    const why = `${files.certFile} with key ${files.keyFile} is unusable: ${message(cause)}`;
    throw new ConfigError(key, files.certFile, why, { cause });
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
