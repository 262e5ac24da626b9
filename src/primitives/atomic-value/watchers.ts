// The node-local Watch sinks of one AtomicValue. Never replicated: nothing in the state machine
// may depend on them; closed sinks are dropped whenever they are met.

import type { QuerySink, ServiceResult } from '../../fsm/index.js';

export class WatcherSet {
  // Insertion order; a Set so a sink registered twice is fed once.
  readonly #sinks = new Set<QuerySink>();

  get size(): number {
    return this.#sinks.size;
  }

  /** Keeps a sink to feed after every change; a closed sink is not kept. */
  add(sink: QuerySink): void {
    if (!sink.closed) this.#sinks.add(sink);
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
