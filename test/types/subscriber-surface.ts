/**
 * Compile-time checks (tsc fails on an unused `@ts-expect-error`): what a
 * TypeORM handler receives carries only what the stream carries, and the
 * subscriber classes show no settle internals.
 */
import type { DataSource } from 'typeorm';
import { Column } from 'typeorm';
import type { Executor } from '../../src/core/executor';
import { getMessages, nack, type NackOptions } from '../../src/core/operations';
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

/** One way to say each thing: durations as ms or '30s', one NackOptions, ctx.extend({ by }), epoch a number. */
export function oneWayEach(spec: MessageTableSpec, executor: Executor): void {
  plainSubscribe(spec, async (_m, ctx) => {
    await ctx.nack({ delay: '2s' });
    await ctx.nack({ delay: 2_000, raceWait: '1s' });
    await ctx.extend({ by: '2m' });
    // @ts-expect-error renamed: delay
    await ctx.nack({ delayMs: 2_000 });
    // @ts-expect-error a lease is { by }
    await ctx.extend(30_000);
    // @ts-expect-error not a duration string
    await ctx.nack({ delay: '2 seconds' });
    const epoch: number = ctx.epoch;
    void epoch;
  }, { executor, address: 'vtgate:15991', handlerTimeout: '30s', closeTimeout: 10_000, stallTimeout: '1m', ackInterval: '5ms', retryBackoff: { base: '1s', max: '5m' } });
  // @ts-expect-error renamed: handlerTimeout
  plainSubscribe(spec, () => undefined, { executor, address: 'vtgate:15991', handlerTimeoutMs: 1_000 });
  // @ts-expect-error renamed: base / max
  plainSubscribe(spec, () => undefined, { executor, address: 'vtgate:15991', retryBackoff: { baseMs: 1, maxMs: 2 } });
  const it = plainStream(spec, { executor, address: 'vtgate:15991' });
  void it.close({ timeout: '5s' });
  // @ts-expect-error renamed: timeout
  void it.close({ timeoutMs: 5_000 });
  const options: NackOptions = { delay: '3s' };
  void nack(executor, spec, '1', options);
  // @ts-expect-error renamed: delay
  void nack(executor, spec, '1', { delayMs: 3_000 });
  // @ts-expect-error an epoch is a number
  void nack(executor, spec, { id: '1', epoch: '0' });
  void getMessages(executor, spec, '1').then(([s]) => {
    const e: number = s!.epoch;
    void e;
  });
}
