/** `@InjectQueue(EmailJob)`: the typed queue handle of a `@MessageTable` entity. */
import { Inject } from '@nestjs/common';
import { getQueueToken } from './tokens';

/**
 * Injects the queue handle (`EntityMessageQueue<EmailJob>`) of an entity
 * listed in `VitessMessagesModule.forRoot({ queues: [EmailJob] })`. Its
 * statements join the ambient transaction when there is one
 * (`@nestjs-cls/transactional`, `typeorm-transactional`), else run in
 * autocommit; `queue.with(manager)` pins them to a manager you hold.
 *
 * ```ts
 * constructor(@InjectQueue(EmailJob) private readonly emails: EntityMessageQueue<EmailJob>) {}
 * ```
 */
export function InjectQueue(entity: Function): PropertyDecorator & ParameterDecorator {
  return Inject(getQueueToken(entity));
}
