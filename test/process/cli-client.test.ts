// The CLI's client commands against a 3-node cluster of real processes: `multiraft value …` and
// `multiraft status`, in-process through runValue/runStatus (their output and exit codes), and a
// few runs of the real executable for what main.ts wires: stdout, usage errors, Ctrl-C.

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { clientExitCodes } from '../../src/cli/client-exit-codes.js';
import { runStatus } from '../../src/cli/status.js';
import {
  type ClientIo,
  runValue,
  type ValueFlags,
  type ValueRequest,
} from '../../src/cli/value.js';
import { connect, type MultiraftClient } from '../../src/client/index.js';
import { ProcessCluster } from './process-cluster.js';

const root = new URL('../../', import.meta.url).pathname;
let cluster: ProcessCluster;
let client: MultiraftClient;
let endpoints: string;

beforeAll(async () => {
  cluster = await ProcessCluster.start({ nodes: 3, partitions: 2, replication: 3 });
  await cluster.waitAllReady();
  endpoints = [...cluster.apiAddresses().values()].join(',');
  client = await connect({ endpoints: endpoints.split(',') });
}, 60_000);

afterAll(async () => {
  await client?.close();
  await cluster?.destroy();
});

interface Run {
  readonly code: number;
  readonly out: string[];
  readonly err: string[];
}

function io(stop = new AbortController().signal, onOut?: (line: string) => void) {
  const run = { out: [] as string[], err: [] as string[] };
  const value: ClientIo = {
    out: (line) => {
      run.out.push(line);
      onOut?.(line);
    },
    err: (line) => run.err.push(line),
    env: { MULTIRAFT_ENDPOINTS: endpoints },
    stop,
  };
  return { io: value, run };
}

async function value(
  action: ValueRequest['action'],
  name: string,
  text?: string,
  flags: ValueFlags = {},
): Promise<Run> {
  const { io: i, run } = io();
  const code = await runValue(
    { action, name, ...(text === undefined ? {} : { value: text }), flags },
    i,
  );
  return { code, ...run };
}

