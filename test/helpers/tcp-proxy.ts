/**
 * A loopback TCP proxy of the tests' own, to break or freeze connections to
 * vtgate without touching the shared Vitess: `cut()` destroys every open
 * connection (a dropped network); `freeze()` stops forwarding on the open ones
 * but leaves them open (a silent, half-dead stream); new connections work
 * unless `down()` was called (an outage: cut, and refused until `up()`).
 */
import * as net from 'node:net';

export class TcpProxy {
  readonly #server: net.Server;
  readonly #pairs = new Set<{ client: net.Socket; upstream: net.Socket; frozen: boolean }>();
  /** Connections accepted so far. */
  connections = 0;
  #down = false;

  private constructor(private readonly target: { host: string; port: number }) {
    this.#server = net.createServer((client) => this.#accept(client));
  }

  static async start(targetAddr: string): Promise<TcpProxy> {
    const [host, port] = targetAddr.split(':');
    const proxy = new TcpProxy({ host: host!, port: Number(port) });
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get address(): string {
    return `127.0.0.1:${(this.#server.address() as net.AddressInfo).port}`;
  }

  #accept(client: net.Socket): void {
    if (this.#down) {
      client.destroy();
      return;
    }
    this.connections++;
    const upstream = net.connect(this.target.port, this.target.host);
    const pair = { client, upstream, frozen: false };
    this.#pairs.add(pair);
    const forward = (from: net.Socket, to: net.Socket) => from.on('data', (chunk) => {
      if (!pair.frozen) to.write(chunk);
    });
    forward(client, upstream);
    forward(upstream, client);
    const end = () => {
      this.#pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  }

  /** Destroys every open connection. */
  cut(): void {
    for (const p of [...this.#pairs]) {
      p.client.destroy();
      p.upstream.destroy();
    }
  }

  /** Stops forwarding on every open connection (they stay open and silent). */
  freeze(): void {
    for (const p of this.#pairs) p.frozen = true;
  }

  /** An outage: cuts every open connection and refuses new ones until {@link up}. */
  down(): void {
    this.#down = true;
    this.cut();
  }

  /** Ends an outage of {@link down}. */
  up(): void {
    this.#down = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
