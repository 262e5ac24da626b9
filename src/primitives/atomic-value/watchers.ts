// The node-local Watch sinks of one AtomicValue. Never replicated: nothing in the state machine
// may depend on them; closed sinks are dropped whenever they are met.

import type { QuerySink, ServiceResult } from '../../fsm/index.js';

const pruneAtLeast = 16;

export class WatcherSet {
  // Insertion order; a Set so a sink registered twice is fed once.
  readonly #sinks = new Set<QuerySink>();
  /** The size at which `add` next drops closed sinks. */
  #pruneAt = pruneAtLeast;

  get size(): number {
    return this.#sinks.size;
  }

  /**
   * Keeps a sink to feed after every change; a closed sink is not kept. Watchers that come and go
   * on a value that does not change would pile up until its next change, so `add` also drops the
   * closed ones whenever the set has doubled since it last did (amortized constant time).
   */
  add(sink: QuerySink): void {
    if (sink.closed) return;
    this.#sinks.add(sink);
    if (this.#sinks.size < this.#pruneAt) return;
    for (const s of [...this.#sinks]) if (s.closed) this.#sinks.delete(s);
    this.#pruneAt = Math.max(pruneAtLeast, 2 * this.#sinks.size);
  }

  /**
   * Sends one output to every open sink and drops the closed ones. Runs inside apply: a sink that
   * throws is dropped (its consumer is broken) so node-local code can never stop a replicated
   * change half-way through.
   */
  send(result: ServiceResult): void {
    for (const sink of [...this.#sinks]) {
      if (sink.closed) {
        this.#sinks.delete(sink);
        continue;
      }
      try {
        sink.next(result);
      } catch {
        this.#sinks.delete(sink);
        continue;
      }
      if (sink.closed) this.#sinks.delete(sink);
    }
  }

  /** Ends every sink (the node is dropping this instance) and forgets them. */
  endAll(): void {
    const sinks = [...this.#sinks];
    this.#sinks.clear();
    for (const sink of sinks) if (!sink.closed) sink.end();
  }
}
