// The primitives' public face: every ServiceType the host registers with the fsm. The fsm imports
// no primitive; a new primitive adds its type to `primitiveTypes` and touches no partition code.

import type { ServiceType } from '../fsm/index.js';
import { AtomicValueType } from './atomic-value/index.js';

export { AtomicValue, AtomicValueType, atomicValueService } from './atomic-value/index.js';

/** The registry list: one ServiceType per primitive, keyed by its distinct service string. */
export const primitiveTypes: readonly ServiceType[] = [AtomicValueType];
