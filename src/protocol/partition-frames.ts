// Partition/Stream as the SDK calls it and the node serves it: the service of partition.proto with
// its messages seen as frames of encoded calls and replies (partition_frames.proto). The path and
// the bytes on the wire are the same; each call and reply goes through the hand codecs.

import type { DescMethodBiDiStreaming } from '@bufbuild/protobuf';
import type { GenService } from '@bufbuild/protobuf/codegenv2';
import {
  PartitionRequestFrameSchema,
  PartitionResponseFrameSchema,
} from '../gen/multiraft/v1/partition_frames_pb.js';
import { Partition } from '../gen/multiraft/v1/partition_pb.js';

type Frames = {
  stream: {
    methodKind: 'bidi_streaming';
    input: typeof PartitionRequestFrameSchema;
    output: typeof PartitionResponseFrameSchema;
  };
};

const stream: DescMethodBiDiStreaming<
  typeof PartitionRequestFrameSchema,
  typeof PartitionResponseFrameSchema
> = {
  // The parent stays multiraft.v1.Partition: connect-es builds the path from it.
  ...Partition.method.stream,
  methodKind: 'bidi_streaming',
  input: PartitionRequestFrameSchema,
  output: PartitionResponseFrameSchema,
};

export const PartitionFrames: GenService<Frames> = {
  ...Partition,
  methods: [stream],
  method: { stream },
};
