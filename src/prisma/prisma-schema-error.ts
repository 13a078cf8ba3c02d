import { VitessMessagesError } from '../core/errors';

/**
 * A `schema.prisma` the Prisma generator cannot turn into a message table: a
 * syntax it does not read, a field type or attribute it does not support, or
 * bookkeeping fields that differ from the canonical ones. Nothing is written
 * when it is thrown.
 */
export class PrismaSchemaError extends VitessMessagesError {
  /** `'PrismaSchemaError'`, for logs; test the class with `instanceof`. */
  override readonly name = 'PrismaSchemaError';
  constructor(
    message: string,
    /** 1-based line in the schema file, when known. */
    readonly line?: number,
    /** The model concerned, when known. */
    readonly model?: string,
    options?: { cause?: unknown },
  ) {
    super(`${line !== undefined ? `schema.prisma:${line}: ` : ''}${model !== undefined ? `model ${model}: ` : ''}${message}`, options);
  }
}
