/**
 * Compile-time tests of the TypeORM payload types: checked by the ordinary
 * `tsc -p tsconfig.json` of every build and test run, where an
 * `@ts-expect-error` that no longer finds an error fails the build. Nothing
 * here runs: the functions are never called.
 */
import { Column, type DataSource, type EntityManager } from 'typeorm';
import { MessageTable, VitessMessage, messageOperations, messageRepository, messageRepositoryMethods, type MessagePayload } from '../../src/typeorm';
import { subscribe } from '../../src/typeorm/subscribe';

class Address {
  @Column({ type: 'varchar', length: 50 }) city!: string;
  @Column({ type: 'int', nullable: true }) zip!: number | null;
}

@MessageTable({ name: 'typed_job', keyspace: 'commerce' })
class TypedJob extends VitessMessage {
  @Column({ type: 'varchar', length: 320 }) recipient!: string;
  @Column({ type: 'json', nullable: true }) body!: object | null;
  @Column({ type: 'int', nullable: true }) tries?: number;
  @Column({ type: 'boolean' }) urgent!: boolean;
  @Column(() => Address) address!: Address;
  describe(): string {
    return this.recipient;
  }
}

type Payload = MessagePayload<TypedJob>;

// Required: non-nullable columns; optional: those whose type takes null or undefined.
export const full: Payload = { recipient: 'a@b.c', body: { x: 1 }, tries: 2, urgent: true, address: { city: 'Oslo', zip: null } };
export const minimal: Payload = { recipient: 'a@b.c', urgent: false, address: { city: 'Oslo', zip: 1 } };
// @ts-expect-error recipient (string, not nullable) is required
export const noRecipient: Payload = { urgent: false, address: { city: 'Oslo', zip: 1 } };
// @ts-expect-error bookkeeping is not payload
export const withId: Payload = { recipient: 'a@b.c', urgent: false, address: { city: 'Oslo', zip: 1 }, id: '1' };
// @ts-expect-error methods are not payload
export const withMethod: Payload = { recipient: 'a@b.c', urgent: false, address: { city: 'Oslo', zip: 1 }, describe: () => '' };
// @ts-expect-error a boolean column takes a boolean
export const wrongType: Payload = { recipient: 'a@b.c', urgent: 'yes', address: { city: 'Oslo', zip: 1 } };

export async function throughExtend(dataSource: DataSource): Promise<void> {
  const jobs = dataSource.getRepository(TypedJob).extend(messageRepositoryMethods);
  await jobs.enqueue({ recipient: 'a@b.c', urgent: true, address: { city: 'Oslo', zip: null } });
  // @ts-expect-error the extension is typed by the repository's entity: recipient is required
  await jobs.enqueue({ urgent: true, address: { city: 'Oslo', zip: null } });
  // @ts-expect-error unknown property
  await jobs.enqueue({ recipient: 'a@b.c', urgent: true, address: { city: 'Oslo', zip: null }, nope: 1 });
  await dataSource.transaction(async (m) => {
    const inTx = m.withRepository(jobs);
    await inTx.enqueue({ recipient: 'a@b.c', urgent: true, address: { city: 'Oslo', zip: null } }, { delay: '30s' });
    // @ts-expect-error still typed after withRepository
    await inTx.enqueue({ recipient: 1, urgent: true, address: { city: 'Oslo', zip: null } });
  });
  await jobs.enqueueMany([{ payload: { recipient: 'a@b.c', urgent: true, address: { city: 'Oslo', zip: null } }, delay: 10 }]);
  // @ts-expect-error enqueueMany payloads are typed too
  await jobs.enqueueMany([{ payload: { recipient: 'a@b.c' } }]);
  const acked: number = await jobs.ack('1');
  // @ts-expect-error ids are never JS numbers
  await jobs.ack(1);
  void acked;
}

export async function throughHelpers(dataSource: DataSource, manager: EntityManager): Promise<void> {
  const repo = messageRepository(dataSource, TypedJob);
  await repo.enqueue({ recipient: 'a@b.c', urgent: true, address: { city: 'Oslo', zip: null } });
  // @ts-expect-error typed by messageRepository
  await repo.enqueue({ recipient: 'a@b.c' });
  const ops = messageOperations(manager, TypedJob);
  await ops.enqueue({ recipient: 'a@b.c', urgent: true, address: { city: 'Oslo', zip: null } });
  // @ts-expect-error typed by messageOperations
  await ops.enqueue({ recipient: null, urgent: true, address: { city: 'Oslo', zip: null } });
}

export function handlerGetsTheEntity(dataSource: DataSource): void {
  subscribe(TypedJob, async (job) => {
    const recipient: string = job.recipient;
    const label: string = job.describe();
    // @ts-expect-error the handler's message is the entity, whose body may be null
    const body: object = job.body;
    void recipient, label, body;
  }, { dataSource, address: '127.0.0.1:1' });
}
