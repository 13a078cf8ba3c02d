/**
 * The producer operations over any {@link Executor} and {@link MessageTableSpec}:
 * enqueue, ack, nack, fail, retry, extend, listFailed. TypeORM, mysql2 and Prisma
 * users reach them through their adapters; nothing here loads an ORM.
 *
 * Every operation runs its statements on the executor it is given and never
 * issues BEGIN, COMMIT or ROLLBACK: inside a caller's transaction, the messages
 * exist (or are acked) if and only if that transaction commits — exactly so when
 * they live on the same shard as the transaction's other rows (DESIGN
 * "Transactions across shards"; a transaction spanning shards commits shard by
 * shard under vtgate's default `MULTI` mode).
 */
import { driverErrorCode } from './driver-error-code';
import { DuplicateIdError, InvalidOptionError, PayloadTooLongError, QueryError, type DuplicateIdClash } from './errors';
import type { ExecResult, Executor, SqlParam, Statement } from './executor';
import { idFromKey, normalizeId, randomId, type MessageId } from './ids';
import { checkOptionNames } from './options';
import { columnKind, hasValidationRules, payloadParams, toColumnParam, validateWithClass } from './payload';
import { runGuarded, targetBatch, type RaceTarget } from './race';
import { BOOKKEEPING, type MessageTableSpec } from './spec';
import { buildAck } from './sql/ack';
import { DB_NOW_COLUMN, buildSelectDbNow } from './sql/db-now';
import { buildEnqueue, clearRepeatMark, DEFAULT_VALUE, type EnqueueRow } from './sql/enqueue';
import { buildExtend } from './sql/extend';
import { buildFail } from './sql/fail';
import { buildGetMessages } from './sql/get-messages';
import { buildListFailed } from './sql/list-failed';
import { buildNack } from './sql/nack';
import { buildRetry } from './sql/retry';
import { routingColumn, tableLabel, type TargetBatch } from './sql/target';
import { buildReadVindexValues } from './sql/vindex-values';
import { dueNs, leaseNs, raceWaitMs } from './due';
import { NEVER_NS, type Duration } from './time';
import { clipReason } from './reason';
import { sendTelemetry } from '../telemetry/send-telemetry';

/** When a message becomes due, and in which order. */
export interface DeliveryOptions {
  /**
   * Deliver at this instant (a Date or Unix milliseconds). Default: now. Not
   * together with `delay`.
   */
  readonly deliverAt?: Date | number;
  /** Deliver after this long (milliseconds or `'30s'`). Default: now. Not together with `deliverAt`. */
  readonly delay?: Duration;
  /**
   * Deliver at this Unix time in nanoseconds (bigint or decimal string), as the
   * Go client's `AddScheduled` took it. Not together with `deliverAt` or `delay`.
   */
  readonly deliverAtNs?: bigint | string;
}

/** Options of one enqueued message. */
export interface MessageOptions extends DeliveryOptions {
  /**
   * The message id: a positive 64-bit integer as a bigint or decimal string.
   * Default: a random 63-bit id. Choose one for idempotency: the same id twice
   * keeps the first message (and is not an error). On a table sharded by a
   * business column ids are unique per shard: the same id with the same vindex
   * value is that repeat; with another value on another shard it is another
   * message; with another value on the same shard the call throws
   * {@link DuplicateIdError} and writes nothing.
   */
  readonly id?: MessageId;
  /**
   * A dedupe key (e.g. `'order-42:receipt'`): the id becomes {@link idFromKey}
   * of it, so a producer that retries after a crash or timeout enqueues the
   * message once (BullMQ's `jobId`, pg-boss's `singletonKey`). The same key
   * again keeps the first message, payload and all, for as long as the row
   * exists (acked rows are purged after the table's `purgeAfter`). Not
   * together with `id`. Default: none (a random id).
   */
  readonly key?: string;
  /**
   * Lower is delivered first (Vitess orders due messages by priority). An
   * integer in [0, 127] (the column is a tinyint). Default 50, the column's
   * canonical default, which leaves room on both sides.
   */
  readonly priority?: number;
}

/** Options shared by a whole enqueue call. */
export interface ValidationOptions {
  /**
   * Run class-validator on each payload before any SQL. `true` validates against
   * `entity`; a class validates against that class. Default: validate when
   * `entity` carries class-validator rules (without rules there is nothing to
   * check), otherwise not.
   */
  readonly validate?: boolean | Function;
  /** The entity class the payloads belong to (the TypeORM layer passes it). */
  readonly entity?: Function;
}

/** Options of one {@link enqueue}: when and how the message is delivered, and how its payload is checked. */
export type EnqueueOptions = MessageOptions & ValidationOptions;

