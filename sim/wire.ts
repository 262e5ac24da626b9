// What travels on the simulated network: Raft messages between nodes, and the calls and replies
// between clients and nodes. Objects are passed by reference (the simulator runs in one process);
// the real transport and partition protocol encode the same contents.

import type { PartitionId } from '../src/common/index.js';
import type { PartitionInput } from '../src/gen/atomix/multiraft/v1/fsm_pb.js';
import type { QueryInput } from '../src/gen/multiraft/v1/output_pb.js';
import type { Message } from '../src/raft/index.js';
import type { CallReply } from '../src/session/index.js';

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
  | CallReply;
