/**
 * A `Queue` shaped like the 2018 Go client's (`NewQueue(name, fieldNames)`,
 * `Add`, `AddScheduled`, `Ack`, `Nack`, `Fail`), for people porting from it. Each
 * call takes the {@link Executor} to run on — the Go client's `Execer` — so it
 * joins the caller's transaction when given one (`fromMysql2(conn)`,
 * `fromPrisma(tx)`, `fromEntityManager(m)`).
 *
 * Differences from the Go client: ids are bigint or decimal strings (a JS number
 * loses precision above 2^53); `Nack` really re-queues (the seed's was a no-op);
 * `Fail` keeps a reason; the table layout is today's (DESIGN §1), not the seed's
 * `time_scheduled` one.
 */
import { InvalidOptionError } from './core/errors';
import type { Executor, SqlParam } from './core/executor';
import { checkIdentifier, checkKeyspace } from './core/identifiers';
import type { MessageId } from './core/ids';
import { ack, enqueue, fail, nack, type MessageRef } from './core/operations';
import { checkOptionNames } from './core/options';
import type { MessageTableSpec } from './core/spec';
import { toMs, type Duration } from './core/time';
import type { SubscriberStats } from './subscriber/events';
import type { Settlement } from './subscriber/message';
import { QueueReceiver, type QueueGetOptions, type QueueMessage, type QueueOpenOptions } from './subscriber/queue-stream';

export type { QueueGetOptions, QueueMessage, QueueOpenOptions };

/** Options of `new Queue(name, fieldNames, options)`: where the table is and how its fields are typed. */
export interface QueueOptions {
  /** Keyspace of the table. Default: the connection's default keyspace. */
  readonly keyspace?: string;
  /**
   * The table's vindex column when it is a business column (one of
   * `fieldNames`), so acks can be routed (pass `{ id, vindexValue }`). Default `id`.
   */
  readonly vindexColumn?: string;
  /**
   * SQL types of fields, e.g. `{ payload: 'json' }`, so values are checked and
   * converted as for that type. Default: untyped — strings, numbers, booleans,
   * Dates and Buffers pass as they are, and plain objects and arrays go as JSON.
   */
  readonly fieldTypes?: Readonly<Record<string, string>>;
}

/**
 * The 2018 Go client's `Queue` (`NewQueue`, `Add`, `AddScheduled`, `Ack`,
 * `Nack`, `Fail`), for code ported from it: each call takes the
 * {@link Executor} to run on, so it joins the caller's transaction. New code
 * should prefer {@link messageQueue}, which types payloads and handlers.
 *
 * @example
 * ```ts
 * const q = new Queue('email_job', ['recipient', 'body'], { keyspace: 'commerce', fieldTypes: { body: 'json' } });
 * await q.add(fromMysql2(conn), 42n, 'a@b.c', { subject: 'Hi' }); // id, then the fields in order
 * q.open('vtgate:15991', 'commerce@primary', { executor: fromMysql2(pool) });
 * const m = await q.get();
 * await q.ack(fromMysql2(pool), m.id);
 * await q.close();
 * ```
 */
export class Queue {
  /** The table name. */
  readonly name: string;
  /** Payload columns, in the order `add` takes their values. */
  readonly fieldNames: readonly string[];
  /** The table definition the operations use. */
  readonly spec: MessageTableSpec;

  constructor(name: string, fieldNames: readonly string[], options: QueueOptions = {}) {
    checkOptionNames(options, ['keyspace', 'vindexColumn', 'fieldTypes'], 'Queue');
    checkIdentifier(name, 'name', 'Queue');
    if (!Array.isArray(fieldNames)) throw new InvalidOptionError('Queue', 'fieldNames', 'must be an array of column names', fieldNames);
    for (const f of fieldNames) checkIdentifier(f, 'fieldNames', 'Queue');
    if (options.keyspace !== undefined) checkKeyspace(options.keyspace, 'Queue');
    const vindex = options.vindexColumn ?? 'id';
    if (vindex !== 'id' && !fieldNames.includes(vindex)) throw new InvalidOptionError('Queue', 'vindexColumn', 'must be id or one of fieldNames', vindex);
    this.name = name;
    this.fieldNames = Object.freeze([...fieldNames]);
    this.spec = Object.freeze({
      table: name,
      ...(options.keyspace !== undefined ? { keyspace: options.keyspace } : {}),
      payload: fieldNames.map((f) => ({ name: f, property: f, sqlType: options.fieldTypes?.[f] ?? 'untyped', nullable: true })),
      streamed: ['id', 'epoch', ...fieldNames],
      vindex: { column: vindex, type: 'hash' },
      // The table's DDL is the user's; these are Vitess's documented example values.
      // Read only as hints: the ack wait bounds nack/fail's race wait and the
      // receiver's expiry check, the poller interval its stall check.
      options: { ackWaitMs: 30_000, purgeAfterMs: 86_400_000, pollerIntervalMs: 30_000, batchSize: 10, cacheSize: 10_000 },
    });
  }