/** One message of an {@link enqueueMany} batch. */
export interface EnqueueItem<P extends object = Record<string, unknown>> extends MessageOptions {
  /** The message's payload: one value per payload column, by property name. */
  readonly payload: P;
}

/** Options of {@link enqueueMany}: the batch's statement size and how payloads are checked. */
export interface EnqueueManyOptions extends ValidationOptions {
  /**
   * Rows per INSERT statement. Default 500: multi-row INSERTs of 500 through
   * vtgate measured ≈ 40k messages/s here, and larger statements only grow the
   * packet and the time a shard holds locks.
   */
  readonly chunkSize?: number;
}

/**
 * A message to act on: its id, or the id with what the subscriber saw.
 * - `epoch`: the epoch it was streamed with. Nack, fail and extend then match
 *   `epoch = epoch + 1` — the state after the tablet's postpone — and retry for
 *   up to `raceWait` while nothing matches, so they cannot be overwritten by a
 *   postpone that has not run yet (DESIGN "Send, then postpone").
 * - `vindexValue`: the value of the table's business vindex column, so the
 *   statement goes to that shard only instead of all of them.
 */
export type MessageRef = MessageId | { readonly id: MessageId; readonly epoch?: number; readonly vindexValue?: unknown };

/**
 * How a nack, fail or extend of a just-streamed message waits out the
 * tablet's postpone of it (its epoch bump), so the postpone cannot undo it.
 */
export interface RaceOptions {
  /**
   * With a streamed `epoch`, how long (milliseconds or `'30s'`) to keep retrying while no row matches and
   * the row still shows the streamed epoch (its postpone has not landed). The
   * postpone normally lands within milliseconds, but the tablet runs the
   * postpones of all tables through a small shared semaphore, so under load it
   * can take seconds (seen here: over 1 s while other tests ran). Default: the
   * table's ack wait, after which the tablet gives the postpone up. A message
   * already acked, failed, sent again or gone returns 0 at once. Use a streamed
   * epoch on an autocommit executor: inside a transaction, the statement that
   * matched nothing still locks the row until commit and so holds the postpone
   * back (and the transaction's snapshot may keep showing the old epoch).
   */
  readonly raceWait?: Duration;
}

/**
 * Options of a nack: the one type taken by `nack()`, the TypeORM repository's
 * `nack` and the subscriber's `ctx.nack` (which honours every field; its
 * `raceWait` defaults to the subscriber's). Default: due again now. A delay is
 * `delay` everywhere (`delayMs` is refused with a hint).
 */
export interface NackOptions extends DeliveryOptions, RaceOptions {}

/** Options of a fail (dead letter): `fail()`, the repository's `fail` and `ctx.fail`. */
export interface FailOptions extends RaceOptions {
  /**
   * Stored in the failure-reason column (e.g. the handler's last error). Default:
   * none (NULL). A reason over 65,535 UTF-8 bytes is cut there (ending in `…`,
   * lone surrogates as U+FFFD; see `clipReason`): the column is a TEXT, and a
   * dead letter must not be refused for the length of its error message.
   */
  readonly reason?: string;
}

/** Options of a lease extension: `extend()`, the repository's `extend` and `ctx.extend`. */
export interface ExtendOptions extends RaceOptions {
  /**
   * The new lease (milliseconds or `'30s'`, above 0): the message is not sent
   * again until now + `by`. Required: there is no sensible default length.
   */
  readonly by: Duration;
}

/** A page of {@link listFailed}: keyset pagination by id, so pages stay stable while messages fail or are retried. */
export interface ListFailedOptions {
  /** Id of the last message of the previous page (`page.next`). Default: from the start. */
  readonly after?: MessageId;
  /** Messages per page, 1 to 1000. Default 100. */
  readonly limit?: number;
}

/** A dead letter as {@link listFailed} returns it: bookkeeping, reason and payload. */
export interface FailedMessage {
  /** Decimal id. */
  readonly id: string;
  /** Its priority (0–127, lower first), as enqueued. */
  readonly priority: number;
  /** Deliveries before it was failed (a number, as the stream's `epoch` and `ctx.epoch`). */
  readonly epoch: number;
  /** Why it was failed, as given to `fail`. */
  readonly reason: string | null;
  /** When it was enqueued: Unix ns (decimal) on the database's clock; null for rows enqueued before the column existed. */
  readonly enqueuedAtNs: string | null;
  /** When it was failed: Unix ns (decimal) on the database's clock; null for rows failed before the column existed. */
  readonly failedAtNs: string | null;
  /** The payload columns, keyed by property name (json parsed; 64-bit integers as strings). */
  readonly payload: Record<string, unknown>;
}

/** One page of {@link listFailed}. */
export interface FailedPage {
  /** The failed messages of this page, by id. */
  readonly messages: readonly FailedMessage[];
  /** Pass as `after` for the next page; absent on the last page. */
  readonly next?: string;
}

