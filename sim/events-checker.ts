// Checks every Events subscription while its session lives: the first output is the subscription
// acknowledgement, then each change exactly once and in log order. Consecutive events must chain
// (an update's previous value is the last event's value, a delete removes the last value, a
// create follows a delete), versions only grow, and no written value ever shows up under two
// versions (a command executed twice would).

import type { PartitionId } from '../src/common/index.js';
import { decodeEvent, type PlainValue, plainValue } from './atomic-value-codec.js';

/** An event as the checker reads it (from the state machine's encoding or from the SDK). */
export type PlainEvent =
  | { readonly type: 'created' | 'deleted'; readonly value: PlainValue | undefined }
  | {
      readonly type: 'updated';
      readonly value: PlainValue | undefined;
      readonly prev: PlainValue | undefined;
    };

export class EventsChecker {
  readonly #violation: (what: string) => void;
  /** Per key: the version each written value was seen with. */
  readonly #versions = new Map<string, Map<string, number>>();
  readonly #active = new Set<Subscription>();
  subscriptions = 0;
  events = 0;

  constructor(violation: (what: string) => void) {
    this.#violation = violation;
  }

  subscribe(client: string, key: string, partition: PartitionId): Subscription {
    this.subscriptions++;
    const sub = new Subscription(this, client, key, partition);
    this.#active.add(sub);
    return sub;
  }

  /** The client's session on `partition` is gone: its subscriptions there ended with it. */
  sessionEnded(client: string, partition: PartitionId): void {
    for (const sub of this.#active) {
      if (sub.client === client && sub.partition === partition) sub.end('session ended');
    }
  }

  /** @internal */
  ended(sub: Subscription): void {
    this.#active.delete(sub);
  }

  /** @internal */
  violation(sub: Subscription, what: string): void {
    this.#violation(`events of ${sub.key} seen by ${sub.client}: ${what}`);
  }

  /** @internal Records that `value` was written at `version`; false if it was seen at another. */
  seen(key: string, value: PlainValue): boolean {
    let versions = this.#versions.get(key);
    if (versions === undefined) {
      versions = new Map();
      this.#versions.set(key, versions);
    }
    const known = versions.get(value.value);
    if (known === undefined) versions.set(value.value, value.version);
    return known === undefined || known === value.version;
  }
}

const same = (a: PlainValue, b: PlainValue | undefined) =>
  b !== undefined && a.value === b.value && a.version === b.version;

const show = (v: PlainValue | null | undefined) =>
  v === undefined ? 'unknown' : v === null ? 'none' : `${v.value}@${v.version}`;

export class Subscription {
  readonly #checker: EventsChecker;
  readonly client: string;
  readonly key: string;
  readonly partition: PartitionId;
  #acknowledged = false;
  /** The value after the last event: undefined before the first one (not known), null when none. */
  #last: PlainValue | null | undefined;
  #maxVersion = 0;
  #ended = false;

  constructor(checker: EventsChecker, client: string, key: string, partition: PartitionId) {
    this.#checker = checker;
    this.client = client;
    this.key = key;
    this.partition = partition;
  }

  /** One new (deduplicated) output of the stream, as the state machine encodes it. */
  output(payload: Uint8Array, index: bigint): void {
    if (this.#ended) return;
    const event = decodeEvent(payload);
    if (!this.#acknowledged) {
      if (event !== undefined)
        this.#checker.violation(this, 'first output is not the acknowledgement');
      this.#acknowledged = true;
      return;
    }
    if (event === undefined) return this.#checker.violation(this, `empty event at index ${index}`);
    const e = event.event;
    switch (e.case) {
      case 'created':
        return this.event({ type: 'created', value: plainValue(e.value.value) });
      case 'updated':
        return this.event({
          type: 'updated',
          value: plainValue(e.value.value),
          prev: plainValue(e.value.prevValue),
        });
      case 'deleted':
        return this.event({ type: 'deleted', value: plainValue(e.value.value) });
      default:
        this.#checker.violation(this, 'event with no kind');
    }
  }

  /** The subscription is in place (a client that hides the acknowledgement reports it here). */
  acknowledged(): void {
    this.#acknowledged = true;
  }

  /** One event, decoded. */
  event(event: PlainEvent): void {
    if (this.#ended) return;
    if (!this.#acknowledged) this.#checker.violation(this, 'an event before the acknowledgement');
    this.#checker.events++;
    switch (event.type) {
      case 'created':
        if (this.#last !== undefined && this.#last !== null) {
          this.#checker.violation(this, `Created while ${show(this.#last)} existed`);
        }
        return this.#advance(event.value);
      case 'updated': {
        const prev = event.prev;
        if (this.#last === null) this.#checker.violation(this, 'Updated with no value');
        else if (this.#last !== undefined && (prev === undefined || !same(prev, this.#last))) {
          this.#checker.violation(this, `Updated from ${show(prev)} after ${show(this.#last)}`);
        }
        return this.#advance(event.value);
      }
      case 'deleted': {
        const value = event.value;
        if (this.#last === null) this.#checker.violation(this, 'Deleted with no value');
        else if (this.#last !== undefined && (value === undefined || !same(value, this.#last))) {
          this.#checker.violation(this, `Deleted ${show(value)} after ${show(this.#last)}`);
        }
        this.#last = null;
        return;
      }
    }
  }

  #advance(v: PlainValue | undefined): void {
    if (v === undefined) return this.#checker.violation(this, 'event without a value');
    if (v.version <= this.#maxVersion) {
      this.#checker.violation(this, `version ${v.version} after ${this.#maxVersion}`);
    }
    if (!this.#checker.seen(this.key, v)) {
      this.#checker.violation(this, `value ${v.value} written under two versions (executed twice)`);
    }
    this.#maxVersion = Math.max(this.#maxVersion, v.version);
    this.#last = v;
  }

  end(_reason: string): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#checker.ended(this);
  }
}
