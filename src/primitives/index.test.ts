import { describe, expect, it } from 'vitest';
import { AtomicValueType, atomicValueService, primitiveTypes } from './index.js';

describe('primitive registry', () => {
  it('lists every primitive type once, keyed by its service string', () => {
    expect(primitiveTypes).toContain(AtomicValueType);
    expect(AtomicValueType.service).toBe('atomix.multiraft.atomic.value.v1.AtomicValue');
    expect(atomicValueService).toBe(AtomicValueType.service);
    const names = primitiveTypes.map((t) => t.service);
    expect(new Set(names).size).toBe(names.length);
  });
});