/**
 * A message's state as {@link getMessages} reads it: `pending` (not yet acked
 * nor failed: due, scheduled or in flight), `acked` (awaiting the purge) or
 * `failed` (a dead letter). The queue's `get` tells the pending ones apart.
 */
export type MessageState = 'pending' | 'acked' | 'failed';

/** The bookkeeping of one message, as {@link getMessages} returns it (no payload). */
export interface MessageStatus {
  /** Decimal id. */
  readonly id: string;
  /** Pending, acked or failed. */
  readonly state: MessageState;
  /** Its priority (0–127, lower first). */
  readonly priority: number;
  /** Deliveries so far (a number, as the stream's `epoch` and `ctx.epoch`). */
  readonly epoch: number;
  /** Unix ns when it is next due (decimal); null once acked. */
  readonly timeNextNs: string | null;
  /** When it was acked: Unix ns (decimal) on the database's clock; null unless acked. */
  readonly timeAckedNs: string | null;
  /** Why it was failed (the failure-reason column); null unless failed. */
  readonly reason: string | null;
  /** When it was enqueued: Unix ns (decimal) on the database's clock; null for rows enqueued before the column existed (or by other producers). */
  readonly enqueuedAtNs: string | null;
  /** When it was failed: Unix ns (decimal) on the database's clock; null unless failed (a retry clears it). */
  readonly failedAtNs: string | null;
}

// Valid option names, for refusing misspelt ones (checkOptionNames).
const DELIVERY_OPTIONS = ['deliverAt', 'delay', 'deliverAtNs'] as const;
const MESSAGE_OPTIONS = ['id', ...DELIVERY_OPTIONS, 'priority', 'key'] as const;
const VALIDATION_OPTIONS = ['validate', 'entity'] as const;
const ENQUEUE_OPTIONS: readonly string[] = [...MESSAGE_OPTIONS, ...VALIDATION_OPTIONS];
const ENQUEUE_ITEM_KEYS: readonly string[] = ['payload', ...MESSAGE_OPTIONS];
const ENQUEUE_MANY_OPTIONS: readonly string[] = ['chunkSize', ...VALIDATION_OPTIONS];
/** Option names of {@link NackOptions} (also checked by `ctx.nack`). */
export const NACK_OPTIONS: readonly string[] = [...DELIVERY_OPTIONS, 'raceWait'];
const FAIL_OPTIONS: readonly string[] = ['reason', 'raceWait'];
/** Option names of {@link ExtendOptions} (also checked by `ctx.extend`). */
export const EXTEND_OPTIONS: readonly string[] = ['by', 'raceWait'];
const LIST_FAILED_OPTIONS: readonly string[] = ['after', 'limit'];
const REF_KEYS: readonly string[] = ['id', 'epoch', 'vindexValue'];

const MAX_CHUNK = 5_000;
const ACK_CHUNK = 500;

/**
 * Enqueues one message: a plain INSERT on `executor`, so inside the caller's
 * transaction it commits or rolls back with it.
 *
 * @returns the message id (decimal string).
 * @throws PayloadValidationError / InvalidOptionError (also for a misspelt
 *   option name) before any SQL; PayloadTooLongError, DuplicateIdError or
 *   QueryError when the database refuses the INSERT.
 *
 * @example
 * ```ts
 * import { enqueue, fromMysql2 } from 'vitess-messages/mysql2';
 *
 * const conn = await pool.getConnection();
 * await conn.beginTransaction();
 * await conn.query('insert into orders …', [...]);
 * const id = await enqueue(fromMysql2(conn), emails, { to: 'a@b.c', body: null },
 *   { delay: '30s', key: `order-${orderId}:confirmation` }); // due in 30 s; a retried transaction enqueues it once
 * await conn.commit(); // the message exists if and only if this commits
 * ```
 */
export async function enqueue<P extends object>(executor: Executor, spec: MessageTableSpec, payload: P, options: EnqueueOptions = {}): Promise<string> {
  const site = callSite(enqueue);
  return (await enqueueOne(executor, spec, payload, options, site)).id;
}

/** What an enqueue of one message did. */
export interface EnqueueResult {
  /** The message id (decimal string). */
  readonly id: string;
  /**
   * `true` when this call wrote a new message, `false` when a message with that
   * id (or `key`) already existed and was kept, as it was. Exact: the INSERT's
   * duplicate-key update changes the existing row (see `buildEnqueue`), so the
   * database reports 2 affected rows for a repeat and 1 for a new row, in the
   * same statement. `undefined` only from an executor that reports no
   * affected-row count (the mysql2, TypeORM and Prisma adapters all do).
   * Inside a transaction it says what the transaction will commit.
   */
  readonly inserted: boolean | undefined;
}

