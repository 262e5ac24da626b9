// The `--peers` list (DESIGN §7): `id=host:peerPort[/apiPort]` entries separated by commas, e.g.
// `1=10.0.0.1:5679/5678,2=10.0.0.2:5679/5678`. The API port defaults to peerPort − 1 (the default
// ports are 5678 API, 5679 peers). An IPv6 host is written in brackets: `3=[fd00::3]:5679`.

import { type NodeId, nodeId } from '../common/index.js';
import { ConfigError } from './config-error.js';

/** One node of the cluster as the others reach it. */
export interface MemberSpec {
  readonly id: NodeId;
  /** Host name or IP address, IPv6 without brackets. */
  readonly host: string;
  readonly peerPort: number;
  readonly apiPort: number;
}

/** Largest node id: ids travel as varints and must stay exact in a `number`. */
export const nodeIdMax = Number.MAX_SAFE_INTEGER;

const entryPattern = /^(\d+)=(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(\d+)(?:\/(\d+))?$/;

/**
 * Parses a peers list into members sorted by id. `source` names where the text came from (a flag,
 * an environment variable or the config file) for the error message.
 */
export function parsePeers(text: string, source: string): MemberSpec[] {
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) throw new ConfigError('peers', source, 'lists no node');
  const members = entries.map((entry) => parseEntry(entry, source));
  checkUnique(members, source);
  return members.sort((a, b) => a.id - b.id);
}

function parseEntry(entry: string, source: string): MemberSpec {
  const match = entryPattern.exec(entry);
  if (match === null) {
    throw new ConfigError('peers', source, `"${entry}" is not id=host:peerPort[/apiPort]`);
  }
  const [, idText, hostText, peerText, apiText] = match as unknown as [
    string,
    string,
    string,
    string,
    string | undefined,
  ];
  const id = Number(idText);
  if (!Number.isSafeInteger(id) || id < 1) {
    throw new ConfigError('peers', source, `"${entry}": the node id must be an integer ≥ 1`);
  }
  const host = hostText.startsWith('[') ? hostText.slice(1, -1) : hostText;
  const peerPort = Number(peerText);
  const apiPort = apiText === undefined ? peerPort - 1 : Number(apiText);
  for (const port of [peerPort, apiPort]) {
    if (!Number.isInteger(port) || port < 1 || port > 65_535) {
      throw new ConfigError('peers', source, `"${entry}": ports must be in 1..65535`);
    }
  }
  return { id: nodeId(id), host, peerPort, apiPort };
}

function checkUnique(members: readonly MemberSpec[], source: string): void {
  const ids = new Set<number>();
  const endpoints = new Set<string>();
  for (const member of members) {
    if (ids.has(member.id)) {
      throw new ConfigError('peers', source, `node id ${member.id} appears twice`);
    }
    ids.add(member.id);
    for (const port of [member.peerPort, member.apiPort]) {
      // Host names compare without case; two spellings of one address are not detected.
      const endpoint = formatHostPort(member.host.toLowerCase(), port);
      if (endpoints.has(endpoint)) {
        throw new ConfigError('peers', source, `address ${endpoint} is used twice`);
      }
      endpoints.add(endpoint);
    }
  }
}

/** `host:port`, with an IPv6 host in brackets. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Formats members back into the `--peers` syntax (always with the API port). */
export function formatPeers(members: readonly MemberSpec[]): string {
  return members.map((m) => `${m.id}=${formatHostPort(m.host, m.peerPort)}/${m.apiPort}`).join(',');
}
