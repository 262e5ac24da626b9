// The AtomicValue primitive's public face: its ServiceType (what the host registers with the fsm)
// and the names other layers need (service string, timer tag).

import type { ServiceHost, ServiceType } from '../../fsm/index.js';
import { AtomicValue, atomicValueService } from './atomic-value.js';
import { decodeSnapshot } from './snapshot.js';

export { AtomicValue, atomicValueService, expiryTimerTag } from './atomic-value.js';

export const AtomicValueType: ServiceType = {
  service: atomicValueService,
  create: (host: ServiceHost) => new AtomicValue(host),
  restore: (host: ServiceHost, state: Uint8Array) => new AtomicValue(host, decodeSnapshot(state)),
};