/**
 * {@link enqueue} that also says whether the message is new (see
 * {@link EnqueueResult.inserted}); what the queue handle's `enqueue` returns.
 */
export async function enqueueReporting<P extends object>(executor: Executor, spec: MessageTableSpec, payload: P, options: EnqueueOptions = {}): Promise<EnqueueResult> {
  return enqueueOne(executor, spec, payload, options, callSite(enqueueReporting));
}

async function enqueueOne(executor: Executor, spec: MessageTableSpec, payload: object, options: EnqueueOptions, site: CallSite): Promise<EnqueueResult> {
  checkOptionNames(options, ENQUEUE_OPTIONS, `enqueue(${tableLabel(spec)})`);
  const { ids: [id], affected: [affected] } = await enqueueRows(executor, spec, [{ ...options, payload }], options, site, 'enqueue');
  return { id: id!, inserted: affected === 1 ? true : affected === 2 ? false : undefined };
}

/**
 * Enqueues many messages in multi-row INSERTs (`chunkSize` rows each) on
 * `executor`. All payloads are checked before the first statement. All or none
 * are written only inside a transaction whose writes land on one shard (a
 * business vindex with one value, or an unsharded keyspace) or under vtgate's
 * `TWOPC` mode: random ids spread over every shard, and the default `MULTI`
 * mode commits shard by shard. Without a transaction each chunk commits on its
 * own, so a failing chunk leaves the earlier chunks written.
 *
 * @returns the ids, in input order.
 */
export async function enqueueMany<P extends object>(executor: Executor, spec: MessageTableSpec, items: ReadonlyArray<EnqueueItem<P>>, options: EnqueueManyOptions = {}): Promise<string[]> {
  const site = callSite(enqueueMany);
  checkOptionNames(options, ENQUEUE_MANY_OPTIONS, `enqueueMany(${tableLabel(spec)})`);
  return (await enqueueRows(executor, spec, items, options, site, 'enqueueMany')).ids;
}

async function enqueueRows(
  executor: Executor,
  spec: MessageTableSpec,
  items: ReadonlyArray<EnqueueItem<object>>,
  options: EnqueueManyOptions,
  site: CallSite,
  operation: string,
): Promise<{ ids: string[]; affected: number[] }> {
  const subject = `${operation}(${tableLabel(spec)})`;
  if (!Array.isArray(items)) throw new InvalidOptionError(subject, 'items', 'must be an array of { payload, id?, deliverAt?, delay?, priority? }', typeof items);
  const chunkSize = options.chunkSize ?? 500;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1 || chunkSize > MAX_CHUNK) {
    throw new InvalidOptionError(subject, 'chunkSize', `must be an integer from 1 to ${MAX_CHUNK}`, chunkSize);
  }
  const validator = resolveValidator(options);
  const columns = spec.payload.map((c) => c.name);
  const rows: EnqueueRow[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    const index = operation === 'enqueue' ? undefined : i;
    if (item === null || typeof item !== 'object') throw new InvalidOptionError(subject, `items[${i}]`, 'must be an object { payload, … }', item);
    // enqueue() checked its options already (they share the item's object).
    if (index !== undefined) checkOptionNames(item, ENQUEUE_ITEM_KEYS, `${subject} items[${i}]`, `items[${i}]`);
    const values = payloadParams(spec, item.payload, index);
    if (validator) await validateWithClass(tableLabel(spec), validator, item.payload, index);
    if (item.id !== undefined && item.key !== undefined) throw new InvalidOptionError(subject, 'key', "and 'id' are exclusive: give one of them");
    rows.push({
      id: item.key !== undefined ? idFromKey(item.key, subject) : item.id === undefined ? randomId().toString() : normalizeId(item.id, subject),
      priority: checkPriority(item.priority, subject),
      timeNextNs: dueNs(item, subject, true),
      values,
    });
  }
  // OpenTelemetry: a send span and the sent counter, traceparent cells; undefined (nothing done) without a provider.
  const telemetry = sendTelemetry(spec, columns, rows);
  // Rows each INSERT reported: 1 per new row, 2 per repeat (buildEnqueue's repeat mark).
  const affected: number[] = [];
  for (let start = 0; start < rows.length; start += chunkSize) {
    const chunk = rows.slice(start, start + chunkSize);
    let statement: Statement | undefined;
    try {
      statement = buildEnqueue(spec, columns, chunk, chunk.length >= READ_NOW_FROM_ROWS ? await readDbNow(executor, spec, operation, site) : undefined);
      affected.push((await run(executor, statement, spec, operation, chunk.map((r) => r.id), site)).affectedRows);
    } catch (err) {
      const thrown = statement && err instanceof QueryError && isDuplicateIdRefusal(spec, err.cause) ? await duplicateIdError(executor, spec, columns, chunk, statement, operation, site, err.cause) : err;
      telemetry?.end(thrown);
      throw thrown;
    }
  }
  telemetry?.end();
  return { ids: rows.map((r) => r.id), affected };
}

