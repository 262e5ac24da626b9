import { describe, expect, it } from 'vitest';
import { InvalidSnapshotError, Status, statusName } from './errors.js';

describe('errors', () => {
  it('names statuses as DESIGN §3 writes them', () => {
    expect(statusName(Status.SESSION_EXPIRED)).toBe('SESSION_EXPIRED');
    expect(statusName(Status.CANCELED)).toBe('CANCELED');
    expect(statusName(99 as Status)).toBe('STATUS_99');
  });

  it('InvalidSnapshotError carries a code and a cause', () => {
    const cause = new Error('inner');
    const error = new InvalidSnapshotError('bad', { cause });
    expect(error.code).toBe('INVALID_SNAPSHOT');
    expect(error.cause).toBe(cause);
    expect(error.safeToRetry).toBe(true);
    expect(error).toBeInstanceOf(Error);
  });
});
