/**
 * An optional base class for message entities: it only declares the typed
 * bookkeeping properties that `@MessageTable` adds as columns, so an entity
 * gets their types without writing them.
 * ```ts
 * @MessageTable({ keyspace: 'commerce', ackWait: '1m' })
 * export class EmailJob extends VitessMessage {
 *   @Column('varchar', { length: 320 }) to!: string;
 * }
 * ```
 */
export abstract class VitessMessage {
  /** The message id: a positive 64-bit integer as a decimal string (never a JS number, which loses precision above 2^53). */
  id!: string;
  /** Lower is delivered first. Column default 50. */
  priority!: number;
  /** Deliveries before this one (0 on a first delivery); a bigint column read as a number (it never nears 2^53). */
  epoch!: number;
  /** When the message is next due, Unix nanoseconds as a decimal string; `'0'` = now; null once acked. */
  timeNext!: string | null;
  /** When it was acked, Unix nanoseconds as a decimal string; null while pending or failed. */
  timeAcked!: string | null;
  /** Why it was failed (ours, never streamed); null unless failed. */
  failureReason!: string | null;
  /**
   * When it was enqueued (ours, never streamed): Unix nanoseconds as a decimal
   * string, on the database's clock; null for rows enqueued before the column
   * existed or by producers that do not set it.
   */
  enqueuedAt!: string | null;
  /**
   * When it was failed (ours, never streamed): Unix nanoseconds as a decimal
   * string, on the database's clock; null unless failed (a retry clears it).
   */
  failedAt!: string | null;
}
