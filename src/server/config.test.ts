import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  ConfigError,
  type ConfigSources,
  configOptions,
  formatPeers,
  loadConfig,
  type RawConfig,
  resolveConfig,
} from './config.js';

const cwd = '/srv/multiraft';
const three = '1=10.0.0.1:5679/5678,2=10.0.0.2:5679/5678,3=10.0.0.3:5679/5678';

function resolve(flags: RawConfig, env: ConfigSources['env'] = {}, file?: Record<string, unknown>) {
  return resolveConfig({ flags, env, file, filePath: '/etc/multiraft.json', cwd });
}

/** The ConfigError thrown by `run`, for checking its key and message. */
function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('no ConfigError thrown');
}

describe('defaults', () => {
  test('a single node: 4 partitions of 1 replica on loopback with the default ports', () => {
    expect(resolve({})).toEqual({
      nodeId: 1,
      members: [{ id: 1, host: '127.0.0.1', peerPort: 5679, apiPort: 5678 }],
      dataDir: '/srv/multiraft/data',
      partitions: 4,
      replication: 1,
      listenHost: '127.0.0.1',
      apiPort: 5678,
      peerPort: 5679,
      httpPort: 5680,
      advertise: '127.0.0.1',
      tls: undefined,
      apiTls: undefined,
      logLevel: 'info',
      snapshotEntries: 10_000,
      snapshotRetainEntries: 1_000,
      valueBytesMax: 1024 * 1024,
      sessionTimeoutMs: 30_000,
    });
  });

  test('three nodes: 12 partitions × 3 replicas; this node from peers; listens everywhere', () => {
    const config = resolve({ nodeId: '2', peers: three });
    expect(config.members.map((m) => m.id)).toEqual([1, 2, 3]);
    expect(config).toMatchObject({ nodeId: 2, partitions: 12, replication: 3 });
    expect(config).toMatchObject({ advertise: '10.0.0.2', listenHost: '0.0.0.0' });
    expect(config).toMatchObject({ apiPort: 5678, peerPort: 5679, httpPort: 5680 });
  });

  test('two nodes replicate twice; five nodes three times', () => {
    expect(resolve({ nodeId: '1', peers: '1=a:7001,2=b:7001' }).replication).toBe(2);
    const five = [1, 2, 3, 4, 5].map((i) => `${i}=h${i}:7001`).join(',');
    expect(resolve({ nodeId: '1', peers: five })).toMatchObject({ replication: 3, partitions: 12 });
  });

  test('the API port defaults to peerPort − 1; an IPv6 host is bracketed', () => {
    const config = resolve({ nodeId: '3', peers: '3=[::1]:7001,4=[::1]:7011/7020' });
    expect(config.members).toEqual([
      { id: 3, host: '::1', peerPort: 7001, apiPort: 7000 },
      { id: 4, host: '::1', peerPort: 7011, apiPort: 7020 },
    ]);
    expect(config).toMatchObject({ advertise: '::1', listenHost: '::1', apiPort: 7000 });
  });

  test('a local cluster on loopback binds loopback only; the ports bound come from peers', () => {
    const peers = '1=127.0.0.1:7001/7000,2=127.0.0.1:7011/7010';
    expect(resolve({ nodeId: '2', peers })).toMatchObject({
      listenHost: '127.0.0.1',
      apiPort: 7010,
      peerPort: 7011,
    });
  });

  test('an advertised non-loopback single node binds every interface', () => {
    const config = resolve({ advertise: 'db1.example' });
    expect(config.listenHost).toBe('0.0.0.0');
    expect(config.members).toEqual([{ id: 1, host: 'db1.example', peerPort: 5679, apiPort: 5678 }]);
  });
});

