// One network link between two nodes under the harness's control: a TCP proxy on the path the
// lower id dials (the transport keeps exactly one connection per pair, docs/transport.md). Each
// direction passes, discards (a blackhole: bytes are read and lost), or delays its bytes. A
// direction that lost bytes leaves its stream mid-frame, so healing it resets the connection and
// the transport reconnects cleanly; `dropFraction` models a lossy link the same way, as resets.

import { createServer, type Server, Socket } from 'node:net';
import type { Prng } from '../../src/common/index.js';

export type DirectionFault =
  | { readonly kind: 'pass' }
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

  static async start(targetPort: number, random: Prng): Promise<LinkProxy> {
    const proxy = new LinkProxy(targetPort, random);
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve));
    proxy.port = (proxy.#server.address() as { port: number }).port;
    return proxy;
  }

  /** Sets a direction's fault; a direction that lost bytes and now passes resets its connections. */
  set(direction: 'forward' | 'backward', fault: DirectionFault): void {
    const before = this.#faults[direction];
    this.#faults = { ...this.#faults, [direction]: fault };
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

  heal(): void {
    this.#dropFraction = 0;
    this.set('forward', { kind: 'pass' });
    this.set('backward', { kind: 'pass' });
  }

  async close(): Promise<void> {
    for (const pair of [...this.#pairs]) this.#reset(pair);
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
  }

  #relay(pair: Pair, direction: 'forward' | 'backward', chunk: Buffer, to: Socket): void {
    if (!this.#pairs.has(pair)) return;
    if (this.#dropFraction > 0 && this.#random.chance(this.#dropFraction)) return this.#reset(pair);
    const fault = this.#faults[direction];
    switch (fault.kind) {
      case 'pass':
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
