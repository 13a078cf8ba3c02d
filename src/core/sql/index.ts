/** Pure SQL builders, one per operation; each takes arrays (batching lives here). */
export * from './target';
export * from './db-now';
export * from './enqueue';
export * from './ack';
export * from './nack';
export * from './fail';
export * from './retry';
export * from './extend';
export * from './list-failed';
export * from './get-messages';
export * from './due-count';
export * from './vindex-values';
export * from './stream';
export * from './counts';
export * from './purge-failed';
export * from './get';
export * from './shards';
