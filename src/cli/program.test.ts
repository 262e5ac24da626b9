// The client commands' command line: what reaches runValue and runStatus, and what is refused.

import { describe, expect, test } from 'vitest';
import { buildProgram } from './program.js';
import type { StatusFlags } from './status.js';
import type { ValueRequest } from './value.js';

async function parse(argv: string[]) {
  let value: ValueRequest | undefined;
  let status: StatusFlags | undefined;
  const program = buildProgram({
    start: async () => {},
    certs: async () => {},
    cluster: async () => {},
    value: async (r) => {
      value = r;
    },
    status: async (f) => {
      status = f;
    },
  });
  program.configureOutput({ writeErr: () => {}, writeOut: () => {} });
  for (const c of program.commands) {
    c.configureOutput({ writeErr: () => {} });
    for (const leaf of c.commands) leaf.configureOutput({ writeErr: () => {} }).exitOverride();
  }
  await program.parseAsync(['node', 'multiraft', ...argv]);
  return { value, status };
}

describe('multiraft value', () => {
  test('positional arguments and every flag land on the request, as typed', async () => {
    const { value } = await parse([
      ...['value', 'update', 'name', 'new value', '--if-version', '7', '--ttl', '5s'],
      ...['--namespace', 'ns', '--endpoints', 'a:1,b:2', '--json'],
      ...['--tls-ca', 'ca', '--tls-cert', 'c', '--tls-key', 'k'],
    ]);
    expect(value).toEqual({
      action: 'update',
      name: 'name',
      value: 'new value',
      flags: {
        ifVersion: '7',
        ttl: '5s',
        namespace: 'ns',
        endpoints: 'a:1,b:2',
        json: true,
        tlsCa: 'ca',
        tlsCert: 'c',
        tlsKey: 'k',
      },
    });
    expect((await parse(['value', 'set', 'n', 'v', '--if-absent'])).value).toEqual({
      action: 'set',
      name: 'n',
      value: 'v',
      flags: { ifAbsent: true },
    });
    for (const action of ['get', 'delete', 'watch', 'events']) {
      expect((await parse(['value', action, 'n'])).value).toEqual({ action, name: 'n', flags: {} });
    }
  });

  test('a missing value, an extra argument or a flag of another command is a usage error', async () => {
    for (const argv of [
      ['value', 'set', 'n'],
      ['value', 'get', 'n', 'extra'],
      ['value', 'update', 'n', 'v', '--if-absent'],
      ['value', 'get', 'n', '--ttl', '5s'],
    ]) {
      await expect(parse(argv), argv.join(' ')).rejects.toMatchObject({ exitCode: 1 });
    }
  });
});

test('multiraft status takes the connection flags', async () => {
  const { status } = await parse(['status', '--endpoints', 'a:1', '--json']);
  expect(status).toEqual({ endpoints: 'a:1', json: true });
});
