// The read path: queries never enter the log. They run on the applied state, by service id or by
// primitive name; a name that does not exist answers NOT_FOUND and creates nothing. Session 0 is
// anonymous; any other session must be open (SESSION_EXPIRED otherwise). A query does not need
// the session to be attached to the service.

import { AssertionError, safeNumber } from '../common/index.js';
import type { QueryInput } from '../gen/multiraft/v1/output_pb.js';
import { Status } from '../gen/multiraft/v1/output_pb.js';
import type { ErrorStatus } from './errors.js';
import type { PartitionState } from './partition-state.js';
import type { QuerySink } from './service.js';
import { defaultNamespace, type ServiceEntry } from './service-table.js';

export function runQuery(state: PartitionState, input: QueryInput, sink: QuerySink): void {
  const found = findTarget(state, input);
  if ('status' in found) {
    sink.next({ status: found.status, message: found.message });
    sink.end();
    return;
  }
  try {
    found.instance.query(input.payload, sink);
  } catch (error) {
    // Node-local: a throwing primitive fails this query only (assertions still stop the process).
    if (error instanceof AssertionError) throw error;
    sink.next({
      status: Status.INTERNAL,
      message: `${found.type.service} failed: ${String(error)}`,
    });
    sink.end();
  }
}

type Failure = { readonly status: ErrorStatus; readonly message: string };

function findTarget(state: PartitionState, input: QueryInput): ServiceEntry | Failure {
  const session = safeNumber(input.sessionId);
  if (session === undefined) return { status: Status.INVALID, message: 'session_id out of range' };
  if (session !== 0 && !state.sessions.has(session)) {
    return { status: Status.SESSION_EXPIRED, message: 'unknown or expired session' };
  }
  const target = input.target;
  switch (target.case) {
    case 'serviceId': {
      const id = safeNumber(target.value);
      if (id === undefined) return { status: Status.INVALID, message: 'service_id out of range' };
      return state.services.get(id) ?? { status: Status.NOT_FOUND, message: `no service ${id}` };
    }
    case 'primitive': {
      const { service, name } = target.value;
      const namespace = target.value.namespace || defaultNamespace;
      const entry = state.services.find(namespace, name);
      if (entry === undefined) {
        return { status: Status.NOT_FOUND, message: `no primitive '${namespace}/${name}'` };
      }
      if (entry.type.service !== service) {
        return {
          status: Status.FORBIDDEN,
          message: `'${namespace}/${name}' is a ${entry.type.service}`,
        };
      }
      return entry;
    }
    case undefined:
      return { status: Status.INVALID, message: 'query names no service' };
  }
}