/**
 * From this many rows an INSERT takes `enqueued_at` as one value read before
 * it, not as the now-expression in every row: vtgate handles each row's
 * expression (≈ 6 µs per row here, 500-row INSERTs 1.2× faster without), a
 * read costs one round trip (≈ 0.4 ms), so below ≈ 100 rows the expression is
 * cheaper (`npm run bench:enqueue-statement` takes the statement apart).
 */
const READ_NOW_FROM_ROWS = 100;

async function readDbNow(executor: Executor, spec: MessageTableSpec, operation: string, site: CallSite): Promise<string> {
  const [row] = (await run(executor, buildSelectDbNow(), spec, operation, [], site)).rows;
  return String(row![DB_NOW_COLUMN]);
}

/**
 * Whether an enqueue was refused by buildEnqueue's guard: on a table sharded by
 * a business column, an id already held by another vindex value on that shard
 * sets `epoch` to NULL (errno 1048) — a column the INSERT itself never sets.
 */
function isDuplicateIdRefusal(spec: MessageTableSpec, cause: unknown): boolean {
  if (!routingColumn(spec) || driverErrorCode(cause) !== ER_BAD_NULL_ERROR) return false;
  // MySQL's text starts the message (vtgate appends the statement after it), so the first match is the server's.
  const column = /Column '([^']+)' cannot be null/.exec(cause instanceof Error ? cause.message : String(cause))?.[1];
  return column === BOOKKEEPING.epoch;
}

/**
 * The rare path: reads back the vindex values stored under the refused chunk's
 * ids, for an error that says which id clashed with which value. Nothing was
 * written (vtgate reverts a partly executed statement).
 */
async function duplicateIdError(
  executor: Executor,
  spec: MessageTableSpec,
  columns: readonly string[],
  chunk: readonly EnqueueRow[],
  statement: Statement,
  operation: string,
  site: CallSite,
  cause: unknown,
): Promise<DuplicateIdError> {
  const routing = routingColumn(spec)!;
  const at = columns.indexOf(routing);
  const ids = chunk.map((r) => r.id);
  const clashes: DuplicateIdClash[] = [];
  try {
    const rows = (await run(executor, buildReadVindexValues(spec, ids), spec, operation, ids, site)).rows;
    for (const r of chunk) {
      const given = at < 0 || r.values[at] === DEFAULT_VALUE ? undefined : r.values[at];
      const existing = rows
        .filter((row) => String(row[BOOKKEEPING.id]) === r.id && !sameValue(row[routing], given))
        .map((row) => (typeof row[routing] === 'bigint' ? String(row[routing]) : row[routing]));
      if (existing.length > 0) clashes.push({ id: r.id, vindexValue: given, existingVindexValues: existing });
    }
  } catch {
    // The refusal stands without the details (e.g. the caller's transaction broke meanwhile).
  }
  return withSite(new DuplicateIdError(operation, tableLabel(spec), statement.sql, ids.slice(0, 100), routing, clashes, cause), site);
}

function sameValue(stored: unknown, given: unknown): boolean {
  if (Buffer.isBuffer(stored) && Buffer.isBuffer(given)) return stored.equals(given);
  if (stored === null || stored === undefined || given === null || given === undefined) return stored == given;
  return String(stored) === String(given);
}

/**
 * Acks messages: acked now, never delivered again, purged after the table's
 * purge time. Safe at any moment (the tablet's postpone skips acked rows), so a
 * streamed `epoch` is not needed.
 *
 * @returns how many messages this call acked; an id already acked (or unknown)
 *   counts 0.
 */
export async function ack(executor: Executor, spec: MessageTableSpec, refs: MessageRef | readonly MessageRef[]): Promise<number> {
  const site = callSite(ack);
  const targets = normalizeRefs(spec, refs, 'ack');
  return updateInBatches(executor, spec, targets, 'ack', site, (batch) => buildAck(spec, batch));
}

/**
 * Nacks messages: due again now (or at `deliverAt` / after `delay`), epoch kept.
 * Acked and failed messages are left alone — a nack never un-fails a message.
 *
 * @returns how many messages were re-scheduled.
 */
export async function nack(executor: Executor, spec: MessageTableSpec, refs: MessageRef | readonly MessageRef[], options: NackOptions = {}): Promise<number> {
  const site = callSite(nack);
  const subject = `nack(${tableLabel(spec)})`;
  checkOptionNames(options, NACK_OPTIONS, subject);
  const targets = normalizeRefs(spec, refs, 'nack');
  const due = dueNs(options, subject, false);
  const wait = raceWaitMs(spec, options.raceWait, subject);
  return guarded(executor, spec, targets, 'nack', site, wait, (batch) => buildNack(spec, batch, due));
}

