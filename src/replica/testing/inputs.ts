// Inputs and decoders for tests that drive AtomicValue commands and queries through replicas or
// hosts directly (the simulator and the SDK go through src/session instead).

import { create } from '@bufbuild/protobuf';
import { sessionInput } from '../../fsm/testing/driver.js';
import {
  CreateServiceInputSchema,
  OpenSessionInputSchema,
  ServiceInputSchema,
} from '../../gen/atomix/multiraft/v1/fsm_pb.js';
import {
  type CommandOutput,
  type QueryInput,
  QueryInputSchema,
  Status,
} from '../../gen/multiraft/v1/output_pb.js';
import { atomicValueService } from '../../primitives/index.js';
import { decode, wire } from '../../primitives/testing/atomic-value-wire.js';
import { partitionInput } from './cluster.js';

export const openSession = (timeoutMs = 10_000) =>
  partitionInput({
    case: 'openSession',
    value: create(OpenSessionInputSchema, { timeoutMs: BigInt(timeoutMs) }),
  });

export const command = (session: number, seq: number, body: Parameters<typeof sessionInput>[2]) =>
  partitionInput(sessionInput(session, seq, body));

export const createValue = (session: number, seq: number, name = 'v') =>
  command(session, seq, {
    case: 'createService',
    value: create(CreateServiceInputSchema, { service: atomicValueService, name }),
  });

export const callValue = (session: number, seq: number, service: number, payload: Uint8Array) =>
  command(session, seq, {
    case: 'serviceInput',
    value: create(ServiceInputSchema, { serviceId: BigInt(service), payload }),
  });

export const getByName = (name = 'v'): QueryInput =>
  create(QueryInputSchema, {
    target: { case: 'primitive', value: { service: atomicValueService, namespace: '', name } },
    payload: wire.get(),
  });

/** Decodes a command output's service payload the way the AtomicValue tests do. */
export function valueResult(output: CommandOutput) {
  if (output.status !== Status.OK) return { status: Status[output.status] };
  const session = output.output?.output;
  if (session?.case !== 'sessionOutput') throw new Error('not a session output');
  const service = session.value.output;
  if (service.case !== 'serviceOutput') throw new Error('not a service output');
  return decode({ status: Status.OK, payload: service.value.payload });
}
