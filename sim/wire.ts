// What travels on the simulated network: Raft messages between nodes, and the calls and replies
// between clients and nodes. Objects are passed by reference (the simulator runs in one process);
// the real transport and partition protocol encode the same contents.

import type { PartitionId } from '../src/common/index.js';
import type { ServiceResult } from '../src/fsm/index.js';
import type { PartitionInput } from '../src/gen/atomix/multiraft/v1/fsm_pb.js';
import type { CommandOutput, QueryInput } from '../src/gen/multiraft/v1/output_pb.js';
import type { Message } from '../src/raft/index.js';

export type Wire =
  | { readonly kind: 'raft'; readonly partition: PartitionId; readonly message: Message }
  | {
      readonly kind: 'propose';
      readonly call: number;
      readonly partition: PartitionId;
      readonly input: PartitionInput;
    }
  | {
      readonly kind: 'query';
      readonly call: number;
      readonly partition: PartitionId;
      readonly input: QueryInput;
    }
  | { readonly kind: 'output'; readonly call: number; readonly output: CommandOutput }
  | {
      readonly kind: 'result';
      readonly call: number;
      readonly result: ServiceResult;
      readonly index: number;
    }
  | { readonly kind: 'end'; readonly call: number }
  | {
      readonly kind: 'error';
      readonly call: number;
      readonly code: string;
      readonly leaderHint: number;
      /** The call certainly did not happen. */
      readonly safeToRetry: boolean;
    };
