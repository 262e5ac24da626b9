import { EventEmitter } from 'node:events';
import { type Logger, pino } from 'pino';
import { describe, expect, test } from 'vitest';
import type { RunningNode } from '../server/index.js';
import { type NodeConfig, resolveConfig } from '../server/index.js';
import { buildProgram, type StartFlags } from './program.js';
import { runStart, type StopSignal } from './start.js';

const config = resolveConfig({
  flags: { apiPort: '0', peerPort: '0', httpPort: '0' },
  env: {},
  cwd: '/tmp/multiraft-start-test',
});

interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino(
    { level: 'debug' },
    { write: (line: string) => lines.push(JSON.parse(line)) },
  );
  return { logger, lines };
}

/** A node double: `closing` controls how close() ends; `closes` counts the calls. */
class FakeNode implements RunningNode {
  readonly addresses = { api: '127.0.0.1:7000', peer: '127.0.0.1:7001' };
  closes = 0;
  isReady = true;
  closing: () => Promise<void> = async () => {};
  live = () => true;
  ready = () => this.isReady;
  close() {
    this.closes++;
    return this.closing();
  }
}

class FakeSignals extends EventEmitter {
  send(signal: StopSignal) {
    this.emit(signal, signal);
  }
}

/** Resolves once a log line with this message is written. */
async function logged(lines: LogLine[], msg: string): Promise<LogLine> {
  for (let i = 0; i < 500; i++) {
    const line = lines.find((l) => l.msg === msg);
    if (line !== undefined) return line;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no "${msg}" line in ${JSON.stringify(lines)}`);
}

describe('runStart', () => {
  test('listens, serves health, and on SIGTERM closes once and exits 0; a second signal is ignored', async () => {
    const { logger, lines } = capturingLogger();
    const node = new FakeNode();
    node.isReady = false;
    let finishClose!: () => void;
    node.closing = () => new Promise((resolve) => (finishClose = resolve));
    const signals = new FakeSignals();
    const printed: string[] = [];
    const started: NodeConfig[] = [];
    const exit = runStart(config, {
      startNode: async (c) => {
        started.push(c);
        return node;
      },
      logger,
      signals,
      print: (line) => printed.push(line),
    });

    const listening = await logged(lines, 'listening');
    expect(started).toEqual([config]);
    expect(listening).toMatchObject({
      api: '127.0.0.1:7000',
      peer: '127.0.0.1:7001',
      nodeId: 1,
      dataDir: '/tmp/multiraft-start-test/data',
    });
    expect(listening.http).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(printed).toHaveLength(1);
    expect(printed[0]).toContain(`http://${listening.http}/readyz`);
    expect((await fetch(`http://${listening.http}/readyz`)).status).toBe(503);
    node.isReady = true;
    expect((await fetch(`http://${listening.http}/readyz`)).status).toBe(200);

    signals.send('SIGTERM');
    await logged(lines, 'shutting down');
    await expect(fetch(`http://${listening.http}/healthz`)).rejects.toThrow();
    signals.send('SIGINT');
    signals.send('SIGTERM');
    await logged(lines, 'SIGINT ignored: already shutting down after SIGTERM');
    finishClose();
    expect(await exit).toBe(0);
    expect(node.closes).toBe(1);
    expect(lines.at(-1)?.msg).toBe('stopped');
    // Listeners stay: a signal after the end is still absorbed, not fatal.
    signals.send('SIGINT');
    expect(signals.listenerCount('SIGTERM')).toBe(1);
  });

  test('a signal during startup stops the node as soon as it has started', async () => {
    const { logger } = capturingLogger();
    const node = new FakeNode();
    const signals = new FakeSignals();
    let startDone!: (node: RunningNode) => void;
    const exit = runStart(config, {
      startNode: () => new Promise((resolve) => (startDone = resolve)),
      logger,
      signals,
    });
    signals.send('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 10));
    startDone(node);
    expect(await exit).toBe(0);
    expect(node.closes).toBe(1);
  });

  test('a node that fails to start: one error line and exit 1', async () => {
    const { logger, lines } = capturingLogger();
    const exit = await runStart(config, {
      startNode: () => Promise.reject(new Error('corrupt write-ahead log: 0001.wal at offset 7')),
      logger,
      signals: new FakeSignals(),
    });
    expect(exit).toBe(1);
    const errors = lines.filter((l) => l.level >= 50);
    expect(errors.map((l) => l.msg)).toEqual([
      'node failed to start: corrupt write-ahead log: 0001.wal at offset 7',
    ]);
  });

  test('an HTTP port in use: the started node is closed and the exit is 1', async () => {
    const { logger, lines } = capturingLogger();
    const node = new FakeNode();
    const inUse = Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' });
    const exit = await runStart(config, {
      startNode: async () => node,
      startHttpServer: () => Promise.reject(inUse),
      logger,
      signals: new FakeSignals(),
    });
    expect(exit).toBe(1);
    expect(node.closes).toBe(1);
    expect(lines.some((l) => l.msg === 'http server failed to start: listen EADDRINUSE')).toBe(
      true,
    );
  });

  test('a close that throws: exit 1', async () => {
    const { logger, lines } = capturingLogger();
    const node = new FakeNode();
    node.closing = () => Promise.reject(new Error('fsync failed'));
    const signals = new FakeSignals();
    const exit = runStart(config, { startNode: async () => node, logger, signals });
    await logged(lines, 'listening');
    signals.send('SIGTERM');
    expect(await exit).toBe(1);
    expect(lines.some((l) => l.msg === 'closing the node failed: fsync failed')).toBe(true);
  });

  test('a close that hangs: the deadline ends the run with exit 1', async () => {
    const { logger, lines } = capturingLogger();
    const node = new FakeNode();
    node.closing = () => new Promise(() => {});
    const signals = new FakeSignals();
    const exit = runStart(config, {
      startNode: async () => node,
      logger,
      signals,
      shutdownTimeoutMs: 50,
    });
    await logged(lines, 'listening');
    const signalled = Date.now();
    signals.send('SIGTERM');
    expect(await exit).toBe(1);
    expect(Date.now() - signalled).toBeLessThan(1_000);
    expect(lines.at(-1)).toMatchObject({
      msg: 'shutdown did not finish in time; exiting anyway',
      timeoutMs: 50,
    });
  });
});

