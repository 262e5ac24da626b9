// Always-on assertions of invariants. A failed assertion is a bug: it throws an AssertionError that
// nothing in the project catches, so the process stops instead of running on corrupt state.

export class AssertionError extends Error {
  override readonly name = 'AssertionError';
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

export function unreachable(value: never, message = 'unreachable'): never {
  throw new AssertionError(`${message}: ${String(value)}`);
}
