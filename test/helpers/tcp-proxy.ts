/**
 * A loopback TCP proxy of the tests' own, to break or freeze connections to
 * vtgate without touching the shared Vitess: `cut()` destroys every open
 * connection (a dropped network); `freeze()` stops forwarding on the open ones
 * but leaves them open (a silent, half-dead stream); `down()` cuts them and
 * refuses new ones until `up()` (vtgate gone: connects fail with ECONNREFUSED);
 * otherwise new connections always work.
 */
import * as net from 'node:net';

export class TcpProxy {
  #server: net.Server;
  #port = 0;
  /** When the last `up()` (or start) made the proxy accept again (`Date.now()`). */
  upAt = 0;
  readonly #pairs = new Set<{ client: net.Socket; upstream: net.Socket; frozen: boolean }>();
  /** Connections accepted so far. */
  connections = 0;

  private constructor(private readonly target: { host: string; port: number }) {
    this.#server = net.createServer((client) => this.#accept(client));
  }

  static async start(targetAddr: string): Promise<TcpProxy> {
    const [host, port] = targetAddr.split(':');
    const proxy = new TcpProxy({ host: host!, port: Number(port) });
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve));
    proxy.#port = (proxy.#server.address() as net.AddressInfo).port;
    return proxy;
  }

  get address(): string {
    return `127.0.0.1:${this.#port}`;
  }

  /** Cuts every connection and stops listening: new connects are refused until {@link up}. */
  async down(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.cut();
    await closed;
  }

  /** Listens again on the same port; resolves once connects are accepted. */
  async up(): Promise<void> {
    this.#server = net.createServer((client) => this.#accept(client));
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#port, '127.0.0.1', () => resolve());
    });
    this.upAt = Date.now();
  }

  #accept(client: net.Socket): void {
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

  async close(): Promise<void> {
    this.cut();
    if (this.#server.listening) await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
