/**
 * The ORM-agnostic definition of a message table: what the DDL generator, the
 * SQL builders and the subscriber need to know. TypeORM entities are resolved to
 * a spec (`src/typeorm/`); Prisma and raw-SQL users write one with
 * `defineMessageTable()`.
 */

/**
 * The column an opted-in table (`traceContext: true`) stores its W3C
 * traceparent in, and its type: 55 characters for version 00. Here, not in
 * `telemetry/`, so core needs no telemetry module to describe a table.
 */
export const TRACEPARENT_COLUMN = 'traceparent';
/** SQL type of {@link TRACEPARENT_COLUMN}. */
export const TRACEPARENT_SQL_TYPE = 'varchar(55)';

/** Names of the bookkeeping columns, fixed by Vitess (plus our failure reason). */
export const BOOKKEEPING = {
  id: 'id',
  priority: 'priority',
  epoch: 'epoch',
  timeNext: 'time_next',
  timeAcked: 'time_acked',
  /** Ours, not Vitess's: why a message was failed; never streamed. */
  failureReason: 'failure_reason',
  /** Ours: when the message was enqueued (Unix ns, the database's clock); never streamed. */
  enqueuedAt: 'enqueued_at',
  /** Ours: when the message was last failed (Unix ns, the database's clock); never streamed. */
  failedAt: 'failed_at',
} as const;

/**
 * The index the tablet's poller query uses, `(time_acked, priority, time_next DESC)`.
 * Here in core because both the TypeORM decorator and the DDL builder name it.
 */
export const POLLER_INDEX = 'poller_idx';

/**
 * Our bookkeeping columns (not Vitess's): read by people and tools, never
 * streamed — `vt_message_cols` cannot name them, and `streamedColumns` only
 * takes payload columns.
 */
export const UNSTREAMED_BOOKKEEPING: ReadonlySet<string> = new Set([BOOKKEEPING.failureReason, BOOKKEEPING.enqueuedAt, BOOKKEEPING.failedAt]);

/**
 * What a table with `traceContext: true` streams after `id`, `epoch` and the
 * vindex column, for telemetry: `time_next` as the tablet read the row (0 for
 * a row it took from the binlog as due at once, else when it became due),
 * `enqueued_at` (the due time of those), and the `traceparent`. The
 * subscriber takes all three out of the row before the handler sees it.
 */
export const TELEMETRY_STREAMED: readonly string[] = Object.freeze([BOOKKEEPING.timeNext, BOOKKEEPING.enqueuedAt, TRACEPARENT_COLUMN]);

/** One payload column of a message table (or a bookkeeping one), as the DDL and the operations see it. */
export interface PayloadColumnSpec {
  /** The column's name in the database. */
  readonly name: string;
  /** The property name on the entity / plain object (defaults to `name`). */
  readonly property: string;
  /** The full column type as DDL, e.g. `varchar(255)`, `json`, `decimal(30,10)`. */
  readonly sqlType: string;
  /** Whether the column takes NULL (then a payload may leave it out). */
  readonly nullable: boolean;
  /** A DDL default expression, already rendered (e.g. `'pending'`, `0`), if any. */
  readonly default?: string;
  /** `ON UPDATE` expression, e.g. `CURRENT_TIMESTAMP(6)`; absent: none. */
  readonly onUpdate?: string;
  /**
   * A generated column: MySQL computes it from `expression`; `stored` keeps it on
   * disk, else it is VIRTUAL. Payloads may not set it (enqueue writes `DEFAULT`).
   */
  readonly generated?: { readonly expression: string; readonly stored: boolean };
  /** The column's comment, as plain text (the DDL quotes it). Absent: none. */
  readonly comment?: string;
}

/** Table options, in the JS units (milliseconds). */
export interface MessageTableOptions {
  /** `vt_ack_wait`: how long a sent message is not sent again (its lease). Default 30 s. */
  readonly ackWaitMs: number;
  /** `vt_purge_after`: how long after its ack a message is deleted by the tablet. Default 1 day. */
  readonly purgeAfterMs: number;
  /** `vt_poller_interval`: how often the tablet reads due messages into its cache. Default 1 s (for `defineMessageTable` and `@MessageTable`). */
  readonly pollerIntervalMs: number;
  /** `vt_batch_size`: most rows per stream packet. Default 500. */
  readonly batchSize: number;
  /** `vt_cache_size`: most messages the tablet holds ready to send. Default 10,000. */
  readonly cacheSize: number;
  /** Absent: Vitess uses the ack wait. */
  readonly minBackoffMs?: number;
  /** Absent: unbounded. */
  readonly maxBackoffMs?: number;
  /** Default attempt limit for subscribers (they may override it). Absent: unlimited. */
  readonly maxAttempts?: number;
}

/**
 * The key of {@link MessageTableSpec}'s phantom payload type. Declared only:
 * no spec carries it at run time.
 */
export declare const payloadType: unique symbol;

/**
 * A message table as the library sees it. `P` is the payload type of its
 * messages, carried by the type only (a phantom: nothing at run time):
 * `defineMessageTable` infers it from the columns or takes it explicitly, and
 * `messageQueue(spec, …)` types `enqueue` and handlers with it. Default
 * `unknown`: a spec of any payload, which every typed spec is assignable to.
 */
export interface MessageTableSpec<P = unknown> {
  /** Phantom: the payload type (see above); never present at run time. */
  readonly [payloadType]?: P;
  /** The table name (validated: a plain identifier). */
  readonly table: string;
  /** Keyspace that holds the table; absent = the connection's default. */
  readonly keyspace?: string;
  /** The payload columns, in DDL order (the bookkeeping columns are implied). */
  readonly payload: readonly PayloadColumnSpec[];
  /** Columns the stream carries (`vt_message_cols`): id, epoch, the vindex column if not id, then payload. */
  readonly streamed: readonly string[];
  /** Primary vindex for a sharded keyspace (column + vindex type, e.g. `hash`). */
  readonly vindex?: { readonly column: string; readonly type: string };
  /** The table's messaging options (its comment), resolved with their defaults. */
  readonly options: MessageTableOptions;
  /** Secondary indexes of the user's (the primary key and `poller_idx` are implied). Absent = none. */
  readonly indexes?: readonly IndexSpec[];
  /**
   * `true` when the table has a `traceparent` column (the first payload
   * column, streamed, nullable): enqueue stores the W3C traceparent of the
   * active trace there, and the subscriber links its `process` span to it and
   * leaves it out of the handler's message. Absent: no such column.
   */
  readonly traceContext?: true;
}

/** A user index on payload (or bookkeeping) columns. */
export interface IndexSpec {
  /** The index name. */
  readonly name: string;
  /** Column names in the database, in index order. */
  readonly columns: readonly string[];
  /** A UNIQUE index. */
  readonly unique: boolean;
  /** A FULLTEXT or SPATIAL index (never unique); absent: an ordinary B-tree index. */
  readonly kind?: 'fulltext' | 'spatial';
  /** Full-text parser plugin (`WITH PARSER`, e.g. `ngram`); only with `kind: 'fulltext'`. */
  readonly parser?: string;
}
