/**
 * Compile-time tests of the TypeORM queue handle: enqueue typed by the
 * entity, `with(manager)` keeps the type, handlers get `Delivered<T>`.
 * Checked by every `tsc -p tsconfig.json`; nothing here runs.
 */
import { Column, type DataSource } from 'typeorm';
import { MessageTable, VitessMessage, messageQueue, type Delivered, type EnqueueResult } from '../../src/typeorm';

@MessageTable({ name: 'handle_typed_job', keyspace: 'commerce' })
class HandleTypedJob extends VitessMessage {
  @Column({ type: 'varchar', length: 320 }) recipient!: string;
  @Column({ type: 'json', nullable: true }) body!: { text: string } | null;
}

export async function entityHandle(dataSource: DataSource): Promise<void> {
  const jobs = messageQueue(HandleTypedJob, { dataSource, address: 'vtgate:15991', concurrency: 4 });
  const r: EnqueueResult = await jobs.enqueue({ recipient: 'a@b.c' }, { key: 'k', delay: '1s' });
  void r;
  // @ts-expect-error recipient is required
  await jobs.enqueue({ body: null });
  // @ts-expect-error bookkeeping is not payload
  await jobs.enqueue({ recipient: 'a', priority: 1 });
  await dataSource.transaction(async (m) => {
    await jobs.with(m).enqueue({ recipient: 'a', body: { text: 'x' } });
    // @ts-expect-error still typed after with()
    await jobs.with(m).enqueue({ recipient: 'a', body: { html: 'x' } });
  });
  jobs.subscribe((job) => {
    const d: Delivered<HandleTypedJob> = job;
    const to: string = job.recipient;
    // @ts-expect-error not streamed
    void job.timeNext;
    void [d, to];
  }, { maxInFlight: 10 });
  // @ts-expect-error a misspelt subscriber option
  jobs.stream({ maxInFligth: 10 });
  // @ts-expect-error the handle needs a DataSource
  messageQueue(HandleTypedJob, { address: 'x' });
}
