// A TCP proxy in front of one node for the SDK's fault tests: it passes bytes both ways, can cut
// every connection (the client sees a lost stream mid-call), and can hold traffic (a blackhole:
// nothing passes until released, as when a client's network stalls).

import { createServer, type Server, Socket } from 'node:net';

export class TcpProxy {
  readonly #server: Server;
  readonly #target: { host: string; port: number };
  readonly #pairs = new Set<[Socket, Socket]>();
  #holding = false;
  port = 0;

  private constructor(target: string) {
    const [host, port] = target.split(':') as [string, string];
    this.#target = { host, port: Number(port) };
    this.#server = createServer((client) => this.#accept(client));
  }

  static async start(target: string): Promise<TcpProxy> {
    const proxy = new TcpProxy(target);
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve));
    proxy.port = (proxy.#server.address() as { port: number }).port;
    return proxy;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Destroys every open connection; new ones are accepted. */
  cut(): void {
    for (const [a, b] of this.#pairs) {
      a.destroy();
      b.destroy();
    }
    this.#pairs.clear();
  }

  /** Holds (true) or releases (false) all traffic; held connections keep their bytes. */
  hold(holding: boolean): void {
    this.#holding = holding;
    for (const [a, b] of this.#pairs) {
      for (const s of [a, b]) {
        if (holding) s.pause();
        else s.resume();
      }
    }
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  #accept(client: Socket): void {
    const upstream = new Socket();
    const pair: [Socket, Socket] = [client, upstream];
    this.#pairs.add(pair);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      this.#pairs.delete(pair);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    upstream.connect(this.#target.port, this.#target.host);
    client.pipe(upstream);
    upstream.pipe(client);
    if (this.#holding) {
      client.pause();
      upstream.pause();
    }
  }
}
