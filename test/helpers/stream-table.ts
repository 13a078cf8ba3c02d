/**
 * A small stream reader for tests that need to watch deliveries without the
 * subscriber: `stream * from ks.t` over gRPC, decoded rows recorded in order.
 */
import { decodeRow, type StreamField } from '../../src/core/decode';
import { StreamError } from '../../src/core/errors';
import { VtgateGrpcTransport } from '../../src/subscriber/grpc/vtgate-grpc-transport';
import type { StreamCall } from '../../src/subscriber/transport';
import { vitess, waitUntil } from './vitess';

export interface Delivery {
  /** Decoded row: id (string), epoch (string, when streamed) and payload columns. */
  readonly row: Record<string, unknown>;
  readonly at: number;
}

export class TableStream {
  readonly deliveries: Delivery[] = [];
  fields: readonly StreamField[] = [];
  error: unknown;
  readonly #transport: VtgateGrpcTransport;
  readonly #open: () => StreamCall;
  #call: StreamCall;
  #closed = false;
  readonly #done: Promise<void>;

  private constructor(keyspace: string, table: string, shard?: string) {
    this.#transport = new VtgateGrpcTransport({ address: vitess.grpcAddr });
    this.#open = () => this.#transport.stream({
      sql: `stream * from \`${keyspace}\`.\`${table}\``,
      target: shard ? `${keyspace}:${shard}@primary` : `${keyspace}@primary`,
      table,
    });
    this.#call = this.#open();
    this.#done = this.#read();
  }

  async #read(): Promise<void> {
    // vtgate sends a scatter's fields packet once one shard answers; another
    // shard's tablet may not know a table created a moment ago yet and fail the
    // stream a little later. Then the stream is opened again: the table's
    // messages wait in it, so nothing is missed.
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        for await (const packet of this.#call) {
          if (packet.fields) this.fields = packet.fields;
          for (const row of packet.rows ?? []) {
            this.deliveries.push({ row: decodeRow(this.fields, row), at: Date.now() });
          }
        }
        return;
      } catch (err) {
        if (this.#closed || !(err instanceof StreamError && notYetLoaded(err)) || Date.now() > deadline) {
          this.error = err;
          return;
        }
        await new Promise((r) => setTimeout(r, 200));
        if (this.#closed) return;
        this.#call = this.#open();
      }
    }
  }

  /** Opens the stream and waits for its first (fields) packet, so later inserts are seen. */
  static async open(keyspace: string, table: string, shard?: string): Promise<TableStream> {
    // A table created a moment ago may not be known to the tablets' schema engine
    // yet (NOT_FOUND, more often on a busy machine): open again until it is.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const s = new TableStream(keyspace, table, shard);
      await waitUntil(() => s.fields.length > 0 || s.error, 30_000, `the fields packet of ${table}`);
      if (!s.error) return s;
      await s.close();
      if (!(s.error instanceof StreamError && notYetLoaded(s.error)) || Date.now() > deadline) throw s.error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Ids delivered so far, in order (with repeats). */
  ids(): string[] {
    return this.deliveries.map((d) => String(d.row.id));
  }

  /** How many times each id was delivered. */
  counts(): Map<string, number> {
    const m = new Map<string, number>();
    for (const id of this.ids()) m.set(id, (m.get(id) ?? 0) + 1);
    return m;
  }

  async waitFor(predicate: (s: TableStream) => boolean, timeoutMs: number, what: string): Promise<void> {
    await waitUntil(() => {
      if (this.error) throw this.error;
      return predicate(this);
    }, timeoutMs, what);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#call.cancel();
    await this.#done;
    this.#transport.close();
  }
}

/** The tablet's schema engine does not know the table yet (NOT_FOUND, or INVALID_ARGUMENT "not found in schema"). */
function notYetLoaded(err: StreamError): boolean {
  return err.code === 'NOT_FOUND' || (err.code === 'INVALID_ARGUMENT' && /not found in schema/.test(err.message));
}
