// Session commands (SessionInput): exactly-once admission, then create, close or call a service.
//
// Admission of (session, seq), in order: an unknown session answers SESSION_EXPIRED; a retired
// number answers STALE; a number with a record replays the record's cached outputs; a new number
// beyond commandsPerSessionMax records answers RESOURCE_EXHAUSTED; otherwise the command executes
// once and every output it produces (errors included) is cached in its record.

import { create } from '@bufbuild/protobuf';
import { AssertionError, noBytes, safeNumber } from '../common/index.js';
import {
  type CloseServiceInput,
  CloseServiceInputSchema,
  CloseServiceOutputSchema,
  type CreateServiceInput,
  CreateServiceInputSchema,
  CreateServiceOutputSchema,
  type ServiceInput,
  type SessionInput,
} from '../gen/atomix/multiraft/v1/fsm_pb.js';
import { Status } from '../gen/multiraft/v1/output_pb.js';
import { CommandPhase } from '../gen/multiraft/v1/snapshot_pb.js';
import { errorOutput } from './outputs.js';
import { type PartitionState, streamIdOf } from './partition-state.js';
import type { ServiceResult, StreamId } from './service.js';
import { defaultNamespace, type ServiceEntry } from './service-table.js';
import type { CommandRecord, Session } from './session.js';

export function applySessionInput(state: PartitionState, input: SessionInput): void {
  const id = safeNumber(input.sessionId);
  const seq = safeNumber(input.sequenceNum);
  if (id === undefined || seq === undefined || id === 0 || seq === 0) {
    const at = { index: state.index, outputSeq: 1, done: true };
    const msg = 'session_id and sequence_num must be in 1 .. 2^53 - 1';
    state.answerEntry(errorOutput(at, Status.INVALID, msg));
    return;
  }
  const session = state.sessions.get(id);
  if (session === undefined) {
    state.answerCommand(id, seq, Status.SESSION_EXPIRED, 'unknown or expired session');
    return;
  }
  if (session.retired.has(seq)) {
    state.answerCommand(id, seq, Status.STALE, `sequence number ${seq} is retired`);
    return;
  }
  const cached = session.records.get(seq);
  if (cached !== undefined) {
    for (const output of cached.outputs) state.routeCommand(id, seq, output);
    return;
  }
  if (input.input.case === undefined) {
    state.answerCommand(id, seq, Status.INVALID, 'empty SessionInput');
    return;
  }
  if (session.records.size >= state.config.commandsPerSessionMax) {
    const msg = `${session.records.size} commands await retirement`;
    state.answerCommand(id, seq, Status.RESOURCE_EXHAUSTED, msg);
    return;
  }
  execute(state, session, seq, input);
}

function execute(state: PartitionState, session: Session, seq: number, input: SessionInput): void {
  const record: CommandRecord = {
    seq,
    phase: CommandPhase.RUNNING,
    input: recordedInput(input),
    serviceId: runningServiceId(input),
    outputs: [],
    lastOutputSeq: 0,
  };
  session.records.set(seq, record);
  const body = input.input;
  switch (body.case) {
    case 'createService':
      createService(state, session, record, body.value);
      return;
    case 'closeService':
      closeService(state, session, record, body.value);
      return;
    case 'serviceInput':
      callService(state, session, record, body.value);
      return;
    case undefined:
      state.addOutput(session, record, invalid('empty SessionInput'), true);
      return;
  }
}

/**
 * The input kept in the record, rebuilt field by field: no payload (the outputs are what replays
 * need) and no unknown fields from the wire.
 */
function recordedInput(input: SessionInput): SessionInput {
  const body = input.input;
  let kept: SessionInput['input'] = { case: undefined };
  if (body.case === 'serviceInput') {
    // A literal, not `create()`: this runs for every command on every replica (fsm/outputs.ts).
    const value: ServiceInput = {
      $typeName: 'atomix.multiraft.v1.ServiceInput',
      serviceId: body.value.serviceId,
      payload: noBytes,
    };
    kept = { case: 'serviceInput', value };
  } else if (body.case === 'closeService') {
    const value = create(CloseServiceInputSchema, { serviceId: body.value.serviceId });
    kept = { case: 'closeService', value };
  } else if (body.case === 'createService') {
    const { service, namespace, name } = body.value;
    kept = {
      case: 'createService',
      value: create(CreateServiceInputSchema, { service, namespace, name }),
    };
  }
  return {
    $typeName: 'atomix.multiraft.v1.SessionInput',
    sessionId: input.sessionId,
    sequenceNum: input.sequenceNum,
    input: kept,
  };
}

function runningServiceId(input: SessionInput): number {
  if (input.input.case !== 'serviceInput') return 0;
  return safeNumber(input.input.value.serviceId) ?? 0;
}

const encoder = new TextEncoder();
const utf8Bytes = (text: string): number => encoder.encode(text).length;

