import { toMs, type Duration } from './time';

/**
 * Every error this library throws is a {@link VitessMessagesError}; each subclass
 * carries the data needed to act on it (table, ids, option, SQL, `cause`).
 */
export class VitessMessagesError extends Error {
  /** `'VitessMessagesError'`, for logs; test the class with `instanceof`. */
  override readonly name: string = 'VitessMessagesError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** An option or argument failed validation; nothing was sent to the database. */
export class InvalidOptionError extends VitessMessagesError {
  /** `'InvalidOptionError'`, for logs; test the class with `instanceof`. */
  override readonly name = 'InvalidOptionError';
  constructor(
    /** Where the option was given, e.g. a class name or a function. */
    readonly subject: string,
    /** The option's name. */
    readonly option: string,
    /** The rule it broke, in words. */
    readonly rule: string,
    /** The value given (absent when the rule is about its absence). */
    readonly value?: unknown,
  ) {
    super(`${subject}: option '${option}' ${rule}${value === undefined ? '' : ` (got ${describe(value)})`}`);
  }
}

/**
 * A streaming subscription failed. `retryable` says whether reopening the stream
 * can help (vtgate restarting, a dropped connection) or not (unknown table, not a
 * message table, a non-primary target).
 */
export class StreamError extends VitessMessagesError {
  /** `'StreamError'`, for logs; test the class with `instanceof`. */
  override readonly name = 'StreamError';
  constructor(
    message: string,
    /** The transport's status name, e.g. gRPC's `UNAVAILABLE` or `NOT_FOUND`. */
    readonly code: string,
    /** True when reopening the stream can help; the subscriber then reconnects with its backoff. */
    readonly retryable: boolean,
    /** The table the stream was reading, when known. */
    readonly table?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A subscriber's stream could not be opened `attempts` times in a row (the
 * `connectAttempts` option), or failed for good before it was ever open:
 * what {@link SubscriberCore.waitUntilReady} rejects with, instead of
 * retrying silently. `cause` is the last failure (often a {@link StreamError}).
 */
export class ConnectError extends VitessMessagesError {
  /** `'ConnectError'`, for logs; test the class with `instanceof`. */
  override readonly name = 'ConnectError';
  constructor(
    /** The table the stream reads. */
    readonly table: string,
    /** vtgate's address, or `'(transport)'` for a transport given as an option. */
    readonly address: string,
    /** Opens that failed in a row. */
    readonly attempts: number,
    cause: unknown,
  ) {
    super(`stream of ${table} via ${address} could not be opened (${attempts} failed attempt${attempts === 1 ? '' : 's'} in a row): ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

function describe(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** One payload property that failed validation, with the rules it broke. */
export interface PayloadProblem {
  /** The payload property, e.g. `recipient` (a nested one as `address.city`). */
  readonly property: string;
  /** Human-readable rules, e.g. class-validator's constraint messages. */
  readonly constraints: readonly string[];
}

/** A payload failed validation (unknown key, wrong type, class-validator rule); nothing was written. */
export class PayloadValidationError extends VitessMessagesError {
  /** `'PayloadValidationError'`, for logs; test the class with `instanceof`. */
  override readonly name: string = 'PayloadValidationError';
  constructor(
    /** The message table. */
    readonly table: string,
    /** Every property that failed, each with its rules. */
    readonly problems: readonly PayloadProblem[],
    /** Index of the message within an `enqueueMany` batch. */
    readonly index?: number,
  ) {
    super(`${table}: invalid payload${index === undefined ? '' : ` #${index}`}: ${problems.map((p) => `${p.property}: ${p.constraints.join('; ')}`).join(' | ')}`);
  }
}

/**
 * The database refused a statement of this library. `cause` is the driver's
 * error; the stack is the caller's (where `enqueue`/`ack`/… was called).
 */
export class QueryError extends VitessMessagesError {
  /** `'QueryError'`, for logs; test the class with `instanceof`. */
  override readonly name: string = 'QueryError';
  constructor(
    /** The library operation, e.g. `enqueue`, `ack`. */
    readonly operation: string,
    /** The message table. */
    readonly table: string,
    /** The statement's text (values travel as parameters, so none is in it). */
    readonly sql: string,
    /** Message ids the statement was about (the first 100). */
    readonly ids: readonly string[],
    cause: unknown,
  ) {
    super(`${operation} on ${table} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/**
 * A payload value does not fit its column (MySQL in strict mode refuses it:
 * `Data too long for column`, errno 1406). Nothing was written; the library never
 * truncates silently.
 */
export class PayloadTooLongError extends QueryError {
  /** `'PayloadTooLongError'`, for logs; test the class with `instanceof`. */
  override readonly name: string = 'PayloadTooLongError';
  constructor(
    operation: string,
    table: string,
    sql: string,
    ids: readonly string[],
    /** The column MySQL named, when it did. */
    readonly column: string | undefined,
    cause: unknown,
  ) {
    super(operation, table, sql, ids, cause);
  }
}

/** One id of an {@link DuplicateIdError}. */
export interface DuplicateIdClash {
  /** The id (decimal). */
  readonly id: string;
  /** The vindex value this call tried to enqueue under that id. */
  readonly vindexValue: unknown;
  /**
   * Values already stored under that id with another vindex value (64-bit
   * integers as decimal strings). The clashing row is on the shard of
   * `vindexValue`; a row with the same id on another shard is listed too (it
   * could not be told apart), which takes the same id on two shards.
   */
  readonly existingVindexValues: readonly unknown[];
}

/**
 * An enqueue used an id that a message with another vindex value already holds
 * on the same shard (a table sharded by a business column keeps ids unique per
 * shard). The whole statement was refused: nothing was written, no message
 * was replaced. The same id with the same vindex value is an idempotent repeat,
 * never this error.
 */
export class DuplicateIdError extends QueryError {
  /** `'DuplicateIdError'`, for logs; test the class with `instanceof`. */
  override readonly name: string = 'DuplicateIdError';
  /** The first clashing id (see `clashes` for all that were found). */
  readonly id: string;
  constructor(
    operation: string,
    table: string,
    sql: string,
    ids: readonly string[],
    /** The table's vindex column. */
    readonly vindexColumn: string,
    /**
     * The ids of the refused statement that are held by another vindex value;
     * empty when they could not be read back (then see `ids`).
     */
    readonly clashes: readonly DuplicateIdClash[],
    cause: unknown,
  ) {
    super(operation, table, sql, ids, cause);
    this.id = clashes[0]?.id ?? ids[0] ?? '';
    const first = clashes[0];
    this.message = first
      ? `${operation} on ${table}: id ${first.id} is already used by a message with ${vindexColumn} = ${describe(first.existingVindexValues[0])} (this one has ${describe(first.vindexValue)}); nothing was written`
      : `${operation} on ${table}: an id is already used by a message with another ${vindexColumn}; nothing was written`;
  }
}

/** A class given as a message table is not an entity of the DataSource at hand. */
export class UnknownEntityError extends VitessMessagesError {
  /** `'UnknownEntityError'`, for logs; test the class with `instanceof`. */
  override readonly name = 'UnknownEntityError';
  constructor(
    /** The class (or entity name) that was looked up. */
    readonly entity: string,
    message = `${entity} is not an entity of this DataSource: add it to the DataSource's entities`,
  ) {
    super(message);
  }
}

/** A class (or entity) used as a message table has no `@MessageTable` decorator. */
export class NotAMessageTableError extends VitessMessagesError {
  /** `'NotAMessageTableError'`, for logs; test the class with `instanceof`. */
  override readonly name = 'NotAMessageTableError';
  constructor(
    /** The class (or entity name) that was looked up. */
    readonly entity: string,
  ) {
    super(`${entity} is not a message table: decorate it with @MessageTable() from 'vitess-messages/typeorm'`);
  }
}

/**
 * Thrown by a handler: this message can never succeed (a bad payload, a
 * deleted customer). The subscriber fails it at once (dead letter, the error's
 * message as the reason) instead of retrying.
 */
export class UnrecoverableError extends VitessMessagesError {
  /** `'UnrecoverableError'`, for logs; test the class with `instanceof`. */
  override readonly name: string = 'UnrecoverableError';
}

/**
 * Thrown by a handler: try this message again after `delay` (a rate limit, a
 * dependency that is down). The subscriber nacks it with that delay; it still
 * counts as an attempt.
 */
export class RetryLaterError extends VitessMessagesError {
  /** `'RetryLaterError'`, for logs; test the class with `instanceof`. */
  override readonly name: string = 'RetryLaterError';
  /** The delay in ms, as read from `delay` when the error was made. */
  readonly delayMs: number;
  constructor(
    message: string,
    /**
     * When to try again from now: milliseconds or a string like `'30s'`,
     * checked here where it is given (an {@link InvalidOptionError} otherwise).
     */
    delay: Duration,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.delayMs = toMs(delay, 'delay', 'RetryLaterError');
  }
}

/**
 * One ack UPDATE of a subscriber failed (the subscriber's `error` event: one
 * per failed batch, not one per message). Acks are idempotent, so the
 * `retrying` ones are kept and written again with a short backoff; the
 * `dropped` ones had been failing for the table's whole ack wait, so the
 * tablet sends them again anyway (each comes back as a duplicate delivery).
 */
export class AckWriteError extends VitessMessagesError {
  /** `'AckWriteError'`, for logs; test the class with `instanceof`. */
  override readonly name = 'AckWriteError';
  constructor(
    /** The message table. */
    readonly table: string,
    /** Acks in the failed UPDATE. */
    readonly count: number,
    /** Of those, kept and written again later. */
    readonly retrying: number,
    /** Of those, given up (their ack wait passed since their first failure). */
    readonly dropped: number,
    cause: unknown,
  ) {
    super(
      `ack of ${count} ${table} messages failed (${cause instanceof Error ? cause.message : String(cause)}); ` +
        [retrying > 0 ? `${retrying} kept and retried` : '', dropped > 0 ? `${dropped} dropped after the ack wait: they come back` : ''].filter(Boolean).join(', '),
      { cause },
    );
  }
}
