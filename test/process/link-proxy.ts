// A TCP proxy under a test's control: between two nodes (the chaos harness puts one on the path
// the lower id dials; the transport keeps one connection per pair, docs/transport.md) or between a
// client and a node. Each direction passes, holds (bytes wait until released, as on a stalled
// network), discards (a blackhole: bytes are read and lost), or delays its bytes; `cut()` resets
// every connection. A direction that lost bytes leaves its stream mid-frame, so healing it resets
// the connection and the peer reconnects cleanly; `dropFraction` models a lossy link the same way.

import { createServer, type Server, Socket } from 'node:net';
import { Prng } from '../../src/common/index.js';

export type DirectionFault =
  | { readonly kind: 'pass' }
  | { readonly kind: 'hold' }
  | { readonly kind: 'discard' }
  | { readonly kind: 'delay'; readonly ms: number };

interface Pair {
  readonly dialer: Socket;
  readonly target: Socket;
  /** Per direction: whether bytes were discarded since the last reset. */
  lost: { forward: boolean; backward: boolean };
}

export class LinkProxy {
  readonly #server: Server;
  readonly #target: number;
  readonly #random: Prng;
  readonly #pairs = new Set<Pair>();
  /** forward: dialer → target; backward: target → dialer. */
  #faults: { forward: DirectionFault; backward: DirectionFault } = {
    forward: { kind: 'pass' },
    backward: { kind: 'pass' },
  };
  #dropFraction = 0;
  port = 0;

  private constructor(targetPort: number, random: Prng) {
    this.#target = targetPort;
    this.#random = random;
    this.#server = createServer((socket) => this.#accept(socket));
  }

  /** `random` draws the lost chunks of `setDropFraction`. */
  static async start(targetPort: number, random = new Prng(1)): Promise<LinkProxy> {
    const proxy = new LinkProxy(targetPort, random);
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve));
    proxy.port = (proxy.#server.address() as { port: number }).port;
    return proxy;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Sets a direction's fault; a direction that lost bytes and now passes resets its connections. */
  set(direction: 'forward' | 'backward', fault: DirectionFault): void {
    const before = this.#faults[direction];
    this.#faults = { ...this.#faults, [direction]: fault };
    for (const pair of this.#pairs) this.#flow(pair, direction);
    if (fault.kind === 'discard') return;
    // Bytes still delayed would land after newer ones: start the streams again instead.
    const reorders = before.kind === 'delay' && (fault.kind !== 'delay' || fault.ms !== before.ms);
    for (const pair of [...this.#pairs]) {
      if (pair.lost[direction] || reorders) this.#reset(pair);
    }
  }

  /** Each chunk is lost with this probability (and its connection reset). */
  setDropFraction(fraction: number): void {
    this.#dropFraction = fraction;
  }

  /** Both directions hold (true) or pass (false). */
  hold(holding: boolean): void {
    const fault: DirectionFault = { kind: holding ? 'hold' : 'pass' };
    this.set('forward', fault);
    this.set('backward', fault);
  }

  /** Resets every open connection; new ones are accepted. */
  cut(): void {
    for (const pair of [...this.#pairs]) this.#reset(pair);
  }

  heal(): void {
    this.#dropFraction = 0;
    this.set('forward', { kind: 'pass' });
    this.set('backward', { kind: 'pass' });
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  #accept(dialer: Socket): void {
    const target = new Socket();
    const pair: Pair = { dialer, target, lost: { forward: false, backward: false } };
    this.#pairs.add(pair);
    const reset = () => this.#reset(pair);
    dialer.on('error', reset).on('close', reset);
    target.on('error', reset).on('close', reset);
    target.connect(this.#target, '127.0.0.1');
    dialer.on('data', (chunk: Buffer) => this.#relay(pair, 'forward', chunk, target));
    target.on('data', (chunk: Buffer) => this.#relay(pair, 'backward', chunk, dialer));
    this.#flow(pair, 'forward');
    this.#flow(pair, 'backward');
  }

  /** A held direction stops reading its source, so its bytes wait in the kernel's buffers. */
  #flow(pair: Pair, direction: 'forward' | 'backward'): void {
    const source = direction === 'forward' ? pair.dialer : pair.target;
    if (this.#faults[direction].kind === 'hold') source.pause();
    else source.resume();
  }

  #relay(pair: Pair, direction: 'forward' | 'backward', chunk: Buffer, to: Socket): void {
    if (!this.#pairs.has(pair)) return;
    if (this.#dropFraction > 0 && this.#random.chance(this.#dropFraction)) return this.#reset(pair);
    const fault = this.#faults[direction];
    switch (fault.kind) {
      case 'pass':
      case 'hold':
        // A chunk read before the hold began still goes through.
        to.write(chunk);
        return;
      case 'discard':
        pair.lost[direction] = true;
        return;
      case 'delay':
        // Timers of equal delay fire in order, so the stream stays in order.
        setTimeout(() => {
          if (this.#pairs.has(pair)) to.write(chunk);
        }, fault.ms);
        return;
    }
  }

  #reset(pair: Pair): void {
    if (!this.#pairs.delete(pair)) return;
    pair.dialer.destroy();
    pair.target.destroy();
  }
}