describe('precedence: flags > environment > file > defaults', () => {
  const env = { MULTIRAFT_PARTITIONS: '20', MULTIRAFT_DATA_DIR: 'env-data' };
  const file = { partitions: 30, dataDir: 'file-data', httpPort: 9000 };

  test('each key comes from the highest source that sets it', () => {
    const config = resolve({ partitions: '10' }, env, file);
    expect(config.partitions).toBe(10);
    expect(config.dataDir).toBe('/srv/multiraft/env-data');
    expect(config.httpPort).toBe(9000);
    expect(config.apiPort).toBe(5678);
  });

  test('an empty environment variable counts as unset', () => {
    expect(resolve({}, { MULTIRAFT_PARTITIONS: '' }, file).partitions).toBe(30);
  });

  test('every option has its own environment variable', () => {
    const values: Record<string, string> = {
      nodeId: '2',
      peers: '1=127.0.0.1:7001,2=127.0.0.1:7011',
      dataDir: '/d',
      partitions: '7',
      replication: '2',
      listen: '0.0.0.0',
      apiPort: '8000',
      peerPort: '8001',
      httpPort: '8002',
      advertise: '127.0.0.1',
      tlsCert: 'c.pem',
      tlsKey: 'k.pem',
      tlsCa: 'ca.pem',
      logLevel: 'debug',
      snapshotEntries: '500',
      snapshotRetainEntries: '0',
      valueBytesMax: '2048',
      sessionTimeout: '5000',
    };
    const allEnv = Object.fromEntries(configOptions.map((o) => [o.env, values[o.key]]));
    expect(resolve({}, allEnv)).toEqual({
      nodeId: 2,
      members: [
        { id: 1, host: '127.0.0.1', peerPort: 7001, apiPort: 7000 },
        { id: 2, host: '127.0.0.1', peerPort: 7011, apiPort: 7010 },
      ],
      dataDir: '/d',
      partitions: 7,
      replication: 2,
      listenHost: '0.0.0.0',
      apiPort: 8000,
      peerPort: 8001,
      httpPort: 8002,
      advertise: '127.0.0.1',
      tls: {
        certFile: '/srv/multiraft/c.pem',
        keyFile: '/srv/multiraft/k.pem',
        caFile: '/srv/multiraft/ca.pem',
      },
      logLevel: 'debug',
      snapshotEntries: 500,
      snapshotRetainEntries: 0,
      valueBytesMax: 2048,
      sessionTimeoutMs: 5000,
    });
  });

  test('a file gives numbers as numbers and peers as a string or a list', () => {
    const config = resolve({}, {}, { nodeId: 1, peers: ['1=a:7001', '2=b:7001'], replication: 1 });
    expect(formatPeers(config.members)).toBe('1=a:7001/7000,2=b:7001/7000');
    expect(config.replication).toBe(1);
  });

  test('port 0 (any free port) is allowed for every server and may repeat', () => {
    const config = resolve({ apiPort: '0', peerPort: '0', httpPort: '0' });
    expect(config).toMatchObject({ apiPort: 0, peerPort: 0, httpPort: 0 });
  });
});

describe('validation errors name the key and where the value came from', () => {
  test.each([
    [{ partitions: '0' }, 'partitions', '--partitions'],
    [{ partitions: '10001' }, 'partitions', '--partitions'],
    [{ partitions: '4x' }, 'partitions', '--partitions'],
    [{ apiPort: '65536' }, 'apiPort', '--api-port'],
    [{ peerPort: '-1' }, 'peerPort', '--peer-port'],
    [{ httpPort: '5678' }, 'httpPort', '--http-port'],
    [{ replication: '2' }, 'replication', '--replication'],
    [{ replication: '0' }, 'replication', '--replication'],
    [{ nodeId: '0' }, 'nodeId', '--node-id'],
    [{ logLevel: 'loud' }, 'logLevel', '--log-level'],
    [{ dataDir: ' ' }, 'dataDir', '--data-dir'],
    [{ peers: '1=a:7001' }, 'nodeId', 'default'],
    [{ nodeId: '4', peers: three }, 'nodeId', '--node-id'],
    [{ nodeId: '1', peers: three, advertise: '10.9.9.9' }, 'advertise', '--advertise'],
    [{ nodeId: '1', peers: '1=a:7001,1=b:7001' }, 'peers', '--peers'],
    [{ nodeId: '1', peers: '1=a:7001,2=a:7001' }, 'peers', '--peers'],
    [{ nodeId: '1', peers: '1=a:7001,2=a:7002' }, 'peers', '--peers'],
    [{ nodeId: '1', peers: '1=a:7001/7001' }, 'peers', '--peers'],
    [{ nodeId: '1', peers: '1=a:1' }, 'peers', '--peers'],
    [{ nodeId: '1', peers: '1=a' }, 'peers', '--peers'],
    [{ nodeId: '1', peers: '0=a:7001' }, 'peers', '--peers'],
    [{ nodeId: '1', peers: 'one=a:7001' }, 'peers', '--peers'],
    [{ nodeId: '1', peers: ' , ' }, 'peers', '--peers'],
    [{ tlsCert: 'c.pem' }, 'tlsKey', 'only --tls-cert'],
    [{ tlsCert: 'c.pem', tlsKey: 'k.pem' }, 'tlsCa', 'only --tls-cert, --tls-key'],
  ] as [RawConfig, string, string][])('%o → %s', (flags, key, source) => {
    const error = configError(() => resolve(flags));
    expect(error.key).toBe(key);
    expect(error.source).toBe(source);
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain(`invalid ${key} (${source})`);
  });

  test('messages say what is wrong', () => {
    expect(configError(() => resolve({ partitions: '0' })).message).toBe(
      'invalid partitions (--partitions): must be an integer in 1..10000, got "0"',
    );
    expect(configError(() => resolve({}, { MULTIRAFT_API_PORT: 'http' })).message).toBe(
      'invalid apiPort (MULTIRAFT_API_PORT): must be an integer in 0..65535, got "http"',
    );
    expect(configError(() => resolve({ nodeId: '4', peers: three })).message).toContain(
      'node 4 is not listed in peers',
    );
    expect(configError(() => resolve({ httpPort: '5679' })).message).toContain(
      'port 5679 is also the peerPort',
    );
  });

  test('file values are checked too, and unknown file keys are refused', () => {
    const bad = configError(() => resolve({}, {}, { partitions: 2.5 }));
    expect(bad.source).toBe('"partitions" in /etc/multiraft.json');
    expect(configError(() => resolve({}, {}, { partition: 2 })).key).toBe('partition');
    expect(configError(() => resolve({}, {}, { dataDir: 5 })).key).toBe('dataDir');
    expect(configError(() => resolve({}, {}, { peers: [1, 2] })).key).toBe('peers');
  });
});