  /** Adds a message, due now; `data` are the values of `fieldNames`, in order. Returns the id. */
  async add(executor: Executor, id: MessageId, ...data: unknown[]): Promise<string> {
    return enqueue(executor, this.spec, this.#payload(data), { id });
  }

  /** Adds a message due at `timeScheduledNs` (Unix nanoseconds, bigint or decimal string). Returns the id. */
  async addScheduled(executor: Executor, id: MessageId, timeScheduledNs: bigint | string, ...data: unknown[]): Promise<string> {
    return enqueue(executor, this.spec, this.#payload(data), { id, deliverAtNs: timeScheduledNs });
  }

  /** Marks a message done. Returns 1 when it was acked now, 0 when it was already acked (or unknown). */
  async ack(executor: Executor, id: MessageRef): Promise<number> {
    return this.#settle(id, 'acked', () => ack(executor, this.spec, id));
  }

  /** Makes a message due again now (the Go client's Nack was a no-op). Returns how many were re-queued. */
  async nack(executor: Executor, id: MessageRef): Promise<number> {
    return this.#settle(id, 'nacked', () => nack(executor, this.spec, this.#withEpoch(id)));
  }

  /** Parks a message as failed until someone retries it (the reason cut to fit its column). Returns how many were failed now. */
  async fail(executor: Executor, id: MessageRef, reason?: string): Promise<number> {
    return this.#settle(id, 'failed', () => fail(executor, this.spec, this.#withEpoch(id), reason === undefined ? {} : { reason }));
  }

  /**
   * Runs a settle statement; a message received through `get()` frees its
   * place under `maxConcurrent` whatever came of it (one that failed comes
   * back after its ack wait and is received again).
   */
  async #settle(id: MessageRef, how: Settlement, run: () => Promise<number>): Promise<number> {
    let n: number;
    try {
      n = await run();
    } catch (err) {
      this.#receiver?.settled(refId(id), 'errored');
      throw err;
    }
    this.#receiver?.settled(refId(id), n > 0 ? how : 'missed');
    return n;
  }

  /** The receiver's counters (see {@link SubscriberStats}); undefined before `open()`. */
  stats(): SubscriberStats | undefined {
    return this.#receiver?.stats();
  }

  #receiver: QueueReceiver | undefined;

  /**
   * Starts streaming the queue from vtgate's gRPC `address` (`host:port`) on
   * `target` (`keyspace`, `keyspace@primary` or `keyspace:shard@primary`). At
   * most `maxConcurrent` messages are held until acked, nacked or failed through
   * this Queue. Synchronous: the stream opens in the background, and errors
   * surface from `get()`.
   */
  open(address: string, target: string, options: QueueOpenOptions = {}): void {
    if (this.#receiver) throw new InvalidOptionError(`Queue(${this.name})`, 'open', 'was already called; close() first');
    checkOptionNames(options, ['executor', 'maxConcurrent', 'grpc'], `Queue(${this.name}).open`);
    this.#receiver = new QueueReceiver(this.spec, this.fieldNames, address, target, options);
  }

  /** The next message; waits until one arrives or `signal` aborts (nothing is lost by aborting). */
  get(options: QueueGetOptions = {}): Promise<QueueMessage> {
    try {
      checkOptionNames(options, ['signal'], `Queue(${this.name}).get`);
    } catch (err) {
      return Promise.reject(err);
    }
    if (!this.#receiver) return Promise.reject(new InvalidOptionError(`Queue(${this.name})`, 'get', 'needs open() first'));
    return this.#receiver.get(options);
  }

  /**
   * Stops streaming: messages received but not handed out by `get()` are nacked
   * (with the executor given to `open`) so they come back at once; handed-out
   * ones are waited for up to `timeout` (milliseconds or `'10s'`; default
   * 30 s). Idempotent.
   */
  async close(options: { timeout?: Duration } = {}): Promise<void> {
    checkOptionNames(options, ['timeout'], `Queue(${this.name}).close`);
    if (options.timeout !== undefined) toMs(options.timeout, 'timeout', `Queue(${this.name}).close`);
    const r = this.#receiver;
    if (!r) return;
    await r.close(options.timeout);
    if (this.#receiver === r) this.#receiver = undefined;
  }

  /** A streamed message's ref with the epoch it came with, so nack/fail cannot lose the postpone race. */
  #withEpoch(id: MessageRef): MessageRef {
    const epoch = this.#receiver?.epochOf(refId(id));
    if (epoch === undefined || (typeof id === 'object' && id.epoch !== undefined)) return id;
    return typeof id === 'object' ? { ...id, epoch } : { id, epoch };
  }

  #payload(data: unknown[]): Record<string, unknown> {
    if (data.length !== this.fieldNames.length) {
      throw new InvalidOptionError(`Queue(${this.name})`, 'data', `must hold one value per field (${this.fieldNames.join(', ')}): expected ${this.fieldNames.length}, got ${data.length}`);
    }
    const out: Record<string, unknown> = {};
    this.fieldNames.forEach((f, i) => {
      const v = data[i];
      const untyped = !this.spec.payload[i]!.sqlType || this.spec.payload[i]!.sqlType === 'untyped';
      const plainObject = v !== null && typeof v === 'object' && !(v instanceof Date) && !Buffer.isBuffer(v) && !(v instanceof Uint8Array);
      out[f] = untyped && plainObject ? (JSON.stringify(v) satisfies SqlParam) : v;
    });
    return out;
  }
}

function refId(ref: MessageRef): string {
  const id = typeof ref === 'object' ? ref.id : ref;
  return String(id);
}
