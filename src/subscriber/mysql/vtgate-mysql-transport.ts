import type { Connection, ConnectionOptions, FieldPacket, Query } from 'mysql2';
import type { StreamField, WireRow } from '../../core/decode';
import type { StreamCall, StreamPacket, StreamRequest, StreamTransport } from '../transport';
import { InvalidOptionError } from '../../core/errors';
import { checkNames } from '../option-names';
import { mysqlToStreamError } from './mysql-stream-error';

/** Options of {@link VtgateMysqlTransport}. */
export interface VtgateMysqlOptions {
  /** vtgate's MySQL-protocol endpoint: a `mysql://user:pass@host:port/` URL or mysql2 connection options. */
  readonly connection: string | ConnectionOptions;
  /**
   * Rows read ahead of the consumer before the socket is paused (vtgate then
   * holds the rest). Default 256.
   */
  readonly readAheadRows?: number;
}

/**
 * A {@link StreamTransport} over vtgate's MySQL protocol, for vtgates without a
 * gRPC port: each stream gets a dedicated connection that runs
 * `set workload='olap'`, `use <target>`, then the streaming statement.
 */
export class VtgateMysqlTransport implements StreamTransport {
  readonly #options: VtgateMysqlOptions;
  readonly #open = new Set<MysqlStreamCall>();

  constructor(options: VtgateMysqlOptions) {
    checkNames(options, ['connection', 'readAheadRows'], 'VtgateMysqlTransport');
    const c = options.connection;
    if (!(typeof c === 'string' && c.length > 0) && (typeof c !== 'object' || c === null)) throw new InvalidOptionError('VtgateMysqlTransport', 'connection', 'must be a mysql:// URL or mysql2 connection options', c);
    const r = options.readAheadRows;
    if (r !== undefined && (!Number.isInteger(r) || r < 1)) throw new InvalidOptionError('VtgateMysqlTransport', 'readAheadRows', 'must be an integer >= 1', r);
    this.#options = options;
  }

