/**
 * A loopback TCP proxy the tests control: it forwards to a target until told to
 * freeze, then keeps every connection open but silently drops what flows — the
 * way a half-dead network path looks to a client (no error, no data).
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export class TcpProxy {
  #frozen = false;
  readonly #pairs = new Set<[Socket, Socket]>();
  /** Connections accepted so far (a resubscribe on a new channel adds one). */
  connections = 0;

  private constructor(private readonly server: Server, readonly port: number) {}

  static async start(targetHost: string, targetPort: number): Promise<TcpProxy> {
    let proxy!: TcpProxy;
    const server = createServer((client) => {
      proxy.connections++;
      const upstream = connect(targetPort, targetHost);
      const pair: [Socket, Socket] = [client, upstream];
      proxy.#pairs.add(pair);
      const forward = (from: Socket, to: Socket) =>
        from.on('data', (chunk) => {
          if (!proxy.#frozen) to.write(chunk);
        });
      forward(client, upstream);
      forward(upstream, client);
      const end = () => {
        client.destroy();
        upstream.destroy();
        proxy.#pairs.delete(pair);
      };
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    proxy = new TcpProxy(server, typeof address === 'object' && address ? address.port : 0);
    return proxy;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Existing connections go silent (data is dropped both ways); new ones still work. */
  freezeExisting(): void {
    const frozen = new Set(this.#pairs);
    for (const pair of frozen) {
      for (const s of pair) s.removeAllListeners('data').on('data', () => undefined);
    }
  }

  /** Everything, existing and new, goes silent. */
  freezeAll(): void {
    this.#frozen = true;
  }

  async close(): Promise<void> {
    for (const [a, b] of this.#pairs) {
      a.destroy();
      b.destroy();
    }
    this.#pairs.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