/**
 * Fails messages (dead letter): never delivered again until {@link retry},
 * never purged, `reason` stored. Acked and already failed messages are left
 * alone (a failed message keeps its first reason).
 *
 * @returns how many messages this call failed.
 */
export async function fail(executor: Executor, spec: MessageTableSpec, refs: MessageRef | readonly MessageRef[], options: FailOptions = {}): Promise<number> {
  const site = callSite(fail);
  const subject = `fail(${tableLabel(spec)})`;
  checkOptionNames(options, FAIL_OPTIONS, subject);
  if (options.reason !== undefined && typeof options.reason !== 'string') throw new InvalidOptionError(subject, 'reason', 'must be a string', options.reason);
  const targets = normalizeRefs(spec, refs, 'fail');
  const wait = raceWaitMs(spec, options.raceWait, subject);
  const reason = options.reason === undefined ? null : clipReason(options.reason);
  return guarded(executor, spec, targets, 'fail', site, wait, (batch) => buildFail(spec, batch, reason));
}

/**
 * Brings failed messages back: due now, reason cleared, epoch reset to 0 (an
 * attempt limit counts afresh). Pending and acked messages are left alone.
 *
 * @returns how many failed messages were revived.
 */
export async function retry(executor: Executor, spec: MessageTableSpec, refs: MessageRef | readonly MessageRef[]): Promise<number> {
  const site = callSite(retry);
  // A failed message is not in flight: a streamed epoch does not apply (buildRetry ignores it).
  const targets = normalizeRefs(spec, refs, 'retry');
  // Due now is 0, not the client's now: due on every tablet whatever the clocks.
  return updateInBatches(executor, spec, targets, 'retry', site, (batch) => buildRetry(spec, batch, '0'));
}

/**
 * Extends the lease of messages being handled: not sent again until now + `by`.
 * Only ever moves the due time later; acked and failed messages are left alone.
 *
 * @returns how many leases were extended.
 */
export async function extend(executor: Executor, spec: MessageTableSpec, refs: MessageRef | readonly MessageRef[], options: ExtendOptions): Promise<number> {
  const site = callSite(extend);
  const subject = `extend(${tableLabel(spec)})`;
  checkOptionNames(options, EXTEND_OPTIONS, subject);
  if (options === null || typeof options !== 'object') throw new InvalidOptionError(subject, 'options', "must be { by } (milliseconds or a string like '30s')", options);
  const due = leaseNs(options.by, subject);
  const targets = normalizeRefs(spec, refs, 'extend');
  return guarded(executor, spec, targets, 'extend', site, raceWaitMs(spec, options.raceWait, subject), (batch) => buildExtend(spec, batch, due));
}

/** One page of failed messages with their reasons, ordered by id. */
export async function listFailed(executor: Executor, spec: MessageTableSpec, options: ListFailedOptions = {}): Promise<FailedPage> {
  const site = callSite(listFailed);
  const subject = `listFailed(${tableLabel(spec)})`;
  checkOptionNames(options, LIST_FAILED_OPTIONS, subject);
  const limit = options.limit ?? 100;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000) throw new InvalidOptionError(subject, 'limit', 'must be an integer from 1 to 1000', limit);
  const after = options.after === undefined ? undefined : normalizeId(options.after, subject);
  const result = await run(executor, buildListFailed(spec, after, limit), spec, 'listFailed', after ? [after] : [], site);
  const messages = result.rows.map((row): FailedMessage => {
    const payload: Record<string, unknown> = {};
    for (const c of spec.payload) payload[c.property] = fromDriver(row[c.name], columnKind(c.sqlType), c.name, subject);
    return {
      id: int64Text(row[BOOKKEEPING.id], BOOKKEEPING.id, subject),
      priority: Number(row[BOOKKEEPING.priority]),
      epoch: epochNumber(row[BOOKKEEPING.epoch], subject),
      reason: (row[BOOKKEEPING.failureReason] as string | null | undefined) ?? null,
      enqueuedAtNs: enqueuedAt(row[BOOKKEEPING.enqueuedAt], subject),
      failedAtNs: nullableInt64(row[BOOKKEEPING.failedAt], BOOKKEEPING.failedAt, subject),
      payload,
    };
  });
  const last = messages[messages.length - 1];
  return last && messages.length === limit ? { messages, next: last.id } : { messages };
}

