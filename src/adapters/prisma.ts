/**
 * `vitess-messages/prisma`: the producer operations for Prisma users. Structural
 * types only: this file never loads @prisma/client.
 */
export { fromPrisma, type PrismaLike } from './prisma-executor';
// What every ORM-free entry point offers besides its adapter (listed by name there).
export * from './operations-entry';
// Prisma models as message tables: the client extension, and the generator behind `vitess-messages prisma generate`.
export { vitessMessages, type VitessMessagesExtension, type PrismaMessageQueues } from '../prisma/extension';
export { messageTablesFromPrismaSchema, type PrismaMessageTable } from '../prisma/message-models';
export { PRISMA_BOOKKEEPING_SNIPPET } from '../prisma/bookkeeping-fields';
export { PrismaSchemaError } from '../prisma/prisma-schema-error';
export { generatePrismaMigration, type PrismaGenerateOptions, type PrismaGenerateResult } from '../prisma/generate';
