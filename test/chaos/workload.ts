// The chaos clients: SDK clients doing set, set if absent, update by version, delete and get on a
// few AtomicValues, every call recorded for the linearizability checker, and Events
// subscriptions checked for exactly-once, in-order delivery while their session lives.

import type { EventsChecker } from '../../sim/events-checker.js';
import type { HistoryRecorder, OpInput, OpOutput } from '../../sim/linearizability/index.js';
import {
  AlreadyExistsError,
  ConflictError,
  connect,
  type MultiraftClient,
  MultiraftError,
  NotFoundError,
  SessionExpiredError,
} from '../../src/client/index.js';
import type { Prng } from '../../src/common/index.js';

export interface WorkloadOptions {
  readonly endpoints: readonly string[];
  readonly clients: number;
  readonly keys: readonly string[];
  readonly random: Prng;
  readonly recorder: HistoryRecorder;
  readonly events: EventsChecker;
  /** Milliseconds since the run started: history times (integers, one clock for all). */
  readonly now: () => number;
  /** Values of this many bytes (the disk nemesis writes large ones). */
  readonly valueBytes: () => number;
  readonly opTimeoutMs: number;
}

export class Workload {
  readonly #o: WorkloadOptions;
  readonly #clients: MultiraftClient[] = [];
  readonly #loops: Promise<void>[] = [];
  readonly #subscriptions: Promise<void>[] = [];
  /** Per key: the last version a client saw, for conditional changes. */
  readonly #versions = new Map<string, number>();
  #running = false;
  #writes = 0;
  ops = 0;

  constructor(options: WorkloadOptions) {
    this.#o = options;
  }

  async start(): Promise<void> {
    this.#running = true;
    for (let c = 0; c < this.#o.clients; c++) {
      const client = await connect({
        endpoints: this.#o.endpoints,
        timeoutMs: this.#o.opTimeoutMs,
        sessionTimeoutMs: 10_000,
      });
      this.#clients.push(client);
      const name = `c${c}`;
      this.#loops.push(this.#loop(client, name));
      // Every client subscribes to one key's events, for as long as it runs.
      const key = this.#o.keys[c % this.#o.keys.length]!;
      this.#subscriptions.push(this.#subscribe(client, name, key));
    }
  }

  /** Stops issuing calls and waits for those in flight. */
  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#loops);
  }

  /** Reads every key once through a fresh client (after the cluster restarted). */
  async finalReads(): Promise<boolean> {
    const client = await connect({ endpoints: this.#o.endpoints, timeoutMs: 30_000 });
    try {
      let ok = true;
      for (const key of this.#o.keys)
        ok = (await this.#call(client, 'final', key, { op: 'get' })) && ok;
      return ok;
    } finally {
      await client.close();
    }
  }

  async close(): Promise<void> {
    for (const client of this.#clients) await client.close();
    await Promise.all(this.#subscriptions);
  }

  async #loop(client: MultiraftClient, name: string): Promise<void> {
    const r = this.#o.random;
    while (this.#running) {
      const key = r.pick(this.#o.keys);
      const roll = r.float();
      const value = `${name}-${++this.#writes}-${'x'.repeat(Math.max(0, this.#o.valueBytes() - 12))}`;
      const known = this.#versions.get(key) ?? 0;
      let input: OpInput;
      if (roll < 0.3) input = { op: 'get' };
      else if (roll < 0.55) input = { op: 'set', value };
      else if (roll < 0.65) input = { op: 'set', value, ifAbsent: true };
      else if (roll < 0.85) input = { op: 'update', value, prevVersion: r.chance(0.8) ? known : 0 };
      else input = { op: 'delete', prevVersion: r.chance(0.7) ? known : 0 };
      this.ops++;
      await this.#call(client, name, key, input);
      await new Promise((resolve) => setTimeout(resolve, r.int(0, 20)));
    }
  }

  /** One recorded call; true when it got a definite answer. */
  async #call(
    client: MultiraftClient,
    name: string,
    key: string,
    input: OpInput,
  ): Promise<boolean> {
    const { recorder, now } = this.#o;
    const handle = recorder.invoke({ client: name, key, input, time: Math.floor(now()) });
    const v = client.atomicValue(key, { codec: 'string' });
    const done = (output: OpOutput) => {
      recorder.ok(handle, output, Math.ceil(now()));
      const version = 'ok' in output ? output.version : output.current?.version;
      if (version !== undefined) this.#versions.set(key, version);
      return true;
    };
    try {
      switch (input.op) {
        case 'get': {
          const got = await v.get();
          return done({ ok: true, value: got.value, version: got.version });
        }
        case 'set': {
          const { version } = await v.set(input.value, { ifAbsent: input.ifAbsent === true });
          return done({ ok: true, version });
        }
        case 'update': {
          const r = await v.update(input.value, { ifVersion: input.prevVersion || undefined });
          return done({ ok: true, version: r.version, prevValue: r.prevValue });
        }
        case 'delete': {
          const r = await v.delete({ ifVersion: input.prevVersion || undefined });
          return done({ ok: true, value: r.value, version: r.version });
        }
      }
    } catch (error) {
      if (error instanceof NotFoundError) return done({ error: 'NOT_FOUND' });
      if (error instanceof AlreadyExistsError || error instanceof ConflictError) {
        const current = error.current as { value: string; version: number };
        const code = error instanceof ConflictError ? 'CONFLICT' : 'ALREADY_EXISTS';
        return done({ error: code, current: { value: current.value, version: current.version } });
      }
      if (!(error instanceof MultiraftError)) throw error;
      // A read that failed did nothing; a change may have happened unless the error says not.
      if (input.op !== 'get' && error.mayHaveApplied) recorder.unknown(handle);
      else recorder.fail(handle, Math.ceil(now()));
      return false;
    }
  }

  async #subscribe(client: MultiraftClient, name: string, key: string): Promise<void> {
    const partition = client.partitionOf(key);
    while (this.#running) {
      const sub = this.#o.events.subscribe(name, key, partition);
      const events = client.atomicValue(key, { codec: 'string' }).events();
      try {
        await events.subscribed;
        sub.acknowledged();
        for await (const e of events) {
          sub.event(
            e.type === 'updated'
              ? {
                  type: 'updated',
                  value: { value: e.value, version: e.version },
                  prev: { value: e.prevValue, version: e.prevVersion },
                }
              : { type: e.type, value: { value: e.value, version: e.version } },
          );
        }
      } catch (error) {
        // The session expired or the client closed: the subscription ended with it; resubscribe.
        if (!(error instanceof MultiraftError)) throw error;
        if (!(error instanceof SessionExpiredError) && !this.#running) return sub.end('closed');
      }
      sub.end('ended');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
