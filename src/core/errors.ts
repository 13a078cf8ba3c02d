/**
 * Every error this library throws is a {@link VitessMessagesError}; each subclass
 * carries the data needed to act on it (table, ids, option, SQL, `cause`).
 */
export class VitessMessagesError extends Error {
  override readonly name: string = 'VitessMessagesError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** An option or argument failed validation; nothing was sent to the database. */
export class InvalidOptionError extends VitessMessagesError {
  override readonly name = 'InvalidOptionError';
  constructor(
    /** Where the option was given, e.g. a class name or a function. */
    readonly subject: string,
    /** The option's name. */
    readonly option: string,
    /** The rule it broke, in words. */
    readonly rule: string,
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
  override readonly name = 'StreamError';
  constructor(
    message: string,
    /** The transport's status name, e.g. gRPC's `UNAVAILABLE` or `NOT_FOUND`. */
    readonly code: string,
    readonly retryable: boolean,
    /** The table the stream was reading, when known. */
    readonly table?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
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