describe('multiraft value', () => {
  test('set, get, update, delete: plain output, then --json', async () => {
    expect(await value('set', 'greeting', 'hello')).toEqual({
      code: 0,
      out: [expect.stringMatching(/^version \d+$/)],
      err: [],
    });
    expect(await value('get', 'greeting')).toEqual({ code: 0, out: ['hello'], err: [] });
    const { version } = await client.atomicValue('greeting', { codec: 'string' }).get();
    const updated = await value('update', 'greeting', 'hi there', { ifVersion: `${version}` });
    expect(updated.out).toEqual([expect.stringMatching(/^version \d+, was hello$/)]);
    const got = await value('get', 'greeting', undefined, { json: true });
    const parsed = JSON.parse(got.out[0]!) as { value: string; version: number };
    expect(parsed).toEqual({ value: 'hi there', version: expect.any(Number) });
    expect(parsed.version).toBeGreaterThan(version);
    expect((await value('delete', 'greeting')).out).toEqual([
      `deleted hi there (version ${parsed.version})`,
    ]);

    const json = { json: true };
    const set = JSON.parse((await value('set', 'j', '1', json)).out[0]!) as { version: number };
    expect(set).toEqual({ version: expect.any(Number) });
    expect(JSON.parse((await value('update', 'j', '2', json)).out[0]!)).toEqual({
      version: expect.any(Number),
      prevValue: '1',
    });
    expect(JSON.parse((await value('delete', 'j', undefined, json)).out[0]!)).toEqual({
      value: '2',
      version: expect.any(Number),
    });
  });

  test('namespaces keep equal names apart', async () => {
    await value('set', 'shared', 'in a', { namespace: 'a' });
    await value('set', 'shared', 'in b', { namespace: 'b' });
    expect((await value('get', 'shared', undefined, { namespace: 'a' })).out).toEqual(['in a']);
    expect((await value('get', 'shared', undefined, { namespace: 'b' })).out).toEqual(['in b']);
    expect((await value('get', 'shared')).code).toBe(clientExitCodes.notFound);
  });

  test('exit codes: not found 3, conflict and already exists 4, invalid argument 2', async () => {
    expect(await value('get', 'nothing-here')).toEqual({
      code: 3,
      out: [],
      err: ['NOT_FOUND: default/nothing-here has no value'],
    });
    expect((await value('update', 'nothing-here', 'x')).code).toBe(3);
    expect((await value('delete', 'nothing-here')).code).toBe(3);

    const first = await value('set', 'once', 'a', { ifAbsent: true });
    expect(first.code).toBe(0);
    expect(await value('set', 'once', 'b', { ifAbsent: true })).toMatchObject({
      code: 4,
      err: [expect.stringMatching(/^ALREADY_EXISTS: default\/once already has a value/)],
    });
    const stale = await value('update', 'once', 'c', { ifVersion: '1' });
    expect(stale).toMatchObject({
      code: 4,
      err: [expect.stringMatching(/^CONFLICT: default\/once is at version \d+, not 1$/)],
    });
    expect((await value('delete', 'once', undefined, { ifVersion: '1' })).code).toBe(4);
    expect((await value('get', 'once')).out).toEqual(['a']);

    for (const flags of [{ ifVersion: '0' }, { ifVersion: 'x' }, { ttl: '5 parsecs' }]) {
      const bad = await value('update', 'once', 'd', flags);
      expect(bad).toMatchObject({ code: 2, err: [expect.stringMatching(/^INVALID_ARGUMENT: /)] });
    }
    const long = await value('set', 'n'.repeat(300), 'v');
    expect(long).toMatchObject({ code: 2, err: [expect.stringMatching(/^INVALID_ARGUMENT: /)] });
  });

  test('an unreachable endpoint: UNAVAILABLE, exit 5', async () => {
    const run = await value('get', 'x', undefined, { endpoints: '127.0.0.1:1' });
    expect(run).toMatchObject({
      code: clientExitCodes.unavailable,
      err: [expect.stringMatching(/^UNAVAILABLE: no endpoint described the cluster/)],
    });
  });

  test('a ttl: the value expires', async () => {
    expect((await value('set', 'brief', 'soon gone', { ttl: '300ms' })).code).toBe(0);
    // Expiry runs on the leader's clock: poll rather than assume a moment.
    for (;;) {
      const run = await value('get', 'brief');
      if (run.code === clientExitCodes.notFound) break;
      expect(run.out).toEqual(['soon gone']);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });

  test('watch prints the value and every change until stopped (exit 0)', async () => {
    const handle = client.atomicValue('watched', { codec: 'string' });
    await handle.set('one');
    const stop = new AbortController();
    const lines: string[] = [];
    let next: (() => void) | undefined;
    const { io: i, run } = io(stop.signal, (line) => {
      lines.push(line);
      next?.();
    });
    const seen = (count: number) =>
      new Promise<void>((resolve) => {
        next = () => lines.length >= count && resolve();
        next();
      });
    const running = runValue({ action: 'watch', name: 'watched', flags: {} }, i);
    await seen(1);
    await handle.set('two');
    await seen(2);
    await handle.delete();
    await seen(3);
    stop.abort();
    expect(await running).toBe(0);
    expect(run.out).toEqual([
      expect.stringMatching(/^one \(version \d+\)$/),
      expect.stringMatching(/^two \(version \d+\)$/),
      '(no value)',
    ]);
  });

  test('events --json prints each change as an object, in order, until stopped', async () => {
    const handle = client.atomicValue('evented', { codec: 'string' });
    const stop = new AbortController();
    let onLine: ((line: string) => void) | undefined;
    const { io: i, run } = io(stop.signal, (line) => onLine?.(line));
    const running = runValue({ action: 'events', name: 'evented', flags: { json: true } }, i);
    // The command subscribes on its own schedule: change the value until a change shows.
    const first = new Promise<void>((resolve) => {
      onLine = () => resolve();
    });
    let shown = false;
    void first.then(() => {
      shown = true;
    });
    let count = 0;
    while (!shown) {
      await handle.set(`warm-up ${count++}`);
      await Promise.race([first, new Promise((resolve) => setTimeout(resolve, 200))]);
    }
    const before = run.out.length;
    const last = new Promise<void>((resolve) => {
      onLine = (line) => line.includes('"deleted"') && resolve();
    });
    await handle.update('final');
    await handle.delete();
    await last;
    stop.abort();
    expect(await running).toBe(0);
    const events = run.out.map((line) => JSON.parse(line) as { type: string; version: number });
    const versions = events.map((e) => e.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(events.slice(before)).toEqual([
      {
        type: 'updated',
        value: 'final',
        version: expect.any(Number),
        prevValue: `warm-up ${count - 1}`,
        prevVersion: events[before - 1]!.version,
      },
      { type: 'deleted', value: 'final', version: expect.any(Number), expired: false },
    ]);
  });
});

describe('multiraft status', () => {
  test('a table of the nodes and of every replica: leader, role, term, indexes', async () => {
    const { io: i, run } = io();
    expect(await runStatus({}, i)).toBe(0);
    const lines = run.out;
    expect(lines[0]).toMatch(/^nodes \(as node [123] sees them\)$/);
    expect(lines[1]!.split(/\s+/)).toEqual(['NODE', 'API', 'PEER', 'REACHABLE']);
    for (const [id, address] of cluster.apiAddresses()) {
      expect(lines).toContainEqual(
        expect.stringMatching(new RegExp(`^${id}\\s+${address}\\s+\\S+\\s+yes$`)),
      );
    }
    const header = lines.indexOf('') + 1;
    expect(lines[header]!.split(/\s+/)).toEqual([
      'PARTITION',
      'LEADER',
      'NODE',
      'ROLE',
      'TERM',
      'COMMIT',
      'APPLIED',
    ]);
    const rows = lines.slice(header + 1).map((line) => line.split(/\s+/));
    expect(rows).toHaveLength(2 * 3);
    for (const partition of ['1', '2']) {
      const replicas = rows.filter((r) => r[0] === partition);
      expect(replicas.map((r) => r[2]).sort()).toEqual(['1', '2', '3']);
      const leader = replicas[0]![1]!;
      expect(replicas.find((r) => r[2] === leader)?.[3]).toBe('leader');
      for (const r of replicas) {
        expect(r[1]).toBe(leader);
        expect(Number(r[4])).toBeGreaterThan(0);
        expect(Number(r[6])).toBeGreaterThan(0);
      }
    }
  });

  test('--json: numbers for ids, terms and indexes', async () => {
    const { io: i, run } = io();
    expect(await runStatus({ json: true }, i)).toBe(0);
    const status = JSON.parse(run.out[0]!);
    expect(status.nodes).toHaveLength(3);
    expect(status.nodes[0]).toEqual({
      id: 1,
      apiAddress: cluster.apiAddresses().get(1 as never),
      peerAddress: expect.any(String),
      reachable: true,
    });
    expect(status.partitions).toHaveLength(2);
    const p = status.partitions[0];
    expect(p).toMatchObject({
      id: 1,
      leader: expect.any(Number),
      replicaNodes: [expect.any(Number), expect.any(Number), expect.any(Number)],
    });
    expect(p.replicas[0]).toEqual({
      node: expect.any(Number),
      role: expect.stringMatching(/^(leader|follower)$/),
      term: expect.any(Number),
      leader: p.leader,
      commitIndex: expect.any(Number),
      appliedIndex: expect.any(Number),
      lastIndex: expect.any(Number),
    });
  });

  test('an unreachable endpoint: exit 5', async () => {
    const { io: i, run } = io();
    expect(await runStatus({ endpoints: '127.0.0.1:1' }, i)).toBe(5);
    expect(run.err).toEqual([expect.stringMatching(/^UNAVAILABLE: /)]);
  });
});

describe('the multiraft executable', () => {
  const main = ['--import', 'tsx', 'src/cli/main.ts'];
  const env = () => ({ ...process.env, MULTIRAFT_ENDPOINTS: endpoints });

  async function exec(...args: string[]): Promise<Run> {
    return promisify(execFile)(process.execPath, [...main, ...args], {
      cwd: root,
      env: env(),
    }).then(
      ({ stdout, stderr }) => ({ code: 0, out: lines(stdout), err: lines(stderr) }),
      (e: { code: number; stdout: string; stderr: string }) => ({
        code: e.code,
        out: lines(e.stdout),
        err: lines(e.stderr),
      }),
    );
  }

  test('value set and get print to stdout; a missing value is a usage error (exit 2)', async () => {
    expect(await exec('value', 'set', 'cli', 'from the shell')).toMatchObject({
      code: 0,
      out: [expect.stringMatching(/^version \d+$/)],
    });
    expect(await exec('value', 'get', 'cli')).toEqual({
      code: 0,
      out: ['from the shell'],
      err: [],
    });
    const usage = await exec('value', 'set', 'cli');
    expect(usage.code).toBe(2);
    expect(usage.err[0]).toMatch(/missing required argument 'value'/);
  });

  test('value watch ends cleanly on SIGINT: exit 0', async () => {
    await client.atomicValue('ctrl-c', { codec: 'string' }).set('waiting');
    const child: ChildProcess = spawn(process.execPath, [...main, 'value', 'watch', 'ctrl-c'], {
      cwd: root,
      env: env(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    let out = '';
    await new Promise<void>((resolve) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('\n')) resolve();
      });
    });
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toMatch(/^waiting \(version \d+\)\n$/);
  });
});

function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}
