import { expect, test } from 'vitest';
import {
  AbortedError,
  AlreadyExistsError,
  ClosedError,
  ConflictError,
  InvalidArgumentError,
  NotFoundError,
  SessionExpiredError,
  StreamOverflowError,
  TimeoutError,
  UnavailableError,
  ValueDecodeError,
} from '../client/index.js';
import { clientExitCodes as codes, errorLine, exitCodeOf } from './client-exit-codes.js';

test('each error class has its exit code; an unknown outcome is told apart from a safe retry', () => {
  const current = { value: 'v', version: 3 };
  const cases = [
    [new NotFoundError('default/x'), codes.notFound],
    [new ConflictError('default/x', 2, current), codes.conflict],
    [new AlreadyExistsError('default/x', current), codes.conflict],
    [new InvalidArgumentError('bad'), codes.usage],
    [new UnavailableError('no leader'), codes.unavailable],
    [new TimeoutError(10, false), codes.unavailable],
    [new StreamOverflowError(10), codes.unavailable],
    [new ClosedError(false), codes.unavailable],
    [new TimeoutError(10, true), codes.outcomeUnknown],
    [new AbortedError(true, undefined), codes.outcomeUnknown],
    [new SessionExpiredError(true), codes.outcomeUnknown],
    [new ValueDecodeError('default/x', new TypeError('not UTF-8')), codes.unexpected],
  ] as const;
  for (const [error, code] of cases)
    expect([error.name, exitCodeOf(error)]).toEqual([error.name, code]);
  expect(errorLine(new NotFoundError('default/x'))).toBe('NOT_FOUND: default/x has no value');
});
