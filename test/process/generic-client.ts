// A standard gRPC client that shares no code with multiraft: @grpc/grpc-js with @grpc/proto-loader
// reading the .proto files the package ships, as a user of any other language would generate one.
// Errors keep their gRPC code and the Value the status details carry (google.rpc.Status in
// grpc-status-details-bin), decoded with protobufjs.

import * as grpc from '@grpc/grpc-js';
import * as loader from '@grpc/proto-loader';
import protobuf from 'protobufjs';

const protoDir = new URL('../../proto/', import.meta.url).pathname;

const definition = loader.loadSync('multiraft/v1/atomic_value.proto', {
  includeDirs: [protoDir],
  longs: String,
  defaults: true,
  oneofs: true,
});
// biome-ignore lint/suspicious/noExplicitAny: proto-loader's packages are untyped by design.
const packages = grpc.loadPackageDefinition(definition) as any;

const detailTypes = protobuf.Root.fromJSON({
  nested: {
    google: {
      nested: {
        rpc: {
          nested: {
            Status: {
              fields: {
                code: { type: 'int32', id: 1 },
                message: { type: 'string', id: 2 },
                details: { rule: 'repeated', type: 'google.protobuf.Any', id: 3 },
              },
            },
          },
        },
        protobuf: {
          nested: {
            Any: {
              fields: { type_url: { type: 'string', id: 1 }, value: { type: 'bytes', id: 2 } },
            },
          },
        },
      },
    },
  },
});
const valueType = protobuf
  .loadSync(`${protoDir}/multiraft/v1/atomic_value.proto`)
  .lookupType('multiraft.v1.Value');

export interface GenericValue {
  readonly value: Buffer;
  /** uint64 as a decimal string (proto-loader's `longs: String`). */
  readonly version: string;
}

export class GrpcCallError extends Error {
  constructor(
    readonly code: grpc.status,
    readonly details: string,
    /** The Value the status details carry (ABORTED, ALREADY_EXISTS). */
    readonly current: { value: Uint8Array; version: string } | undefined,
  ) {
    super(`${grpc.status[code]}: ${details}`);
  }
}

export class GenericClient {
  // biome-ignore lint/suspicious/noExplicitAny: the generated stub is untyped.
  readonly stub: any;

  constructor(address: string, credentials = grpc.credentials.createInsecure()) {
    this.stub = new packages.multiraft.v1.AtomicValue(address, credentials, {
      'grpc.max_send_message_length': 64 * 1024 * 1024,
    });
  }

  /** A unary call; rejects with GrpcCallError. */
  unary<T = Record<string, unknown>>(
    method: 'Set' | 'Update' | 'Get' | 'Delete',
    request: object,
    deadlineMs = 15_000,
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      this.stub[method](
        request,
        { deadline: Date.now() + deadlineMs },
        (error: grpc.ServiceError | null, response: T) => {
          if (error === null) return resolve(response);
          reject(new GrpcCallError(error.code, error.details, currentOf(error.metadata)));
        },
      );
    });
  }

  close(): void {
    this.stub.close();
  }
}

function currentOf(metadata: grpc.Metadata | undefined) {
  const bin = metadata?.get('grpc-status-details-bin')[0];
  if (!(bin instanceof Buffer)) return undefined;
  const status = detailTypes.lookupType('google.rpc.Status').decode(bin) as unknown as {
    details: { type_url: string; value: Uint8Array }[];
  };
  const detail = status.details.find((d) => d.type_url.endsWith('/multiraft.v1.Value'));
  if (detail === undefined) return undefined;
  const value = valueType.toObject(valueType.decode(detail.value), { longs: String }) as {
    value?: Uint8Array;
    version?: string;
  };
  return { value: value.value ?? new Uint8Array(), version: value.version ?? '0' };
}

/** What a server stream delivered, and how it ended. */
export class StreamRecorder<T> {
  readonly items: T[] = [];
  headers = false;
  ended: { readonly code: grpc.status; readonly details: string } | undefined;

  constructor(readonly call: grpc.ClientReadableStream<T>) {
    call.on('metadata', () => {
      this.headers = true;
    });
    call.on('data', (item: T) => this.items.push(item));
    call.on('error', (error: grpc.ServiceError) => {
      this.ended ??= { code: error.code, details: error.details };
    });
    call.on('status', (status: grpc.StatusObject) => {
      this.ended ??= { code: status.code, details: status.details };
    });
  }
}
