/**
 * A tablet's message counters, read from its HTTP `/debug/vars` (vttablet's
 * `Messages` gauges, labelled `<table>.<metric>`). Read-only: asking a tablet
 * which subscribers it has costs nothing and takes no message, where opening
 * a stream would make the reader a receiver and steal deliveries.
 */
import { VitessMessagesError } from '../core/errors';

/** vttablet's message gauges of one table (v0.24: `messager/message_manager.go`). Absent: never set since the tablet started. */
export interface TableCounters {
  /** Receivers (open `stream * from t`) connected to the table's message manager now. */
  readonly clientCount?: number;
  /** Messages sent to receivers since the tablet started. */
  readonly sent?: number;
  /** Messages sent after their due time had passed by more than the ack wait (a slow or absent receiver). */
  readonly delayed?: number;
  /** Acked rows purged. */
  readonly purged?: number;
  /** Postpone UPDATEs after a send that failed. */
  readonly postponeFailed?: number;
  /** Purge DELETEs that failed. */
  readonly purgeFailed?: number;
  /** Binlog streams of the message manager that failed. */
  readonly vstreamFailed?: number;
}

/** What one tablet HTTP address reported. */
export interface TabletCounters {
  /** The address asked (`http://host:port`). */
  readonly address: string;
  /** The tablet's keyspace (`TabletKeyspace`). Absent for a merged address, which serves several. */
  readonly keyspace?: string;
  /** The tablet's shard (`TabletShard`: `-80`, `0`). Absent for a merged address, which serves several. */
  readonly shard?: string;
  /**
   * True when the address serves several tablets whose counters are merged
   * into one figure per table (vtcombo, vttestserver): the counters do not
   * tell shards apart, and `clientCount` is whichever shard set it last.
   */
  readonly merged: boolean;
  /** Per table name (vttablet labels by table name only, not keyspace). */
  readonly tables: Readonly<Record<string, TableCounters>>;
}

/** The tablet's HTTP address could not be read. */
export class TabletHttpError extends VitessMessagesError {
  /** `'TabletHttpError'`, for logs; test the class with `instanceof`. */
  override readonly name = 'TabletHttpError';
  constructor(
    /** The address asked. */
    readonly address: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`tablet HTTP ${address}: ${message}`, options);
  }
}

const METRIC_KEYS: Record<string, keyof TableCounters> = {
  ClientCount: 'clientCount',
  Sent: 'sent',
  Delayed: 'delayed',
  Purged: 'purged',
  PostponeFailed: 'postponeFailed',
  PurgeFailed: 'purgeFailed',
  VStreamFailed: 'vstreamFailed',
};

/** `host:port` or a URL, as a base URL without a trailing slash. */
export function tabletBaseUrl(address: string): string {
  const withScheme = /^https?:\/\//.test(address) ? address : `http://${address}`;
  return withScheme.replace(/\/+$/, '');
}

/**
 * The message counters of a `/debug/vars` document (pure; see
 * {@link readTabletCounters}).
 */
export function parseTabletVars(address: string, vars: Record<string, unknown>): TabletCounters {
  const tables: Record<string, Record<string, number>> = {};
  const messages = vars['Messages'];
  if (messages && typeof messages === 'object') {
    for (const [key, value] of Object.entries(messages as Record<string, unknown>)) {
      const dot = key.lastIndexOf('.');
      if (dot <= 0 || typeof value !== 'number') continue;
      const field = METRIC_KEYS[key.slice(dot + 1)];
      if (field) (tables[key.slice(0, dot)] ??= {})[field] = value;
    }
  }
  const states = vars['TabletState'];
  const merged = states !== null && typeof states === 'object' && Object.keys(states).length > 1;
  const text = (k: string): string | undefined => (typeof vars[k] === 'string' && vars[k] !== '' ? (vars[k] as string) : undefined);
  const keyspace = merged ? undefined : text('TabletKeyspace');
  const shard = merged ? undefined : text('TabletShard');
  return { address, merged, tables, ...(keyspace ? { keyspace } : {}), ...(shard ? { shard } : {}) };
}

/**
 * Reads a tablet's (or vtcombo's) `/debug/vars` and returns its message
 * counters. `address` is `host:port` of the tablet's HTTP port (vttablet's
 * `--port`, vtcombo's too) or a URL.
 *
 * @throws TabletHttpError when the address cannot be read or does not answer JSON.
 */
export async function readTabletCounters(address: string, options: { timeoutMs?: number } = {}): Promise<TabletCounters> {
  const base = tabletBaseUrl(address);
  let res: Response;
  try {
    res = await fetch(`${base}/debug/vars`, { signal: AbortSignal.timeout(options.timeoutMs ?? 5_000) });
  } catch (err) {
    throw new TabletHttpError(base, `cannot read /debug/vars: ${String((err as Error).cause ?? (err as Error).message)}`, { cause: err });
  }
  if (!res.ok) {
    // An unread body keeps its connection busy until the GC gets to it.
    await res.body?.cancel().catch(() => undefined);
    throw new TabletHttpError(base, `/debug/vars answered HTTP ${res.status}`);
  }
  let vars: unknown;
  try {
    vars = await res.json();
  } catch (err) {
    throw new TabletHttpError(base, '/debug/vars is not JSON (is this a tablet\'s HTTP port?)', { cause: err });
  }
  if (!vars || typeof vars !== 'object') throw new TabletHttpError(base, '/debug/vars is not a JSON object');
  return parseTabletVars(base, vars as Record<string, unknown>);
}

/**
 * The counters that speak for `table` on `shard` of `keyspace` among those
 * read: a tablet of that shard, or a merged address (vtcombo). Undefined when
 * none does.
 */
export function countersFor(tablets: readonly TabletCounters[], table: string, keyspace?: string, shard?: string): { tablet: TabletCounters; counters: TableCounters } | undefined {
  const fits = (t: TabletCounters): boolean => t.merged || ((keyspace === undefined || t.keyspace === undefined || t.keyspace === keyspace) && (shard === undefined || t.shard === undefined || t.shard === shard));
  const tablet = tablets.find(fits);
  return tablet ? { tablet, counters: tablet.tables[table] ?? {} } : undefined;
}

/** Reads every address given (none: no counters), in parallel. */
export async function readTablets(addresses: string | readonly string[] | undefined): Promise<TabletCounters[]> {
  const list = addresses === undefined ? [] : typeof addresses === 'string' ? [addresses] : addresses;
  return Promise.all(list.map((a) => readTabletCounters(a)));
}
