// `multiraft certs` (docs/tls.md): a development CA, one certificate per node (server and client
// usage, so it serves both the peer port and the API port) and one client certificate, made by
// the openssl CLI so that the commands shown in docs/tls.md are exactly what runs. Not for
// production: the CA key sits unencrypted next to the certificates.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RawConfig } from '../server/index.js';
import { startArgs } from './start-args.js';

export const certsNodesMax = 64;
export const certsDaysDefault = 365;

export interface DevCertsOptions {
  /** Created if missing; must not already hold any of the files. */
  readonly outDir: string;
  /** Certificates node-1 … node-N. */
  readonly nodes: number;
  /** More host names or IP addresses every node certificate names (beyond localhost, loopback). */
  readonly hosts?: readonly string[];
  readonly days?: number;
  /** The openssl executable; default `openssl` on the PATH. */
  readonly openssl?: string;
}

/** Absolute paths of what `makeDevCerts` wrote. */
export interface DevCerts {
  readonly dir: string;
  readonly caCert: string;
  readonly caKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

/** Why the certificates could not be made (openssl missing or failing, files in the way). */
export class CertsError extends Error {
  override readonly name = 'CertsError';
  readonly code = 'CERTS_FAILED';
}

/** A node's certificate and key in a `multiraft certs` directory. */
export function nodeCertFiles(dir: string, node: number) {
  return { cert: join(dir, `node-${node}.crt`), key: join(dir, `node-${node}.key`) };
}

/** The `multiraft start` flags for node `node` with the certificates of `dir`. */
export function nodeTlsFlags(dir: string, node: number): RawConfig {
  const { cert, key } = nodeCertFiles(dir, node);
  const ca = join(dir, 'ca.crt');
  return { tlsCert: cert, tlsKey: key, tlsCa: ca, apiTlsCert: cert, apiTlsKey: key };
}

export async function makeDevCerts(options: DevCertsOptions): Promise<DevCerts> {
  if (!Number.isSafeInteger(options.nodes) || options.nodes < 1 || options.nodes > certsNodesMax) {
    throw new CertsError(`--nodes must be an integer in 1..${certsNodesMax}`);
  }
  const days = options.days ?? certsDaysDefault;
  if (!Number.isSafeInteger(days) || days < 1) throw new CertsError('--days must be ≥ 1');
  const dir = resolve(options.outDir);
  const names = [
    'ca',
    ...Array.from({ length: options.nodes }, (_, i) => `node-${i + 1}`),
    'client',
  ];
  const taken = names
    .flatMap((n) => [`${n}.crt`, `${n}.key`])
    .filter((f) => existsSync(join(dir, f)));
  if (taken.length > 0) {
    throw new CertsError(
      `${dir} already holds ${taken.join(', ')}; remove them or pick another --out`,
    );
  }
  await mkdir(dir, { recursive: true });
  const run = (args: readonly string[]) => openssl(options.openssl ?? 'openssl', args, dir);
  // CSRs and extension files are scratch: only certificates and keys are kept.
  const scratch = await mkdtemp(join(tmpdir(), 'multiraft-certs-'));
  try {
    await run([
      ...['req', '-x509', ...newKey('ca.key'), '-out', 'ca.crt', '-days', `${days}`],
      ...['-subj', '/CN=multiraft development CA'],
      ...['-addext', 'basicConstraints=critical,CA:TRUE'],
      ...['-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    ]);
    const extraSans = (options.hosts ?? []).map(san);
    for (let node = 1; node <= options.nodes; node++) {
      const sans = ['DNS:localhost', 'IP:127.0.0.1', 'IP:::1', `DNS:node-${node}`, ...extraSans];
      await issue(run, scratch, `node-${node}`, days, [
        `subjectAltName=${sans.join(',')}`,
        'extendedKeyUsage=serverAuth,clientAuth',
      ]);
    }
    await issue(run, scratch, 'client', days, ['extendedKeyUsage=clientAuth']);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return {
    dir,
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    clientCert: join(dir, 'client.crt'),
    clientKey: join(dir, 'client.key'),
  };
}

/** What `multiraft certs` prints: the files and the flags that use them. */
export function describeDevCerts(certs: DevCerts, nodes: number): string[] {
  const lines = [`Development certificates in ${certs.dir} (not for production):`];
  for (let node = 1; node <= nodes; node++) {
    const flags = startArgs(nodeTlsFlags(certs.dir, node)).join(' ');
    lines.push(`  node ${node}: multiraft start ${flags}`);
  }
  lines.push(
    `  clients trust ${certs.caCert}; to require client certificates add --api-tls-ca=${certs.caCert}`,
    `  client certificate ${certs.clientCert}, key ${certs.clientKey}`,
    `  a local cluster: multiraft cluster --nodes ${nodes} --tls-dir ${certs.dir}`,
  );
  return lines;
}

/** A new P-256 key, unencrypted (a development CA). */
function newKey(keyFile: string): string[] {
  return [
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    keyFile,
  ];
}

async function issue(
  run: (args: readonly string[]) => Promise<void>,
  scratch: string,
  name: string,
  days: number,
  extensions: readonly string[],
): Promise<void> {
  const csr = join(scratch, `${name}.csr`);
  const ext = join(scratch, `${name}.ext`);
  await writeFile(ext, `${extensions.join('\n')}\n`);
  await run(['req', '-new', ...newKey(`${name}.key`), '-out', csr, '-subj', `/CN=${name}`]);
  await run([
    ...['x509', '-req', '-in', csr, '-CA', 'ca.crt', '-CAkey', 'ca.key'],
    // A random serial instead of -CAcreateserial, which would leave a ca.srl behind.
    ...['-set_serial', `0x${randomBytes(16).toString('hex')}`, '-days', `${days}`],
    ...['-extfile', ext, '-out', `${name}.crt`],
  ]);
}

function san(host: string): string {
  return isIP(host) === 0 ? `DNS:${host}` : `IP:${host}`;
}

function openssl(executable: string, args: readonly string[], cwd: string): Promise<void> {
  return new Promise((done, fail) => {
    execFile(executable, args, { cwd }, (error, _stdout, stderr) => {
      if (error === null) return done();
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        const why = `${executable} not found: install OpenSSL, or make the files as docs/tls.md shows`;
        return fail(new CertsError(why, { cause: error }));
      }
      const why = `openssl ${args.join(' ')} failed: ${stderr.trim() || error.message}`;
      fail(new CertsError(why, { cause: error }));
    });
  });
}
