/**
 * Loading the user's modules for the CLI: a spec file, a TypeORM DataSource
 * (`-d ormconfig.ts`), and the TypeORM side of the library only when one is
 * used, so that Prisma and mysql2 users need not have TypeORM installed.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { DataSource } from 'typeorm';
import { InvalidOptionError, VitessMessagesError } from '../core/errors';

/**
 * The TypeORM side of the generator, loaded only for a DataSource (`-d`): it
 * loads TypeORM, which Prisma and mysql2 users running `print-sql --spec` need
 * not have installed.
 */
export function generator(): typeof import('../typeorm/generate-migration') {
  try {
    return require('../typeorm/generate-migration') as typeof import('../typeorm/generate-migration');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && /'typeorm[/']/.test((err as Error).message)) {
      throw new VitessMessagesError('-d/--dataSource needs typeorm installed; without TypeORM, export defineMessageTable() results and pass --spec <file>', { cause: err });
    }
    throw err;
  }
}

/** Loads a module; `.ts` through ts-node (TypeScript 6: TypeScript 7 has no compiler API for it). */
export function loadModule(file: string): Record<string, unknown> {
  const path = resolve(file);
  if (!existsSync(path)) throw new InvalidOptionError('vitess-messages', 'file', 'does not exist', file);
  if (/\.[cm]?ts$/.test(path)) {
    // Type-checked builds are the job of tsc; here we only need the entities' decorator metadata.
    let tsNode: { register(o: object): unknown };
    try {
      tsNode = require('ts-node') as typeof tsNode;
    } catch (err) {
      throw new VitessMessagesError(`loading ${file} needs ts-node (with TypeScript 6; TypeScript 7 has no compiler API for it); install it, or compile first and pass the .js file`, { cause: err });
    }
    const key = Symbol.for('vitess-messages.ts-node');
    const g = globalThis as Record<symbol, unknown>;
    if (!g[key]) g[key] = tsNode.register({ transpileOnly: true });
  }
  return require(path) as Record<string, unknown>;
}

export function isDataSource(x: unknown): x is DataSource {
  return typeof x === 'object' && x !== null && 'options' in x && 'entityMetadatas' in x && 'driver' in x;
}

/** The DataSource a module exports (default or named), like TypeORM's `-d`. */
export function loadDataSource(file: string): DataSource {
  const mod = loadModule(file);
  const found = [mod.default, ...Object.values(mod)].find(isDataSource);
  if (!found) throw new InvalidOptionError('vitess-messages', 'dataSource', 'must name a module that exports a TypeORM DataSource', file);
  return found;
}

