import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { InvalidArgumentError } from '../client/index.js';
import { resolveConnection, resolveEndpoints } from './connection-flags.js';

test('endpoints: the flag, then MULTIRAFT_ENDPOINTS, then localhost:5678', () => {
  const env = { MULTIRAFT_ENDPOINTS: 'e:1, e:2' };
  expect(resolveEndpoints('f:1,f:2,', env)).toEqual(['f:1', 'f:2']);
  expect(resolveEndpoints(undefined, env)).toEqual(['e:1', 'e:2']);
  expect(resolveEndpoints(undefined, {})).toEqual(['localhost:5678']);
  expect(() => resolveEndpoints(' , ', {})).toThrow(InvalidArgumentError);
});

test('TLS: PEM files read when given; a missing file or a lone --tls-cert is an invalid argument', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'multiraft-flags-'));
  try {
    await writeFile(join(dir, 'ca.crt'), 'CA');
    await writeFile(join(dir, 'c.crt'), 'CERT');
    await writeFile(join(dir, 'c.key'), 'KEY');
    expect(await resolveConnection({ endpoints: 'a:1' }, {})).toEqual({ endpoints: ['a:1'] });
    const ca = await resolveConnection({ tlsCa: join(dir, 'ca.crt') }, {});
    expect(ca.tls?.ca?.toString()).toBe('CA');
    expect(ca.tls?.cert).toBeUndefined();
    const mutual = await resolveConnection(
      { tlsCa: join(dir, 'ca.crt'), tlsCert: join(dir, 'c.crt'), tlsKey: join(dir, 'c.key') },
      {},
    );
    expect([mutual.tls?.cert?.toString(), mutual.tls?.key?.toString()]).toEqual(['CERT', 'KEY']);
    await expect(resolveConnection({ tlsCert: join(dir, 'c.crt') }, {})).rejects.toThrow(
      '--tls-cert and --tls-key go together',
    );
    await expect(resolveConnection({ tlsCa: join(dir, 'none') }, {})).rejects.toThrow(
      InvalidArgumentError,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
