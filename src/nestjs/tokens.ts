/**
 * Injection tokens of `vitess-messages/nestjs`. A queue's token is a symbol
 * per entity class (not its name), so two entities of the same class name on
 * different tables never share a handle.
 */

/** The module's options as `forRoot` / `forRootAsync` resolved them. */
export const VITESS_MESSAGES_OPTIONS = Symbol('vitess-messages:options');
/** The DataSource the module's handles run on. */
export const VITESS_MESSAGES_DATA_SOURCE = Symbol('vitess-messages:data-source');

const queueTokens = new WeakMap<Function, symbol>();

/**
 * The injection token of `entity`'s queue handle (what {@link InjectQueue}
 * injects), for `moduleRef.get(getQueueToken(EmailJob))` or a test override.
 */
export function getQueueToken(entity: Function): symbol {
  let token = queueTokens.get(entity);
  if (!token) queueTokens.set(entity, (token = Symbol(`vitess-messages:queue:${entity.name}`)));
  return token;
}
