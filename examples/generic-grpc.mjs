#!/usr/bin/env node
// The AtomicValue through a generic gRPC client, as any language would call it: @grpc/grpc-js
// with @grpc/proto-loader reading the .proto files multiraft ships (proto/), no multiraft code.
//
//   node examples/generic-grpc.mjs set greeting hello [--ttl-ms 5000]
//   node examples/generic-grpc.mjs get greeting
//   node examples/generic-grpc.mjs update greeting hi [--if-version 7]
//   node examples/generic-grpc.mjs delete greeting [--if-version 8]
//   node examples/generic-grpc.mjs watch greeting      # Ctrl-C to stop
//   node examples/generic-grpc.mjs events greeting     # Ctrl-C to stop
//
// The node is MULTIRAFT_ADDRESS or localhost:5678. Exit code 1 on a gRPC error, printed as
// `CODE: details`.

import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import * as loader from '@grpc/proto-loader';

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: { 'ttl-ms': { type: 'string' }, 'if-version': { type: 'string' } },
});
const [command, name, value] = positionals;
if (command === undefined || name === undefined) {
  console.error('usage: generic-grpc.mjs set|get|update|delete|watch|events NAME [VALUE]');
  process.exit(2);
}

const protoDir = fileURLToPath(new URL('../proto/', import.meta.url));
const definition = loader.loadSync('multiraft/v1/atomic_value.proto', {
  includeDirs: [protoDir],
  longs: String,
  defaults: true,
  oneofs: true,
});
const { multiraft } = grpc.loadPackageDefinition(definition);
const address = process.env.MULTIRAFT_ADDRESS || 'localhost:5678';
const client = new multiraft.v1.AtomicValue(address, grpc.credentials.createInsecure());

const show = (v) => (v ? `${v.value.toString()} (version ${v.version})` : '(no value)');
const ttl = flags['ttl-ms'] && {
  seconds: Math.floor(flags['ttl-ms'] / 1000),
  nanos: (flags['ttl-ms'] % 1000) * 1e6,
};
const prevVersion = flags['if-version'] ?? '0';

function unary(method, request, print) {
  client[method](request, { deadline: Date.now() + 10_000 }, (error, response) => {
    if (error) {
      console.error(`${grpc.status[error.code]}: ${error.details}`);
      process.exitCode = 1;
    } else {
      console.log(print(response));
    }
    client.close();
  });
}

function stream(call, print) {
  call.on('data', (item) => console.log(print(item)));
  call.on('error', (error) => {
    if (error.code !== grpc.status.CANCELLED) {
      console.error(`${grpc.status[error.code]}: ${error.details}`);
      process.exitCode = 1;
    }
  });
  process.once('SIGINT', () => call.cancel());
}

switch (command) {
  case 'set':
    unary('Set', { name, value: Buffer.from(value ?? ''), ttl }, (r) => `version ${r.version}`);
    break;
  case 'get':
    unary('Get', { name }, (r) => show(r.value));
    break;
  case 'update':
    unary(
      'Update',
      { name, value: Buffer.from(value ?? ''), prevVersion, ttl },
      (r) => `version ${r.version}, was ${show(r.prevValue)}`,
    );
    break;
  case 'delete':
    unary('Delete', { name, prevVersion }, (r) => `deleted ${show(r.value)}`);
    break;
  case 'watch':
    stream(client.Watch({ name }), (r) => show(r.value));
    break;
  case 'events':
    stream(client.Events({ name }), ({ event }) => {
      const kind = event.event;
      const e = event[kind];
      return `${kind} ${show(e.value)}${e.expired ? ' (expired)' : ''}`;
    });
    break;
  default:
    console.error(`unknown command ${command}`);
    process.exit(2);
}
