// The standard gRPC health service, `grpc.health.v1.Health` (proto/grpc/health/v1/health.proto,
// https://github.com/grpc/grpc/blob/master/doc/health-checking.md). Every service of the node has
// the node's status: SERVING once every local partition has a leader (as /readyz), NOT_SERVING
// otherwise and from shutdown on. Check of an unknown service is NOT_FOUND; Watch of one answers
// SERVICE_UNKNOWN and stays open, as the standard says. Readiness has no change event, so Watch
// polls it every `pollMs` and sends only changes; at shutdown every Watch sends NOT_SERVING and ends.

import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, type ConnectRouter } from '@connectrpc/connect';
import {
  Health,
  type HealthCheckResponse,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from '../gen/grpc/health/v1/health_pb.js';

export interface HealthOptions {
  /** The fully qualified names of the services served ("" is always known: the whole node). */
  readonly services: readonly string[];
  /** The node serves: it works and every local partition has a leader. */
  readonly serving: () => boolean;
  /** How often a Watch looks at readiness. Default 500 ms. */
  readonly pollMs?: number;
  /** Open Watch streams; one more is RESOURCE_EXHAUSTED. Default 1,024. */
  readonly watchesMax?: number;
  /** How long close() waits for watches to send their last status and end. Default 500 ms. */
  readonly closeGraceMs?: number;
}

/** Service names are short; this bounds what a caller can make the node decode. */
const healthRequestBytesMax = 4 * 1024;

export class HealthService {
  readonly #services: ReadonlySet<string>;
  readonly #serving: () => boolean;
  readonly #pollMs: number;
  readonly #watchesMax: number;
  readonly #closeGraceMs: number;
  #watches = 0;
  /** Resolves close() once the last watch has ended. */
  #drained: (() => void) | undefined;
  #closed = false;
  /** Wakes every Watch at shutdown. */
  readonly #wakers = new Set<() => void>();

  constructor(options: HealthOptions) {
    this.#services = new Set(['', ...options.services]);
    this.#serving = options.serving;
    this.#pollMs = options.pollMs ?? 500;
    this.#watchesMax = options.watchesMax ?? 1_024;
    this.#closeGraceMs = options.closeGraceMs ?? 500;
  }

  /** Open Watch streams. */
  get watchCount(): number {
    return this.#watches;
  }

  register(router: ConnectRouter): void {
    router.service(
      Health,
      {
        check: (request) => this.check(request.service),
        watch: (request, context) => this.watch(request.service, context.signal),
      },
      { readMaxBytes: healthRequestBytesMax },
    );
  }

  check(service: string): HealthCheckResponse {
    const status = this.#status(service);
    if (status === ServingStatus.SERVICE_UNKNOWN) {
      throw new ConnectError(`unknown service "${service}"`, Code.NotFound);
    }
    return create(HealthCheckResponseSchema, { status });
  }

  /** The current status at once, then every change, until shutdown or the caller leaves. */
  async *watch(service: string, signal: AbortSignal): AsyncGenerator<HealthCheckResponse> {
    if (this.#watches >= this.#watchesMax) {
      throw new ConnectError(`more than ${this.#watchesMax} watches`, Code.ResourceExhausted);
    }
    this.#watches++;
    try {
      let sent: ServingStatus | undefined;
      while (!signal.aborted) {
        const closed = this.#closed;
        const status = this.#status(service);
        if (status !== sent) yield create(HealthCheckResponseSchema, { status });
        sent = status;
        if (closed) return;
        await this.#wait(signal);
      }
    } finally {
      this.#watches--;
      if (this.#watches === 0) this.#drained?.();
    }
  }

  /**
   * Every service turns NOT_SERVING; each Watch sends that and ends. Resolves when they have, or
   * after `closeGraceMs` (a client that does not read cannot hold the shutdown). Call it before
   * the gRPC server aborts its handlers, or the last status is lost.
   */
  close(): Promise<void> {
    this.#closed = true;
    for (const wake of [...this.#wakers]) wake();
    if (this.#watches === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.#closeGraceMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#drained = done;
    });
  }

  #status(service: string): ServingStatus {
    if (!this.#services.has(service)) return ServingStatus.SERVICE_UNKNOWN;
    return !this.#closed && this.#serving() ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
  }

  /** Until the next poll, shutdown or the caller's abort; always clears its timer. */
  #wait(signal: AbortSignal): Promise<void> {
    // Closed or left while the consumer held the last status: nothing to wait for.
    if (this.#closed || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.#wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, this.#pollMs);
      signal.addEventListener('abort', done, { once: true });
      this.#wakers.add(done);
    });
  }
}