/** The bookkeeping state of messages (unknown ids are absent from the result). */
export async function getMessages(executor: Executor, spec: MessageTableSpec, refs: MessageRef | readonly MessageRef[]): Promise<MessageStatus[]> {
  const site = callSite(getMessages);
  const subject = `getMessages(${tableLabel(spec)})`;
  const targets = normalizeRefs(spec, refs, 'getMessages');
  const out: MessageStatus[] = [];
  for (let start = 0; start < targets.length; start += ACK_CHUNK) {
    const batch = targetBatch(spec, targets.slice(start, start + ACK_CHUNK));
    const result = await run(executor, buildGetMessages(spec, batch), spec, 'getMessages', batch.ids, site);
    for (const row of result.rows) out.push(messageStatusOf(row, subject));
  }
  return out;
}

// ---- internals ---------------------------------------------------------------

/** A row of the bookkeeping columns as {@link getMessages} (and `get`) report it. */
export function messageStatusOf(row: Record<string, unknown>, subject: string): MessageStatus {
  const b = BOOKKEEPING;
  const timeNext = nullableInt64(row[b.timeNext], b.timeNext, subject);
  const timeAcked = nullableInt64(row[b.timeAcked], b.timeAcked, subject);
  return {
    id: int64Text(row[b.id], b.id, subject),
    state: timeAcked !== null ? 'acked' : timeNext === NEVER_NS.toString() ? 'failed' : 'pending',
    priority: Number(row[b.priority]),
    epoch: epochNumber(row[b.epoch], subject),
    timeNextNs: timeNext,
    timeAckedNs: timeAcked,
    reason: (row[b.failureReason] as string | null | undefined) ?? null,
    enqueuedAtNs: enqueuedAt(row[b.enqueuedAt], subject),
    failedAtNs: nullableInt64(row[b.failedAt], b.failedAt, subject),
  };
}

export function normalizeRefs(spec: MessageTableSpec, refs: MessageRef | readonly MessageRef[], operation: string): RaceTarget[] {
  const subject = `${operation}(${tableLabel(spec)})`;
  const list = Array.isArray(refs) ? (refs as readonly MessageRef[]) : [refs as MessageRef];
  const routing = routingColumn(spec);
  return list.map((ref, i): RaceTarget => {
    if (typeof ref === 'bigint' || typeof ref === 'string') return { id: normalizeId(ref, subject) };
    if (ref === null || typeof ref !== 'object') {
      throw new InvalidOptionError(subject, `ids[${i}]`, 'must be a bigint, a decimal string or { id, epoch?, vindexValue? } (never a JS number)', ref);
    }
    checkOptionNames(ref, REF_KEYS, subject, `ids[${i}]`);
    const id = normalizeId(ref.id, subject);
    let epoch: string | undefined;
    if (ref.epoch !== undefined) {
      const e: unknown = ref.epoch;
      if (typeof e !== 'number' || !Number.isSafeInteger(e) || e < 0) {
        throw new InvalidOptionError(subject, 'epoch', 'must be a non-negative integer number (the epoch the message was streamed with, e.g. ctx.epoch)', e);
      }
      epoch = String(e);
    }
    let vindexValue: SqlParam | undefined;
    if (ref.vindexValue !== undefined && routing) {
      // Checked and converted as the column's payload values are (64-bit integers as decimal strings).
      const column = spec.payload.find((c) => c.name === routing);
      const param = column ? toColumnParam(column, ref.vindexValue) : { problem: `names column ${routing}, which is not a payload column` };
      if (param !== null && typeof param === 'object' && 'problem' in param) {
        throw new InvalidOptionError(subject, 'vindexValue', `must be a value of column ${routing}: ${param.problem}`, ref.vindexValue);
      }
      vindexValue = param;
    }
    return { id, ...(epoch !== undefined ? { epoch } : {}), ...(vindexValue !== undefined ? { vindexValue } : {}) };
  });
}

/** Runs `build` over targets without a streamed epoch (ack, retry, …) in batches of {@link ACK_CHUNK}; the rows changed. */
function updateInBatches(
  executor: Executor,
  spec: MessageTableSpec,
  targets: readonly RaceTarget[],
  operation: string,
  site: CallSite,
  build: (batch: TargetBatch) => Statement,
): Promise<number> {
  return guarded(executor, spec, targets.map((t) => ({ ...t, epoch: undefined })), operation, site, 0, build);
}

/** Runs `build` over the targets with the shared postpone-race handling of `core/race` (one UPDATE per batch of one streamed epoch). */
function guarded(
  executor: Executor,
  spec: MessageTableSpec,
  targets: readonly RaceTarget[],
  operation: string,
  site: CallSite,
  waitMs: number,
  build: (batch: TargetBatch) => Statement,
): Promise<number> {
  return runGuarded({ spec, targets, batchSize: ACK_CHUNK, waitMs, build, run: (statement, ids) => run(executor, statement, spec, operation, ids, site) });
}

