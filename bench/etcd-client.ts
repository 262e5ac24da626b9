// The benchmark's etcd client: etcd's own gRPC API (KV Range/Put/Txn, Watch) through @grpc/grpc-js,
// from the subset of etcd's protos in bench/etcd-proto/. Like clientv3 with several endpoints, one
// channel balances calls round-robin over every member; followers forward writes to the leader.
// Reads are linearizable (RangeRequest.serializable left false, etcd's default).

import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const protoDir = new URL('./etcd-proto/', import.meta.url).pathname;
const callTimeoutMs = 30_000;

interface KeyValue {
  key: Buffer;
  mod_revision: number;
  value: Buffer;
}
interface Header {
  revision: number;
}
interface RangeResponse {
  header: Header;
  kvs: KeyValue[];
}
interface TxnResponse {
  header: Header;
  succeeded: boolean;
  responses: { response_range?: RangeResponse }[];
}
interface WatchResponse {
  watch_id: number;
  created: boolean;
  canceled: boolean;
  cancel_reason: string;
  events: { type: string; kv: KeyValue }[];
}

type Unary = (
  request: object,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, response: unknown) => void,
) => void;

export interface EtcdValue {
  readonly value: Uint8Array;
  readonly modRevision: number;
}

export class EtcdClient {
  readonly #kv: grpc.Client & Record<string, Unary>;
  readonly #watch: grpc.Client &
    Record<string, () => grpc.ClientDuplexStream<object, WatchResponse>>;

  constructor(endpoints: readonly string[]) {
    const definition = protoLoader.loadSync('rpc.proto', {
      includeDirs: [protoDir],
      keepCase: true,
      longs: Number,
      enums: String,
      defaults: true,
      oneofs: true,
    });
    const pkg = grpc.loadPackageDefinition(definition).etcdserverpb as Record<
      string,
      grpc.ServiceClientConstructor
    >;
    const target = `ipv4:${endpoints.join(',')}`;
    const options = {
      'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
    };
    const credentials = grpc.credentials.createInsecure();
    this.#kv = new pkg.KV!(target, credentials, options) as never;
    // The same channel: grpc-js shares subchannels of equal target and options.
    this.#watch = new pkg.Watch!(target, credentials, options) as never;
  }

  /** Writes `value`; resolves with the revision of the write. */
  async put(key: string, value: Uint8Array): Promise<number> {
    const r = (await this.#call('Put', { key: Buffer.from(key), value })) as { header: Header };
    return r.header.revision;
  }

  /** A linearizable read; undefined when the key does not exist. */
  async get(key: string): Promise<EtcdValue | undefined> {
    const r = (await this.#call('Range', { key: Buffer.from(key) })) as RangeResponse;
    const kv = r.kvs[0];
    return kv === undefined ? undefined : { value: kv.value, modRevision: kv.mod_revision };
  }

  /**
   * Writes `value` if the key's mod_revision is still `modRevision`; when it is not, the same
   * transaction reads the current value (the analogue of ConflictError.current).
   */
  async compareAndSet(
    key: string,
    modRevision: number,
    value: Uint8Array,
  ): Promise<{ succeeded: true; modRevision: number } | { succeeded: false; current?: EtcdValue }> {
    const k = Buffer.from(key);
    const r = (await this.#call('Txn', {
      compare: [{ result: 'EQUAL', target: 'MOD', key: k, mod_revision: modRevision }],
      success: [{ request_put: { key: k, value } }],
      failure: [{ request_range: { key: k } }],
    })) as TxnResponse;
    if (r.succeeded) return { succeeded: true, modRevision: r.header.revision };
    const kv = r.responses[0]?.response_range?.kvs[0];
    return {
      succeeded: false,
      current: kv === undefined ? undefined : { value: kv.value, modRevision: kv.mod_revision },
    };
  }

  /**
   * `count` watchers of `key` on one Watch stream (as clientv3 multiplexes them); resolves once
   * every one is created. `onPut(watcher, value)` runs for each put event each watcher sees.
   */
  async watch(
    key: string,
    count: number,
    onPut: (watcher: number, value: Uint8Array) => void,
  ): Promise<{ cancel: () => void }> {
    const stream = this.#watch.Watch!();
    const ids = new Map<number, number>();
    let created = 0;
    const ready = new Promise<void>((resolve, reject) => {
      stream.on('data', (r: WatchResponse) => {
        if (r.canceled) {
          reject(new Error(`etcd watch canceled: ${r.cancel_reason}`));
          return;
        }
        if (r.created) {
          // Creations are answered in the order they were sent.
          ids.set(r.watch_id, created++);
          if (created === count) resolve();
        }
        const watcher = ids.get(r.watch_id);
        if (watcher === undefined) return;
        for (const e of r.events) if (e.type === 'PUT') onPut(watcher, e.kv.value);
      });
      stream.on('error', (e: grpc.ServiceError) => {
        if (e.code !== grpc.status.CANCELLED) reject(e);
      });
    });
    for (let i = 0; i < count; i++) stream.write({ create_request: { key: Buffer.from(key) } });
    await ready;
    return { cancel: () => stream.cancel() };
  }

  close(): void {
    this.#kv.close();
    this.#watch.close();
  }

  #call(method: string, request: object): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.#kv[method]!.call(
        this.#kv,
        request,
        { deadline: Date.now() + callTimeoutMs },
        (error, response) => (error ? reject(error) : resolve(response)),
      );
    });
  }
}
