// The partition state machine's configuration: the registry of service types and every limit,
// each with what happens when it is reached (TigerBeetle style: nothing grows without bound).

import { assert } from '../common/index.js';
import type { ServiceLimits, ServiceType } from './service.js';

export interface PartitionConfig {
  /** The service types this partition can create, keyed by their service string. */
  readonly types: readonly ServiceType[];
  /** Session timeout when the open input says 0. Default 30 s. */
  readonly sessionTimeoutMsDefault: number;
  /** Largest session timeout an open may ask for (INVALID above). Default 24 h. */
  readonly sessionTimeoutMsMax: number;
  /** Open sessions per partition (RESOURCE_EXHAUSTED on open beyond). Default 65,536. */
  readonly sessionsMax: number;
  /** Services per partition (RESOURCE_EXHAUSTED on create beyond). Default 65,536. */
  readonly servicesMax: number;
  /**
   * Unacknowledged outputs of a running stream; the next output cancels the stream with a final
   * RESOURCE_EXHAUSTED output instead. Default 1,024.
   */
  readonly eventsUnackedMax: number;
  /**
   * Cached command records per session (RESOURCE_EXHAUSTED, not cached, for a new number beyond;
   * keep-alives free records by retiring them). Default 4,096.
   */
  readonly commandsPerSessionMax: number;
  /**
   * Numbers a keep-alive examines for retirement (the gaps first, then upward to L); the rest
   * wait for the next keep-alive. Retiring later is always safe. Default 65,536.
   */
  readonly retireScanMax: number;
  /**
   * Runs of retired numbers above a session's watermark (each run is a range; gaps between runs
   * are numbers that stayed pending). A keep-alive stops retiring when the session has this many;
   * its records then wait, and new numbers hit commandsPerSessionMax. Default 4,096.
   */
  readonly retiredRunsMax: number;
  /** Longest namespace or name in UTF-8 bytes (INVALID beyond). Default 256. */
  readonly nameBytesMax: number;
  /** Timers fired before one entry; the rest fire before the next entry. Default 65,536. */
  readonly timersPerEntryMax: number;
  readonly limits: ServiceLimits;
}

export const defaultServiceLimits: ServiceLimits = {
  valueBytesMax: 1024 * 1024,
  ttlMsMax: 10 * 365 * 24 * 60 * 60 * 1000,
};

export const defaultPartitionConfig: Omit<PartitionConfig, 'types'> = {
  sessionTimeoutMsDefault: 30_000,
  sessionTimeoutMsMax: 24 * 60 * 60 * 1000,
  sessionsMax: 65_536,
  servicesMax: 65_536,
  eventsUnackedMax: 1024,
  commandsPerSessionMax: 4096,
  retireScanMax: 65_536,
  retiredRunsMax: 4096,
  nameBytesMax: 256,
  timersPerEntryMax: 65_536,
  limits: defaultServiceLimits,
};

export type PartitionConfigInput = Partial<PartitionConfig> & Pick<PartitionConfig, 'types'>;

export function resolveConfig(input: PartitionConfigInput): PartitionConfig {
  const config: PartitionConfig = { ...defaultPartitionConfig, ...input };
  for (const [key, value] of Object.entries(config)) {
    if (typeof value === 'number') {
      assert(Number.isSafeInteger(value) && value >= 1, `config ${key} is a positive integer`);
    }
  }
  assert(config.sessionTimeoutMsDefault <= config.sessionTimeoutMsMax, 'default timeout ≤ max');
  // Deadlines are time (≤ 2^52) + a timeout or TTL (≤ 2^52): always a safe integer.
  assert(config.sessionTimeoutMsMax <= 2 ** 52, 'sessionTimeoutMsMax ≤ 2^52');
  assert(config.limits.ttlMsMax <= 2 ** 52, 'ttlMsMax ≤ 2^52');
  const names = new Set(config.types.map((t) => t.service));
  assert(names.size === config.types.length, 'service types are registered once each');
  return config;
}
