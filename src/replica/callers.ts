// The node-local routing table of a leader replica: who waits for which output. Never part of the
// replicated state (DESIGN §3). Proposals are remembered by their log index and term, so an entry
// overwritten by a later leader fails its caller instead of leaving it waiting forever.

import type { LogIndex, SequenceNum, SessionId, Term } from '../common/index.js';
import type { CommandOutput } from '../gen/multiraft/v1/output_pb.js';

/** Receives the outputs of one command: one for a unary command, many for a stream. */
export interface CommandCaller {
  /** One output; `output.done` marks the last one. */
  output(output: CommandOutput): void;
  /** The call ends without (further) outputs; the error says whether it may have happened. */
  fail(error: Error): void;
}

type Route =
  | { readonly kind: 'entry' }
  | { readonly kind: 'command'; readonly session: SessionId; readonly seq: SequenceNum };

interface Proposal {
  readonly term: Term;
  readonly route: Route;
  readonly caller: CommandCaller;
}

const commandKey = (session: SessionId, seq: SequenceNum) => `${session}:${seq}`;

export class CallerTable {
  // Invariant: a command's caller in #commands is the caller of its newest proposal.
  readonly #proposals = new Map<LogIndex, Proposal>();
  readonly #commands = new Map<string, CommandCaller>();

  /** Proposals appended and not yet applied (or lost). */
  get proposalCount(): number {
    return this.#proposals.size;
  }

  /** Commands (including running streams) with a caller waiting on this node. */
  get commandCount(): number {
    return this.#commands.size;
  }

  /** An open/keep-alive/close-session entry at (index, term): answered by index. */
  addEntry(index: LogIndex, term: Term, caller: CommandCaller): void {
    this.#proposals.set(index, { term, route: { kind: 'entry' }, caller });
  }

  /**
   * A session command at (index, term): answered by (session, seq). A caller already waiting for
   * the same command (the client retried) is superseded: the new one gets every later output.
   */
  addCommand(
    index: LogIndex,
    term: Term,
    session: SessionId,
    seq: SequenceNum,
    caller: CommandCaller,
    superseded: () => Error,
  ): void {
    const key = commandKey(session, seq);
    const previous = this.#commands.get(key);
    if (previous !== undefined && previous !== caller) previous.fail(superseded());
    this.#commands.set(key, caller);
    this.#proposals.set(index, { term, route: { kind: 'command', session, seq }, caller });
  }

  /**
   * Entry `index` of `term` is being applied. A proposal at that index from another term was
   * overwritten: its caller fails with `lost()`. Returns the caller waiting for the entry's own
   * answer, if any.
   */
  applying(index: LogIndex, term: Term, lost: () => Error): CommandCaller | undefined {
    const proposal = this.#proposals.get(index);
    if (proposal === undefined) return undefined;
    this.#proposals.delete(index);
    const { route, caller } = proposal;
    if (proposal.term === term) return route.kind === 'entry' ? caller : undefined;
    if (route.kind === 'entry') {
      caller.fail(lost());
    } else {
      // Only when no newer proposal of the same command took the caller over.
      const key = commandKey(route.session, route.seq);
      if (this.#commands.get(key) === caller) {
        this.#commands.delete(key);
        caller.fail(lost());
      }
    }
    return undefined;
  }

  /** Delivers a command output; the caller is released after the last one. */
  deliver(session: SessionId, seq: SequenceNum, output: CommandOutput): void {
    const key = commandKey(session, seq);
    const caller = this.#commands.get(key);
    if (caller === undefined) return;
    if (output.done) this.#commands.delete(key);
    caller.output(output);
  }

  /** Every waiting caller fails (leadership lost, replica closed). */
  failAll(error: () => Error): void {
    const proposals = [...this.#proposals.values()];
    const commands = [...this.#commands.values()];
    this.#proposals.clear();
    this.#commands.clear();
    for (const p of proposals) if (p.route.kind === 'entry') p.caller.fail(error());
    for (const c of commands) c.fail(error());
  }
}