function checkPriority(priority: unknown, subject: string): number {
  if (priority === undefined) return 50;
  if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < 0 || priority > 127) {
    throw new InvalidOptionError(subject, 'priority', 'must be an integer from 0 to 127 (lower is delivered first)', priority);
  }
  return priority;
}

function resolveValidator(options: ValidationOptions): Function | undefined {
  const { validate, entity } = options;
  if (typeof validate === 'function') return validate;
  if (validate === true) {
    if (!entity) throw new InvalidOptionError('enqueue', 'validate', 'is true but no entity class is known: pass validate: EntityClass');
    return entity;
  }
  if (validate === false || !entity) return undefined;
  return hasValidationRules(entity) ? entity : undefined;
}

/**
 * A 64-bit integer read back, as a decimal string. A JS number is accepted only
 * below 2^53: above, the executor has already rounded it (a DataSource with
 * `bigNumberStrings: false`), and an id or `time_next` would silently be wrong.
 */
export function int64Text(value: unknown, column: string, subject: string): string {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    throw new InvalidOptionError(subject, 'executor', `returned column ${column} as a JS number, which is rounded above 2^53; have the driver return 64-bit integers as strings (mysql2/TypeORM: supportBigNumbers and bigNumberStrings)`, value);
  }
  return String(value);
}

/** An epoch read back, as a number (a delivery count: far below 2^53, but checked). */
function epochNumber(value: unknown, subject: string): number {
  const n = Number(int64Text(value, BOOKKEEPING.epoch, subject));
  if (!Number.isSafeInteger(n)) throw new InvalidOptionError(subject, 'executor', `returned column ${BOOKKEEPING.epoch} as ${String(value)}, not an integer below 2^53`, value);
  return n;
}

/** A nullable 64-bit column read back, as a decimal string or null. */
export function nullableInt64(value: unknown, column: string, subject: string): string | null {
  return value == null ? null : int64Text(value, column, subject);
}

/** `enqueued_at` read back: decimal ns without buildEnqueue's repeat mark, or null. */
function enqueuedAt(value: unknown, subject: string): string | null {
  const text = nullableInt64(value, BOOKKEEPING.enqueuedAt, subject);
  return text === null ? null : clearRepeatMark(text);
}

/** A listFailed cell as the API returns it (buildListFailed selects JSON columns as text). */
export function fromDriver(value: unknown, kind: ReturnType<typeof columnKind>, column: string, subject: string): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (kind === 'int' && typeof value === 'number') return Number.isSafeInteger(value) ? value : int64Text(value, column, subject);
  if (kind === 'json' && typeof value === 'string') {
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }
  return value;
}

export interface CallSite {
  stack?: string;
}

/** The caller's stack, taken before the first await, for errors thrown later. */
export function callSite(fn: Function): CallSite {
  const site: CallSite = {};
  Error.captureStackTrace(site, fn);
  return site;
}

/** What {@link run} names a failed statement's table by: a spec, or only a name (admin reads that have no spec). */
export type RunLabel = Pick<MessageTableSpec, 'table' | 'keyspace'>;

/** Runs a statement; a driver error becomes ours, naming the table and the caller's stack. */
export async function run(executor: Executor, statement: Statement, spec: RunLabel, operation: string, ids: readonly string[], site: CallSite): Promise<ExecResult> {
  try {
    return await executor.query(statement.sql, statement.params);
  } catch (cause) {
    throw withSite(classifyError(cause, operation, tableLabel(spec), statement.sql, ids.slice(0, 100)), site);
  }
}

/** MySQL's ER_DATA_TOO_LONG: a value longer than its column (strict mode refuses it). */
const ER_DATA_TOO_LONG = 1406;
/** MySQL's ER_BAD_NULL_ERROR: NULL for a NOT NULL column. */
const ER_BAD_NULL_ERROR = 1048;

/**
 * A driver's error as ours, by its MySQL error number ({@link driverErrorCode}:
 * the driver's own field, or vtgate's anchored text form) — never by a number
 * found anywhere in the text, where the statement's values also travel.
 */
export function classifyError(cause: unknown, operation: string, table: string, sql: string, ids: readonly string[]): QueryError {
  if (driverErrorCode(cause) === ER_DATA_TOO_LONG) {
    // MySQL's own text leads the message; the column is named there.
    const column = /Data too long for column '([^']+)'/.exec(cause instanceof Error ? cause.message : String(cause))?.[1];
    return new PayloadTooLongError(operation, table, sql, ids, column, cause);
  }
  return new QueryError(operation, table, sql, ids, cause);
}

/** Gives `err` the caller's stack (taken before the first await). */
export function withSite<E extends Error>(err: E, site: CallSite): E {
  if (site.stack) err.stack = `${err.name}: ${err.message}\n${site.stack.split('\n').slice(1).join('\n')}`;
  return err;
}
