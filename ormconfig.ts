/**
 * The DataSource the TypeORM CLI, the vitess-messages generator and the examples
 * use: vtgate's MySQL port, with `database` on the UNSHARDED keyspace `meta`.
 * TypeORM keeps its `migrations` table in `database`; on a sharded keyspace
 * vtgate routes only tables in its vschema, and `migration:run` fails with
 * "table migrations not found". Message tables name their own keyspace
 * (`@MessageTable({ keyspace: 'commerce' })`), so they live on the shards; the
 * example entities take it from VITESS_SHARDED_KEYSPACE (default `commerce`, the
 * keyspace the committed migrations/ were generated for).
 *
 *   npx vitess-messages generate -d ormconfig.ts      # write a migration
 *   npx typeorm-ts-node-commonjs migration:run -d ormconfig.ts
 */
import 'reflect-metadata';
import { join } from 'node:path';
import { DataSource } from 'typeorm';

// An external vtgate (VTGATE_MYSQL_URL), or the local one `npm run vitess:up` starts.
const url = new URL(process.env.VTGATE_MYSQL_URL ?? `mysql://root@127.0.0.1:${process.env.VTGATE_MYSQL_PORT ?? 27307}/`);

export default new DataSource({
  type: 'mysql',
  host: url.hostname,
  port: Number(url.port || 3306),
  username: decodeURIComponent(url.username || 'root'),
  password: decodeURIComponent(url.password),
  database: process.env.VITESS_UNSHARDED_KEYSPACE ?? 'meta',
  // 64-bit ids and nanosecond times stay exact (decimal strings).
  supportBigNumbers: true,
  bigNumberStrings: true,
  // Works from the sources (ts-node) and from tsc's output in build/.
  entities: [join(__dirname, 'examples/entities/*.{ts,js}')],
  migrations: [join(__dirname, 'migrations/*.{ts,js}')],
  // DDL and ALTER VSCHEMA commit implicitly; a migration cannot be rolled back as a whole anyway.
  migrationsTransactionMode: 'none',
  synchronize: false,
  logging: ['error'],
});
