import { VitessMessagesError } from '../core/errors';

/**
 * vtgate did not show a table's new vindex within the wait: the vschema
 * change was accepted but not applied in time, so an INSERT could still be
 * refused ("does not have a primary vindex"). The table and its vindex may
 * exist already; running `prisma generate --apply` again finishes the job.
 */
export class VindexWaitError extends VitessMessagesError {
  /** `'VindexWaitError'`, for logs; test the class with `instanceof`. */
  override readonly name: string = 'VindexWaitError';
  constructor(
    /** The table, `keyspace.table` when the keyspace is named. */
    readonly table: string,
    /** How long it waited, in milliseconds. */
    readonly timeoutMs: number,
    /** The last answer of the vindex query, if it failed. */
    cause?: unknown,
  ) {
    super(`vtgate did not show the vindex of ${table} within ${timeoutMs} ms; run the command again to finish`, cause === undefined ? undefined : { cause });
  }
}
