/**
 * Compile-time checks (tsc fails on an unused `@ts-expect-error`): what a
 * TypeORM handler receives carries only what the stream carries, and the
 * subscriber classes show no settle internals.
 */
import type { DataSource } from 'typeorm';
import { Column } from 'typeorm';
import type { Executor } from '../../src/core/executor';
import type { MessageTableSpec } from '../../src/core/spec';
import { stream as plainStream } from '../../src/subscriber/message-stream';
import { subscribe as plainSubscribe } from '../../src/subscriber/subscriber';
import { MessageTable, VitessMessage } from '../../src/typeorm';
import { stream, subscribe, type Delivered } from '../../src/typeorm/subscribe';

@MessageTable({ name: 'surface_job', keyspace: 'commerce' })
class SurfaceJob extends VitessMessage {
  @Column({ type: 'varchar', length: 50 }) label!: string;
}

export function deliveredEntity(dataSource: DataSource): void {
  subscribe(SurfaceJob, (job, ctx) => {
    const id: string = job.id;
    const epoch: number = job.epoch;
    const label: string = job.label;
    void [id, epoch, label, ctx.epoch];
    // @ts-expect-error not streamed: a delivered entity has no priority
    void job.priority;
    // @ts-expect-error not streamed
    void job.timeNext;
    // @ts-expect-error not streamed
    void job.timeAcked;
    // @ts-expect-error not streamed
    void job.failureReason;
  }, { dataSource, address: 'vtgate:15991' });
  const s = stream(SurfaceJob, { dataSource, address: 'vtgate:15991' });
  void (async () => {
    for await (const m of s) {
      const job: Delivered<SurfaceJob> = m.message;
      // @ts-expect-error not streamed
      void m.message.priority;
      void job;
    }
  })();
}

export function noInternals(spec: MessageTableSpec, executor: Executor): void {
  const sub = plainSubscribe(spec, () => undefined, { executor, address: 'vtgate:15991' });
  // @ts-expect-error internal
  void sub.settle;
  // @ts-expect-error internal
  void sub.extendLease;
  // @ts-expect-error internal
  void sub.noteSettledElsewhere;
  const it = plainStream(spec, { executor, address: 'vtgate:15991' });
  // @ts-expect-error internal
  void it.settle;
  // @ts-expect-error internal
  void it.extendLease;
}
