import { Column } from 'typeorm';
import { MessageTable, VitessMessage } from '../../src/typeorm';

/**
 * An order event, sharded by `customer_id` like the customer's orders: enqueued
 * in the same transaction as the order row, it lands on the same shard, so the
 * commit is a one-shard (atomic) commit.
 */
@MessageTable({ name: 'order_event', keyspace: process.env.VITESS_SHARDED_KEYSPACE ?? 'commerce', vindex: { column: 'customerId', type: 'hash' } })
export class OrderEvent extends VitessMessage {
  @Column({ name: 'customer_id', type: 'bigint' })
  customerId!: string;

  @Column({ type: 'enum', enum: ['created', 'paid', 'shipped', 'cancelled'] })
  kind!: 'created' | 'paid' | 'shipped' | 'cancelled';

  @Column({ type: 'decimal', precision: 30, scale: 10, nullable: true })
  amount!: string | null;

  @Column({ type: 'json' })
  payload!: Record<string, unknown>;
}
