import { Column, Index } from 'typeorm';
import { MessageTable, VitessMessage } from '../../src/typeorm';

/** An outgoing e-mail, sent by a subscriber; enqueued in the transaction that decided to send it. */
// The sharded keyspace: `commerce` (what migrations/ was generated for) unless VITESS_SHARDED_KEYSPACE names another.
@MessageTable({ name: 'email_job', keyspace: process.env.VITESS_SHARDED_KEYSPACE ?? 'commerce', ackWait: '1m', maxAttempts: 10 })
@Index('idx_email_job_recipient', ['recipient'])
export class EmailJob extends VitessMessage {
  @Column({ type: 'varchar', length: 320 })
  recipient!: string;

  @Column({ type: 'varchar', length: 200 })
  subject!: string;

  @Column({ type: 'json', nullable: true })
  body!: { text?: string; html?: string } | null;
}