const invalid = (message: string): ServiceResult => ({ status: Status.INVALID, message });

function createService(
  state: PartitionState,
  session: Session,
  record: CommandRecord,
  input: CreateServiceInput,
): void {
  let found: ServiceEntry | undefined;
  const reply = (result: ServiceResult) =>
    state.addOutput(session, record, result, true, () => ({
      case: 'createService',
      value: create(CreateServiceOutputSchema, { serviceId: BigInt(found?.id ?? 0) }),
    }));
  const namespace = input.namespace || defaultNamespace;
  const { nameBytesMax, servicesMax } = state.config;
  if (
    input.name === '' ||
    utf8Bytes(input.name) > nameBytesMax ||
    utf8Bytes(namespace) > nameBytesMax
  ) {
    reply(invalid(`name must be 1..${nameBytesMax} UTF-8 bytes, namespace at most that`));
    return;
  }
  const type = state.config.types.find((t) => t.service === input.service);
  if (type === undefined) {
    reply(forbidden(`unknown service type '${input.service}'`));
    return;
  }
  found = state.services.find(namespace, input.name);
  if (found !== undefined && found.type.service !== type.service) {
    reply(forbidden(`'${namespace}/${input.name}' is a ${found.type.service}`));
    return;
  }
  if (found === undefined) {
    if (state.services.size >= servicesMax) {
      reply({ status: Status.RESOURCE_EXHAUSTED, message: `${servicesMax} services exist` });
      return;
    }
    found = createEntry(state, type, namespace, input.name);
  }
  found.sessions.add(session.id);
  session.services.add(found.id);
  reply({ status: Status.OK, payload: noBytes });
}

function createEntry(
  state: PartitionState,
  type: ServiceEntry['type'],
  namespace: string,
  name: string,
): ServiceEntry {
  const id = state.index;
  const instance = type.create(state.hostFor(id, namespace, name));
  const entry: ServiceEntry = { id, type, namespace, name, sessions: new Set(), instance };
  state.services.add(entry);
  return entry;
}

const forbidden = (message: string): ServiceResult => ({ status: Status.FORBIDDEN, message });

/** Detaches the session from the service, cancelling its streams on it. Idempotent. */
function closeService(
  state: PartitionState,
  session: Session,
  record: CommandRecord,
  input: CloseServiceInput,
): void {
  const reply = (result: ServiceResult) =>
    state.addOutput(session, record, result, true, () => ({
      case: 'closeService',
      value: create(CloseServiceOutputSchema),
    }));
  const id = safeNumber(input.serviceId);
  if (id === undefined) {
    reply(invalid('service_id out of range'));
    return;
  }
  const service = state.services.get(id);
  if (service === undefined) {
    reply({ status: Status.NOT_FOUND, message: `no service ${id}` });
    return;
  }
  for (const other of session.sortedRecords()) {
    if (other.phase === CommandPhase.RUNNING && other.serviceId === id && other !== record) {
      state.cancelStream(session, other, Status.CANCELED, 'service closed by the session');
    }
  }
  service.sessions.delete(session.id);
  session.services.delete(id);
  reply({ status: Status.OK, payload: noBytes });
}

/**
 * A primitive that throws (other than a failed assertion, which stops the process) answers
 * INTERNAL: every replica throws the same way, so they stay identical and the partition lives on.
 */
function runCommand(service: ServiceEntry, payload: Uint8Array, caller: StreamId) {
  try {
    return service.instance.command(payload, caller);
  } catch (error) {
    if (error instanceof AssertionError) throw error;
    return {
      status: Status.INTERNAL,
      message: `${service.type.service} failed: ${String(error)}`,
    } as const;
  }
}

function callService(
  state: PartitionState,
  session: Session,
  record: CommandRecord,
  input: ServiceInput,
): void {
  const id = safeNumber(input.serviceId);
  if (id === undefined) {
    state.addOutput(session, record, invalid('service_id out of range'), true);
    return;
  }
  const service = state.services.get(id);
  if (service === undefined) {
    const result: ServiceResult = { status: Status.NOT_FOUND, message: `no service ${id}` };
    state.addOutput(session, record, result, true);
    return;
  }
  if (!service.sessions.has(session.id)) {
    const result = forbidden(`session ${session.id} is not attached to service ${id}`);
    state.addOutput(session, record, result, true);
    return;
  }
  const result = runCommand(service, input.payload, streamIdOf(session.id, record.seq));
  if (!('stream' in result)) {
    state.addOutput(session, record, result, true);
    return;
  }
  const failed = result.first.status !== Status.OK;
  state.addOutput(session, record, result.first, failed);
  // A stream whose first output is an error never starts: the service is told it is closed.
  if (failed) service.instance.streamClosed(streamIdOf(session.id, record.seq));
}
