// The linearizability checker for AtomicValue histories (DESIGN §8, docs/linearizability.md).

export { Bitset } from './bitset.js';
export {
  type CheckOptions,
  type CheckResult,
  type CheckStats,
  checkHistory,
  stepsMaxPerKeyDefault,
} from './checker.js';
export { describeOp, type Witness } from './explain.js';
export {
  type CurrentValue,
  type ErrorCode,
  errorCodes,
  formatHistory,
  HistoryFormatError,
  type HistoryOp,
  type OpInput,
  type OpOutput,
  parseHistory,
  parseOp,
} from './history.js';
export { HistoryRecorder, type InvokeArgs, type OpHandle } from './recorder.js';