describe('loadConfig reads the JSON file named by --config or MULTIRAFT_CONFIG', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'multiraft-config-'));
    await writeFile(join(dir, 'good.json'), JSON.stringify({ partitions: 8, logLevel: 'warn' }));
    await writeFile(join(dir, 'bad.json'), '{ partitions: 8 ');
    await writeFile(join(dir, 'array.json'), '[]');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test('from the flag, relative to cwd; flags still win', async () => {
    const config = await loadConfig({
      flags: { logLevel: 'debug' },
      env: {},
      configPath: 'good.json',
      cwd: dir,
    });
    expect(config).toMatchObject({ partitions: 8, logLevel: 'debug', dataDir: join(dir, 'data') });
  });

  test('from the environment', async () => {
    const env = { MULTIRAFT_CONFIG: join(dir, 'good.json') };
    expect((await loadConfig({ flags: {}, env, cwd: dir })).logLevel).toBe('warn');
  });

  test('without a file: defaults', async () => {
    const config = await loadConfig({ flags: {}, env: { MULTIRAFT_CONFIG: '' }, cwd: dir });
    expect(config.partitions).toBe(4);
  });

  test.each([['missing.json'], ['bad.json'], ['array.json']])(
    '%s is a ConfigError',
    async (name) => {
      const loading = loadConfig({ flags: {}, env: {}, configPath: name, cwd: dir });
      await expect(loading).rejects.toMatchObject({
        name: 'ConfigError',
        key: 'config',
        source: '--config',
      });
    },
  );
});

describe('TLS of the API port', () => {
  test('certificate and key; the client CA is optional; paths resolve against cwd', () => {
    expect(resolve({ apiTlsCert: 'a.crt', apiTlsKey: 'a.key' }).apiTls).toEqual({
      certFile: '/srv/multiraft/a.crt',
      keyFile: '/srv/multiraft/a.key',
      caFile: undefined,
    });
    const env = { MULTIRAFT_API_TLS_CA: '/etc/ca.crt' };
    expect(resolve({ apiTlsCert: 'a.crt', apiTlsKey: 'a.key' }, env).apiTls?.caFile).toBe(
      '/etc/ca.crt',
    );
  });

  test.each([
    [{ apiTlsCert: 'a.crt' }, 'apiTlsKey', 'only --api-tls-cert'],
    [{ apiTlsKey: 'a.key' }, 'apiTlsCert', 'only --api-tls-key'],
    [{ apiTlsCa: 'ca.crt' }, 'apiTlsCert', 'only --api-tls-ca'],
  ])('%j alone is a ConfigError', (flags, key, source) => {
    expect(configError(() => resolve(flags))).toMatchObject({ key, source });
  });

  describe('loadConfig reads and checks the files', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'multiraft-tls-config-'));
      await writeFile(join(dir, 'text.crt'), 'not a certificate');
      await writeFile(join(dir, 'garbage.crt'), '-----BEGIN CERTIFICATE-----\nAAAA\n');
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    test.each([
      [{ apiTlsCert: 'missing.crt', apiTlsKey: 'text.crt' }, 'apiTlsCert', 'cannot read'],
      [{ apiTlsCert: 'text.crt', apiTlsKey: 'text.crt' }, 'apiTlsCert', 'not a PEM file'],
      [{ apiTlsCert: 'garbage.crt', apiTlsKey: 'garbage.crt' }, 'apiTlsCert', 'unusable'],
      [{ tlsCert: 'garbage.crt', tlsKey: 'garbage.crt', tlsCa: 'x.crt' }, 'tlsCa', 'cannot read'],
    ])('%j is a ConfigError', async (flags, key, why) => {
      const loading = loadConfig({ flags, env: {}, cwd: dir });
      await expect(loading).rejects.toMatchObject({ name: 'ConfigError', key });
      await expect(loading).rejects.toThrow(why);
    });
  });
});
