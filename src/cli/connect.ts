/**
 * How every admin command reaches Vitess and finds its table: `--url
 * mysql://…` (default `VTGATE_MYSQL_URL`) or the connection of a TypeORM
 * DataSource (`-d ormconfig.ts`), whose `@MessageTable` entities then give the
 * tables' specs; without an entity for it, a table is described from the
 * database itself (its comment and columns), so `--url` alone works.
 */
import type { Command } from 'commander';
import { describeTable, specFromTable, type MessageTableInfo } from '../admin/tables';
import { fromMysql2 } from '../adapters/mysql2';
import { InvalidOptionError } from '../core/errors';
import type { Executor } from '../core/executor';
import { checkIdentifier, checkKeyspace } from '../core/identifiers';
import type { ShardConnection } from '../core/queue-admin';
import type { MessageTableSpec } from '../core/spec';
import { generator, loadDataSource } from './load-module';

/** The connection options every admin command takes. */
export interface ConnectionOptions {
  readonly dataSource?: string;
  readonly url?: string;
  readonly keyspace?: string;
  readonly tabletHttp?: readonly string[];
  readonly json?: boolean;
}

/** Adds `-d`, `--url`, `--keyspace`, `--tablet-http` and `--json` to a command. */
export function addConnectionOptions(cmd: Command): Command {
  return cmd
    .option('-d, --dataSource <file>', 'module exporting a TypeORM DataSource: its connection, and its @MessageTable entities as the tables\' specs')
    .option('--url <url>', 'vtgate\'s MySQL address, mysql://user:pass@host:port/[keyspace] (default: $VTGATE_MYSQL_URL)')
    .option('-k, --keyspace <keyspace>', 'the keyspace of TABLE (or write TABLE as keyspace.table; default: the URL\'s database)')
    .option('--tablet-http <address>', 'HTTP address of a tablet (vttablet or vtcombo --port, host:port) to read message counters from /debug/vars; repeat it for several', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--json', 'print JSON for scripts instead of tables for people');
}

/** An open connection to vtgate for one command. */
export interface Connection {
  readonly executor: Executor;
  /** A connection of its own for a shard-targeted query; destroyed on close. */
  openConnection(): Promise<ShardConnection>;
  /** The keyspace named by the options or the URL, if any. */
  readonly defaultKeyspace?: string;
  readonly tabletHttp: readonly string[];
  /** Resolves `TABLE` (`table` or `keyspace.table`) to its keyspace, its live description and a spec. */
  table(arg: string): Promise<ResolvedTable>;
  close(): Promise<void>;
}

/** A table named on the command line. */
export interface ResolvedTable {
  readonly keyspace: string;
  readonly table: string;
  /** The table as the database describes it; null when the keyspace has no such table. */
  readonly info: MessageTableInfo | null;
  /** From the DataSource's entity when there is one, else from the live table; absent when neither has one. */
  readonly spec?: MessageTableSpec;
}

interface PoolLike {
  getConnection(): Promise<{ destroy(): void; query: unknown }>;
  end(): Promise<void>;
}

/**
 * Opens a mysql2 pool on vtgate (64-bit integers as strings), from `--url`,
 * `$VTGATE_MYSQL_URL`, or the DataSource's connection options.
 *
 * @throws InvalidOptionError when no address is given.
 */
export async function connect(options: ConnectionOptions): Promise<Connection> {
  const dataSource = options.dataSource ? loadDataSource(options.dataSource) : undefined;
  const url = options.url ?? (dataSource ? undefined : process.env['VTGATE_MYSQL_URL']);
  const config = url ? { uri: url } : dataSource ? fromDataSourceOptions(dataSource.options as unknown as Record<string, unknown>) : undefined;
  if (!config) throw new InvalidOptionError('vitess-messages', 'url', 'is required: pass --url mysql://user@vtgate:port/, set VTGATE_MYSQL_URL, or pass -d ormconfig.ts');
  const urlKeyspace = url ? databaseOf(url) : (config as { database?: string }).database;
  const defaultKeyspace = options.keyspace ?? urlKeyspace;
  if (defaultKeyspace !== undefined) checkKeyspace(defaultKeyspace, 'vitess-messages');
  // The specs first: if reading the entities throws, no pool is left open.
  const specs = dataSource ? await generator().messageTablesOf(dataSource) : [];
  const mysql = require('mysql2/promise') as { createPool(o: object): PoolLike };
  const pool = mysql.createPool({ ...config, supportBigNumbers: true, bigNumberStrings: true, connectionLimit: 8, connectTimeout: 10_000 });
  const executor = fromMysql2(pool as never);
  const tabletHttp = options.tabletHttp ?? [];
  return {
    executor,
    ...(defaultKeyspace !== undefined ? { defaultKeyspace } : {}),
    tabletHttp,
    async openConnection() {
      const conn = await pool.getConnection();
      return { executor: fromMysql2(conn as never), close: () => conn.destroy() };
    },
    async table(arg) {
      const dot = arg.indexOf('.');
      const named = dot > 0 ? arg.slice(0, dot) : undefined;
      const table = checkIdentifier(dot > 0 ? arg.slice(dot + 1) : arg, 'table', 'vitess-messages');
      const entity = specs.find((s) => s.table === table && (named === undefined || s.keyspace === named));
      const keyspace = named ?? options.keyspace ?? entity?.keyspace ?? urlKeyspace;
      if (!keyspace) throw new InvalidOptionError('vitess-messages', 'keyspace', `of ${table} is unknown: write keyspace.${table}, pass --keyspace, or name the keyspace in the URL (mysql://…/commerce)`);
      checkKeyspace(keyspace, 'vitess-messages');
      const info = await describeTable(executor, keyspace, table, { tabletHttp });
      const spec = entity ?? (info?.options ? specFromTable(info) : undefined);
      return { keyspace, table, info, ...(spec ? { spec } : {}) };
    },
    close: () => pool.end(),
  };
}

/** The spec of a table, or a clear error saying why there is none. */
export function requireSpec(t: ResolvedTable): MessageTableSpec {
  if (t.spec) return t.spec;
  const name = `${t.keyspace}.${t.table}`;
  if (!t.info) throw new InvalidOptionError('vitess-messages', 'table', 'names no table of its keyspace', name);
  throw new InvalidOptionError('vitess-messages', 'table', `is not a message table: ${t.info.problem ?? 'its comment has no options'}`, name);
}

/** The keyspace a mysql:// URL names as its database, if any. */
export function databaseOf(url: string): string | undefined {
  try {
    const path = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
    return path === '' ? undefined : path;
  } catch {
    throw new InvalidOptionError('vitess-messages', 'url', 'is not a URL (mysql://user:pass@host:port/keyspace)', url.replace(/\/\/[^@/]*@/, '//…@'));
  }
}

/** mysql2 options from a TypeORM MySQL DataSource's. */
function fromDataSourceOptions(o: Record<string, unknown>): Record<string, unknown> {
  if (typeof o['url'] === 'string') return { uri: o['url'], ...(o['database'] ? { database: o['database'] } : {}) };
  const out: Record<string, unknown> = {};
  for (const [from, to] of [['host', 'host'], ['port', 'port'], ['username', 'user'], ['password', 'password'], ['database', 'database'], ['ssl', 'ssl']] as const) {
    if (o[from] !== undefined) out[to] = o[from];
  }
  return out;
}