describe('the start command line', () => {
  async function parse(argv: string[]): Promise<StartFlags> {
    let flags: StartFlags | undefined;
    const program = buildProgram({
      async start(f) {
        flags = f;
      },
      certs: async () => {},
      cluster: async () => {},
      value: async () => {},
      status: async () => {},
    });
    await program.parseAsync(['node', 'multiraft', 'start', ...argv]);
    return flags!;
  }

  test('every flag lands on its config key, as the string typed', async () => {
    const flags = await parse([
      ...['--node-id', '2', '--peers', '1=a:7001,2=b:7001', '--data-dir', 'd'],
      ...['--partitions', '8', '--replication', '2', '--listen', '0.0.0.0'],
      ...['--api-port', '1', '--peer-port', '2', '--http-port', '3', '--advertise', 'b'],
      ...['--tls-cert', 'c', '--tls-key', 'k', '--tls-ca', 'ca', '--log-level', 'warn'],
      ...['--api-tls-cert', 'ac', '--api-tls-key', 'ak', '--api-tls-ca', 'aca'],
      ...['--config', 'f.json'],
    ]);
    expect(flags).toEqual({
      nodeId: '2',
      peers: '1=a:7001,2=b:7001',
      dataDir: 'd',
      partitions: '8',
      replication: '2',
      listen: '0.0.0.0',
      apiPort: '1',
      peerPort: '2',
      httpPort: '3',
      advertise: 'b',
      tlsCert: 'c',
      tlsKey: 'k',
      tlsCa: 'ca',
      apiTlsCert: 'ac',
      apiTlsKey: 'ak',
      apiTlsCa: 'aca',
      logLevel: 'warn',
      config: 'f.json',
    });
    expect(await parse([])).toEqual({});
  });

  test('an unknown flag is a usage error (main maps it to exit 2)', async () => {
    const program = buildProgram({
      start: async () => {},
      certs: async () => {},
      cluster: async () => {},
      value: async () => {},
      status: async () => {},
    });
    program.commands[0]!.configureOutput({ writeErr: () => {} });
    await expect(
      program.parseAsync(['node', 'multiraft', 'start', '--nodes', '3']),
    ).rejects.toMatchObject({ code: 'commander.unknownOption', exitCode: 1 });
  });
});
