/**
 * Reads the counts of the dashboard's tables every interval (one `counts()`
 * per table, per shard when shard connections can be opened) and keeps the
 * latest answer and a short history for the throughput sparkline. It only
 * reads: nothing here streams or takes a message.
 */
import type { Executor } from '../core/executor';
import { counts, type CountsResult, type ShardConnection } from '../core/queue-admin';
import type { MessageTableSpec } from '../core/spec';
import { ThroughputRing, type ThroughputPoint } from './throughput-ring';

/** What the dashboard knows of one table. */
export interface TableSnapshot {
  /** `keyspace.table` (or `table` without a keyspace): how requests name it. */
  readonly key: string;
  readonly keyspace: string | null;
  readonly table: string;
  /** The latest counts; null until the first read, or when it failed. */
  readonly counts: CountsResult | null;
  /** Why the latest read failed, if it did. */
  readonly error: string | null;
  /** When the latest read ended (Unix ms). */
  readonly polledAtMs: number | null;
  readonly throughput: readonly ThroughputPoint[];
}

/** The key a table is known by: `keyspace.table`, or `table` without a keyspace. */
export function tableKey(spec: MessageTableSpec): string {
  return spec.keyspace ? `${spec.keyspace}.${spec.table}` : spec.table;
}

interface Entry {
  readonly spec: MessageTableSpec;
  readonly ring: ThroughputRing;
  snapshot: TableSnapshot;
  /** Where the next read counts acks from (the database's now at the last read); '0' before the first. */
  ackedAfterNs: string;
  /** The read under way: reads of one table run one at a time, or two would count the same acks. */
  polling: Promise<void>;
}

export class CountPoller {
  readonly #entries = new Map<string, Entry>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #closed = false;

  constructor(
    readonly executor: Executor,
    tables: readonly MessageTableSpec[],
    readonly intervalMs: number,
    history: number,
    readonly openConnection?: () => Promise<ShardConnection>,
  ) {
    for (const spec of tables) {
      const key = tableKey(spec);
      this.#entries.set(key, {
        spec,
        ring: new ThroughputRing(history),
        ackedAfterNs: '0',
        polling: Promise.resolve(),
        snapshot: { key, keyspace: spec.keyspace ?? null, table: spec.table, counts: null, error: null, polledAtMs: null, throughput: [] },
      });
    }
  }

  /** The spec of a table the dashboard serves, by key. */
  spec(key: string): MessageTableSpec | undefined {
    return this.#entries.get(key)?.spec;
  }

  /** Reads every table now, then again every interval until {@link close}. */
  start(): Promise<void> {
    return this.#pollAll();
  }

  /** The latest snapshots, in the order the tables were given; waits for the first read if none ended yet. */
  async snapshots(): Promise<TableSnapshot[]> {
    if ([...this.#entries.values()].some((e) => e.snapshot.polledAtMs === null)) await this.#running;
    return [...this.#entries.values()].map((e) => e.snapshot);
  }

  /** Reads one table now (after a change from the page), and returns its new snapshot. */
  async refresh(key: string): Promise<TableSnapshot> {
    const entry = this.#entries.get(key);
    if (!entry) throw new Error(`unknown table ${key}`);
    await this.#poll(entry);
    return entry.snapshot;
  }

  /** Stops polling; waits for a read under way. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  #pollAll(): Promise<void> {
    // Tables one after another: a full pass per table, kept off the shards' CPU at once.
    this.#running = (async () => {
      for (const entry of this.#entries.values()) {
        if (this.#closed) return;
        await this.#poll(entry);
      }
    })().finally(() => {
      if (!this.#closed) this.#timer = setTimeout(() => void this.#pollAll(), this.intervalMs).unref();
    });
    return this.#running;
  }

  #poll(entry: Entry): Promise<void> {
    entry.polling = entry.polling.then(() => this.#read(entry));
    return entry.polling;
  }

  async #read(entry: Entry): Promise<void> {
    const key = entry.snapshot.key;
    try {
      const result = await counts(this.executor, entry.spec, { ackedAfterNs: entry.ackedAfterNs, ...(this.openConnection ? { openConnection: this.openConnection } : {}) });
      const atMs = Date.now();
      // A failed read moves nothing: the next one counts the acks of both intervals.
      entry.ackedAfterNs = result.readAtNs!;
      entry.ring.push({ atMs, acks: result.ackedAfter!, due: result.due });
      entry.snapshot = { ...entry.snapshot, key, counts: result, error: null, polledAtMs: atMs, throughput: entry.ring.points() };
    } catch (err) {
      entry.snapshot = { ...entry.snapshot, counts: null, error: err instanceof Error ? err.message : String(err), polledAtMs: Date.now() };
    }
  }
}
