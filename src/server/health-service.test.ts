import { Code, ConnectError } from '@connectrpc/connect';
import { describe, expect, test } from 'vitest';
import { HealthCheckResponse_ServingStatus as ServingStatus } from '../gen/grpc/health/v1/health_pb.js';
import { HealthService } from './health-service.js';

function health(pollMs = 1, watchesMax?: number) {
  const state = { ready: false };
  const service = new HealthService({
    services: ['multiraft.v1.Partition'],
    serving: () => state.ready,
    pollMs,
    watchesMax,
  });
  return { state, service };
}

describe('HealthService', () => {
  test('Check: the node status for "" and each service; an unknown service is NOT_FOUND', () => {
    const { state, service } = health();
    expect(service.check('').status).toBe(ServingStatus.NOT_SERVING);
    state.ready = true;
    expect(service.check('').status).toBe(ServingStatus.SERVING);
    expect(service.check('multiraft.v1.Partition').status).toBe(ServingStatus.SERVING);
    expect(() => service.check('nope.v1.Nope')).toThrow(
      expect.objectContaining({ code: Code.NotFound }),
    );
    service.close();
    expect(service.check('').status).toBe(ServingStatus.NOT_SERVING);
  });

  test('Watch: the status at once, then only changes; at shutdown NOT_SERVING and the end', async () => {
    const { state, service } = health();
    const watch = service.watch('', new AbortController().signal);
    expect((await watch.next()).value?.status).toBe(ServingStatus.NOT_SERVING);
    state.ready = true;
    expect((await watch.next()).value?.status).toBe(ServingStatus.SERVING);
    const next = watch.next();
    state.ready = false;
    expect((await next).value?.status).toBe(ServingStatus.NOT_SERVING);
    state.ready = true;
    expect((await watch.next()).value?.status).toBe(ServingStatus.SERVING);
    expect(service.watchCount).toBe(1);
    const last = watch.next();
    const closed = service.close();
    expect((await last).value?.status).toBe(ServingStatus.NOT_SERVING);
    expect((await watch.next()).done).toBe(true);
    expect(service.watchCount).toBe(0);
    await closed;
  });

  test('Watch of an unknown service answers SERVICE_UNKNOWN and stays open until the caller leaves', async () => {
    // A long poll: the caller's abort, not a timer, must end the wait.
    const { service } = health(60_000);
    const caller = new AbortController();
    const watch = service.watch('nope.v1.Nope', caller.signal);
    expect((await watch.next()).value?.status).toBe(ServingStatus.SERVICE_UNKNOWN);
    const next = watch.next();
    caller.abort();
    expect((await next).done).toBe(true);
    expect(service.watchCount).toBe(0);
  });

  test('watches beyond the limit are RESOURCE_EXHAUSTED', async () => {
    const { service } = health(60_000, 1);
    const first = service.watch('', new AbortController().signal);
    await first.next();
    const second = service.watch('', new AbortController().signal);
    const error = await second.next().catch((e: unknown) => ConnectError.from(e));
    expect(error).toMatchObject({ code: Code.ResourceExhausted });
    const closed = service.close();
    expect((await first.next()).done).toBe(true);
    await closed;
    // A watch whose consumer never reads again cannot hold the shutdown past the grace.
    const idle = health(60_000).service;
    await idle.watch('', new AbortController().signal).next();
    await idle.close();
  });
});
