// `multiraft value get|set|update|delete|watch|events NAME [VALUE]`: one AtomicValue through the
// SDK, values as UTF-8 text. Results on stdout (only the value for `get`; JSON objects with
// `--json`), errors as one `CODE: message` line on stderr with the exit code of their class
// (client-exit-codes.ts). watch and events print a line per item until `stop` aborts (Ctrl-C),
// which ends them with exit 0; a change interrupted by it reports its outcome as unknown.

import {
  type AtomicValueClient,
  connect,
  InvalidArgumentError,
  MultiraftError,
  ttlMs,
  type ValueEvent,
  type Versioned,
} from '../client/index.js';
import {
  type ClientExitCode,
  clientExitCodes,
  errorLine,
  exitCodeOf,
} from './client-exit-codes.js';
import { type ConnectionFlags, resolveConnection } from './connection-flags.js';

export const valueActions = ['get', 'set', 'update', 'delete', 'watch', 'events'] as const;
export type ValueAction = (typeof valueActions)[number];

export interface ValueFlags extends ConnectionFlags {
  readonly namespace?: string;
  readonly json?: boolean;
  readonly ttl?: string;
  readonly ifVersion?: string;
  readonly ifAbsent?: boolean;
}

export interface ValueRequest {
  readonly action: ValueAction;
  readonly name: string;
  /** The new value (set, update). */
  readonly value?: string;
  readonly flags: ValueFlags;
}

/** What a client command touches of its process; tests pass their own. */
export interface ClientIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborts on Ctrl-C: ends watch and events, interrupts a call. */
  readonly stop: AbortSignal;
}

export async function runValue(request: ValueRequest, io: ClientIo): Promise<ClientExitCode> {
  try {
    const { flags } = request;
    // Checked before connecting, so a typo is a usage error even with no cluster around.
    const ifVersion = flags.ifVersion === undefined ? undefined : version(flags.ifVersion);
    if (flags.ttl !== undefined) ttlMs(flags.ttl);
    const connection = await resolveConnection(flags, io.env);
    await using client = await connect({ ...connection, signal: io.stop });
    const value = client.atomicValue(request.name, {
      codec: 'string',
      ...(flags.namespace === undefined ? {} : { namespace: flags.namespace }),
    });
    const print = printer(io, flags.json === true);
    await perform(request, value, { ifVersion, signal: io.stop }, print);
    return clientExitCodes.ok;
  } catch (error) {
    if (!(error instanceof MultiraftError)) throw error;
    io.err(errorLine(error));
    return exitCodeOf(error);
  }
}

interface Printer {
  got(v: Versioned<string>): void;
  watched(v: Versioned<string> | null): void;
  set(version: number): void;
  updated(version: number, prevValue: string): void;
  deleted(v: Versioned<string>): void;
  event(e: ValueEvent<string>): void;
}

async function perform(
  { action, value: text, flags }: ValueRequest,
  value: AtomicValueClient<string>,
  { ifVersion, signal }: { ifVersion: number | undefined; signal: AbortSignal },
  print: Printer,
): Promise<void> {
  switch (action) {
    case 'get':
      return print.got(await value.get({ signal }));
    case 'set': {
      const { version } = await value.set(required(text), {
        signal,
        ...(flags.ttl === undefined ? {} : { ttl: flags.ttl }),
        ifAbsent: flags.ifAbsent === true,
      });
      return print.set(version);
    }
    case 'update': {
      const { version, prevValue } = await value.update(required(text), {
        signal,
        ...(flags.ttl === undefined ? {} : { ttl: flags.ttl }),
        ...(ifVersion === undefined ? {} : { ifVersion }),
      });
      return print.updated(version, prevValue);
    }
    case 'delete':
      return print.deleted(
        await value.delete({ signal, ...(ifVersion === undefined ? {} : { ifVersion }) }),
      );
    case 'watch':
      for await (const item of value.watch({ signal })) print.watched(item);
      return;
    case 'events':
      for await (const event of value.events({ signal })) print.event(event);
      return;
  }
}

function printer({ out }: ClientIo, json: boolean): Printer {
  if (json) {
    const line = (v: unknown) => out(JSON.stringify(v));
    return {
      got: line,
      watched: line,
      set: (version) => line({ version }),
      updated: (version, prevValue) => line({ version, prevValue }),
      deleted: line,
      event: line,
    };
  }
  return {
    // `get` prints the bare value, for scripts to capture.
    got: (v) => out(v.value),
    watched: (v) => out(v === null ? '(no value)' : `${v.value} (version ${v.version})`),
    set: (version) => out(`version ${version}`),
    updated: (version, prevValue) => out(`version ${version}, was ${prevValue}`),
    deleted: (v) => out(`deleted ${v.value} (version ${v.version})`),
    event: (e) => {
      if (e.type === 'updated')
        out(`updated ${e.value} (version ${e.version}, was ${e.prevValue})`);
      else if (e.type === 'deleted')
        out(`${e.expired ? 'expired' : 'deleted'} ${e.value} (version ${e.version})`);
      else out(`created ${e.value} (version ${e.version})`);
    },
  };
}

function version(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n <= 0) {
    throw new InvalidArgumentError(`--if-version must be a positive integer, not '${text}'`);
  }
  return n;
}

/** The program's argument rules make set and update carry a value. */
function required(text: string | undefined): string {
  if (text === undefined) throw new InvalidArgumentError('a value is required');
  return text;
}
