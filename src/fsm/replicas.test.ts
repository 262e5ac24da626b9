import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ApplyOutput } from './outputs.js';
import type { PartitionStateMachine } from './partition-state-machine.js';
import { Driver, show } from './testing/driver.js';
import { runWorkload, type Step } from './testing/workload.js';

const step = fc.tuple(fc.nat(40), fc.nat(20), fc.nat(20), fc.nat(1 << 16)) as fc.Arbitrary<Step>;
const steps = fc.array(step, { minLength: 1, maxLength: 80 });

const replica = (): PartitionStateMachine => new Driver().fsm;

const replay = (fsm: PartitionStateMachine, log: Driver['log']): ApplyOutput[][] =>
  log.map((entry) => fsm.apply(entry));

describe('replicas', () => {
  it('two replicas fed the same entries give identical outputs and byte-identical snapshots', () => {
    fc.assert(
      fc.property(steps, (workload) => {
        const leader = runWorkload(workload);
        const a = replica();
        const b = replica();
        const outA = replay(a, leader.log);
        const outB = replay(b, leader.log);
        expect(outA.map(show)).toEqual(outB.map(show));
        expect(outA).toEqual(outB);
        expect(a.snapshot()).toEqual(b.snapshot());
        expect(a.snapshot()).toEqual(leader.fsm.snapshot());
        expect(a.nextDeadline()).toEqual(b.nextDeadline());
      }),
      { numRuns: 150 },
    );
  });

  it('snapshot → restore → continue equals continuing without the snapshot', () => {
    fc.assert(
      fc.property(steps, fc.nat(), (workload, cut) => {
        const leader = runWorkload(workload);
        const at = cut % (leader.log.length + 1);
        const straight = replica();
        replay(straight, leader.log.slice(0, at));
        const restored = replica();
        const snapshot = straight.snapshot();
        restored.restore(snapshot);
        expect(restored.snapshot()).toEqual(snapshot);
        expect(restored.nextDeadline()).toEqual(straight.nextDeadline());
        const rest = leader.log.slice(at);
        expect(replay(restored, rest)).toEqual(replay(straight, rest));
        expect(restored.snapshot()).toEqual(straight.snapshot());
      }),
      { numRuns: 150 },
    );
  });

  it('hopping through fresh replicas by snapshot every few entries changes nothing', () => {
    fc.assert(
      fc.property(steps, fc.integer({ min: 1, max: 10 }), (workload, every) => {
        const leader = runWorkload(workload);
        let hopping = replica();
        const outputs: ApplyOutput[][] = [];
        leader.log.forEach((entry, i) => {
          if (i % every === 0) {
            const next = replica();
            next.restore(hopping.snapshot());
            hopping = next;
          }
          outputs.push(hopping.apply(entry));
        });
        expect(outputs).toEqual(replay(replica(), leader.log));
        expect(hopping.snapshot()).toEqual(leader.fsm.snapshot());
      }),
      { numRuns: 60 },
    );
  });
});