  /** Opens a dedicated connection for `request` and streams its rows (it is closed when the call ends). */
  stream(request: StreamRequest): StreamCall {
    const call = new MysqlStreamCall(this.#options, request, () => this.#open.delete(call));
    this.#open.add(call);
    return call;
  }

  /** Cancels every open call and closes their connections. */
  close(): void {
    for (const call of this.#open) call.cancel();
    this.#open.clear();
  }
}

class MysqlStreamCall implements StreamCall {
  #conn: Connection | undefined;
  #cancelled = false;
  /** Wakes a read waiting for the next packet. */
  #wake: (() => void) | undefined;

  constructor(
    private readonly options: VtgateMysqlOptions,
    private readonly request: StreamRequest,
    private readonly onDone: () => void,
  ) {}

  cancel(): void {
    this.#cancelled = true;
    if (this.#conn) hardClose(this.#conn); // a streaming statement cannot be stopped any other way
    this.#notify(); // a destroyed connection emits nothing: end a waiting read here
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<StreamPacket> {
    // mysql2 is a dependency of this package; loaded here so that importing the
    // main entry does not load it before a MySQL transport is used.
    const mysql = require('mysql2') as typeof import('mysql2');
    const base = typeof this.options.connection === 'string' ? { uri: this.options.connection } : this.options.connection;
    const conn = mysql.createConnection({ ...base, enableKeepAlive: true, supportBigNumbers: true, bigNumberStrings: true });
    this.#conn = conn;
    const readAhead = this.options.readAheadRows ?? 256;
    const queue: StreamPacket[] = [];
    let queuedRows = 0;
    let paused = false;
    let finished = false;
    let failure: unknown;
    const notify = () => this.#notify();
    const fail = (err: unknown) => {
      if (finished) return;
      failure ??= err;
      finished = true;
      notify();
    };
    conn.on('error', fail);
    try {
      // A cancel() (which destroys the connection) also ends these waits.
      const run = (sql: string) =>
        new Promise<void>((resolve, reject) => {
          this.#wake = resolve;
          conn.query(sql, (err) => (err ? reject(err) : resolve()));
        });
      await run("set workload = 'olap'");
      if (!this.#cancelled) await run(`use \`${this.request.target.replace(/`/g, '')}\``);
      if (this.#cancelled) return;

      const query: Query = conn.query({ sql: this.request.sql, rowsAsArray: true, typeCast: (field) => field.buffer() });
      query.on('fields', (packets: FieldPacket[]) => {
        queue.push({ fields: packets.map(toStreamField) });
        notify();
      });
      query.on('result', (row: unknown) => {
        // Stamped here: time in the read-ahead queue counts towards expiredBeforeStart.
        queue.push({ rows: [toWireRow(row as Array<Buffer | null>)], receivedAt: Date.now() });
        if (++queuedRows >= readAhead && !paused) {
          paused = true;
          conn.pause();
        }
        notify();
      });
      query.on('error', fail);
      query.on('end', () => {
        finished = true;
        notify();
      });

      while (!this.#cancelled) {
        const packet = queue.shift();
        if (packet) {
          if (packet.rows) queuedRows -= packet.rows.length;
          if (paused && queuedRows <= readAhead / 2) {
            paused = false;
            conn.resume();
          }
          yield packet;
          continue;
        }
        if (finished) break;
        await new Promise<void>((resolve) => (this.#wake = resolve));
      }
      if (failure !== undefined && !this.#cancelled) throw failure;
    } catch (err) {
      if (this.#cancelled) return;
      throw mysqlToStreamError(err, this.request.table, endpoint(this.options.connection));
    } finally {
      hardClose(conn);
      this.onDone();
    }
  }
}

/**
 * Closes the connection's socket for good. mysql2's `destroy()` only ends our
 * side (`socket.end()`): a socket paused for backpressure then stays open in
 * this process, taking whatever vtgate streams into it, until vtgate closes
 * it — which it does not do while the stream lasts. (vtgate still keeps the
 * stream's receivers a while after this: README "Subscribe".)
 */
function hardClose(conn: Connection): void {
  conn.destroy();
  (conn as unknown as { stream?: { destroy(): void } }).stream?.destroy();
}

// mysql2 column type codes (the MySQL protocol's) to vtgate's type names, so rows
// decode the same way from both transports.
const MYSQL_TYPES: Record<number, [signed: string, unsigned?: string]> = {
  0: ['DECIMAL'], 246: ['DECIMAL'],
  1: ['INT8', 'UINT8'], 2: ['INT16', 'UINT16'], 9: ['INT24', 'UINT24'], 3: ['INT32', 'UINT32'], 8: ['INT64', 'UINT64'],
  4: ['FLOAT32'], 5: ['FLOAT64'], 6: ['NULL_TYPE'],
  7: ['TIMESTAMP'], 10: ['DATE'], 14: ['DATE'], 11: ['TIME'], 12: ['DATETIME'], 13: ['YEAR'],
  16: ['BIT'], 245: ['JSON'], 247: ['ENUM'], 248: ['SET'], 255: ['GEOMETRY'], 242: ['VECTOR'],
};
const UNSIGNED = 32;
const ENUM = 256;
const SET = 2048;
const BINARY_CHARSET = 63;

/** A mysql2 field packet as a {@link StreamField} with vtgate's type name. */
export function toStreamField(f: Pick<FieldPacket, 'name' | 'columnType' | 'flags' | 'characterSet'>): StreamField {
  const code = f.columnType ?? 253;
  const flags = Number(f.flags ?? 0);
  const binary = f.characterSet === BINARY_CHARSET;
  let type: string;
  if (MYSQL_TYPES[code]) {
    const [signed, unsigned] = MYSQL_TYPES[code]!;
    type = flags & UNSIGNED && unsigned ? unsigned : signed;
  } else if (flags & ENUM) {
    type = 'ENUM';
  } else if (flags & SET) {
    type = 'SET';
  } else if (code === 15 || code === 253) {
    type = binary ? 'VARBINARY' : 'VARCHAR';
  } else if (code === 254) {
    type = binary ? 'BINARY' : 'CHAR';
  } else {
    type = binary ? 'BLOB' : 'TEXT'; // 249–252: the blob family
  }
  return { name: f.name, type };
}

/** Raw column buffers as the wire row shape the decoder reads. */
export function toWireRow(cells: ReadonlyArray<Buffer | null>): WireRow {
  const lengths = cells.map((c) => (c === null ? -1 : c.length));
  return { lengths, values: Buffer.concat(cells.filter((c): c is Buffer => c !== null)) };
}

/** `host:port` of a connection (for error messages; never its password). */
function endpoint(connection: VtgateMysqlOptions['connection']): string {
  if (typeof connection !== 'string' && connection.uri === undefined) return `${connection.host ?? 'localhost'}:${connection.port ?? 3306}`;
  try {
    const url = new URL(typeof connection === 'string' ? connection : connection.uri!);
    return `${url.hostname}:${url.port || 3306}`;
  } catch {
    return 'vtgate';
  }
}
