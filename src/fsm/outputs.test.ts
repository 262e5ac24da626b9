import { describe, expect, it } from 'vitest';
import { Status } from '../gen/multiraft/v1/output_pb.js';
import { SessionOutputs } from './outputs.js';
import { serviceOk } from './partition-state.js';
import type { ServiceResult } from './service.js';

const ok = (byte: number): ServiceResult => ({
  status: Status.OK,
  payload: new Uint8Array([byte]),
});
const payloadOf = (o: ReturnType<SessionOutputs['of']>) => {
  const session = o.output?.output;
  if (session?.case !== 'sessionOutput') return undefined;
  const inner = session.value.output;
  return inner.case === 'serviceOutput' ? [...inner.value.payload] : undefined;
};

describe('SessionOutputs', () => {
  it('outputs of one result to many streams share the wrapping, each with its own numbers', () => {
    const outputs = new SessionOutputs();
    const change = ok(7);
    const a = outputs.of({ index: 9, outputSeq: 3, done: false }, change, serviceOk);
    const b = outputs.of({ index: 9, outputSeq: 1, done: true }, change, serviceOk);
    expect(b.output).toBe(a.output);
    expect([a.sequenceNum, a.done, b.sequenceNum, b.done]).toEqual([3n, false, 1n, true]);
    expect(payloadOf(a)).toEqual([7]);
  });

  it('another result, or another wrap of it, gets a wrapping of its own', () => {
    const outputs = new SessionOutputs();
    const at = { index: 9, outputSeq: 1, done: false };
    const first = outputs.of(at, ok(1), serviceOk);
    const second = outputs.of(at, ok(2), serviceOk);
    expect(second.output).not.toBe(first.output);
    expect([payloadOf(first), payloadOf(second)]).toEqual([[1], [2]]);
    const change = ok(3);
    const plain = outputs.of(at, change, serviceOk);
    const closed = { $typeName: 'atomix.multiraft.v1.CloseServiceOutput' } as const;
    const wrapped = outputs.of(at, change, () => ({ case: 'closeService', value: closed }));
    expect(wrapped.output).not.toBe(plain.output);
    expect(
      wrapped.output?.output.case === 'sessionOutput' && wrapped.output.output.value.output.case,
    ).toBe('closeService');
  });

  it('an error result carries its status and no output', () => {
    const outputs = new SessionOutputs();
    const o = outputs.of(
      { index: 2, outputSeq: 1, done: true },
      { status: Status.CONFLICT, message: 'no' },
      serviceOk,
    );
    expect([o.status, o.message, o.output]).toEqual([Status.CONFLICT, 'no', undefined]);
  });
});
