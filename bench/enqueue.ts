/**
 * Enqueue throughput benchmark (a script, not a test): closed loops of
 * `concurrency` callers writing messages as fast as they return, each library
 * path beside the raw mysql2 statement a user would write by hand:
 *
 * - `typeorm-tx` (one message per `dataSource.transaction`, the entity path)
 *   beside `raw-tx` (mysql2 `BEGIN; INSERT; COMMIT` on a pooled connection),
 *   and `typeorm-tx-raw` (the same TypeORM transaction with a hand-written
 *   INSERT through `m.query`): TypeORM's own share;
 * - `enqueue` (the library's `enqueue` in autocommit on a mysql2 pool) beside
 *   `raw` (one autocommit `INSERT`);
 * - `enqueueMany` (chunks of 500) beside `raw-many` (multi-row INSERTs of 500).
 *
 * The raw statements write `(id, time_next, body)`; ours also writes
 * `priority`, `enqueued_at` (the database's clock) and the duplicate-key
 * clause. Each path has its own table; rounds interleave the paths (order
 * alternating). Prints msg/s (median, min–max), the ratio to its control per
 * round, and client CPU seconds per 10,000 messages.
 *
 *   npm run bench:enqueue [-- --quick] [--rounds 5] [--paths enqueueMany,raw-many] [--json out.json]
 */
import { createPool, type Pool } from 'mysql2/promise';
import { Column, DataSource } from 'typeorm';
import { fromMysql2 } from '../src/adapters/mysql2';
import { randomId } from '../src/core/ids';
import { messageQueue } from '../src/queue-handle';
import { MessageTable } from '../src/typeorm/message-table';
import { messageQueue as entityQueue } from '../src/typeorm/queue-handle';
import { getMessageTableSpec } from '../src/typeorm/registry';
import { VitessMessage } from '../src/typeorm/vitess-message';
import { createFromSpec, type TestTable } from '../test/helpers/producer-harness';
import { uniqueName, vitess } from '../test/helpers/vitess';
import { type BenchFlags, fmt, roundOrder, spread, withCpu, type Spread } from './lib/stats';
import { runPart } from './lib/part';

export const ENQUEUE_PATHS = ['typeorm-tx', 'typeorm-tx-raw', 'raw-tx', 'enqueue', 'raw', 'enqueueMany', 'raw-many'] as const;
export type EnqueuePath = (typeof ENQUEUE_PATHS)[number];
/** Each library path and its raw control. */
export const CONTROL: Partial<Record<EnqueuePath, EnqueuePath>> = { 'typeorm-tx': 'raw-tx', 'typeorm-tx-raw': 'raw-tx', enqueue: 'raw', enqueueMany: 'raw-many' };

const POOL_SIZE = 10;
const CHUNK = 500;

export interface EnqueueResult {
  readonly path: EnqueuePath;
  readonly messages: number;
  readonly concurrency: number;
  readonly rate: Spread;
  readonly cpuPer10k: Spread;
  /** Rate over the control's, per round (library paths only). */
  readonly ratioToControl?: Spread;
}

function entityFor(table: string): Function {
  @MessageTable({ name: table, keyspace: vitess.sharded })
  class EnqueueJob extends VitessMessage {
    @Column('json', { nullable: true })
    body!: { i: number } | null;
  }
  return EnqueueJob;
}

/** One unit of work per path: how many messages it writes, and the call. */
type Step = { readonly size: number; readonly run: (i: number) => Promise<unknown> };

function steps(ds: DataSource, entity: Function, pool: Pool, tables: Record<EnqueuePath, TestTable>): Record<EnqueuePath, Step> {
  const jobs = entityQueue(entity as new () => VitessMessage & { body: { i: number } | null }, { dataSource: ds });
  const plain = messageQueue(tables.enqueue.spec, { executor: fromMysql2(pool) });
  const many = messageQueue(tables.enqueueMany.spec, { executor: fromMysql2(pool) });
  const insert = (t: TestTable, rows: number) => `insert into ${t.qualified} (id, time_next, body) values ${new Array(rows).fill('(?, 0, ?)').join(', ')}`;
  const rawTx = insert(tables['raw-tx'], 1);
  const ormRaw = insert(tables['typeorm-tx-raw'], 1);
  const raw = insert(tables.raw, 1);
  const rawMany = insert(tables['raw-many'], CHUNK);
  const manyItems = (i: number) => Array.from({ length: CHUNK }, (_, k) => ({ payload: { body: { i: i * CHUNK + k } } }));
  const manyParams = (i: number) => {
    const p: string[] = [];
    for (let k = 0; k < CHUNK; k++) p.push(randomId().toString(), JSON.stringify({ i: i * CHUNK + k }));
    return p;
  };
  return {
    'typeorm-tx': { size: 1, run: (i) => ds.transaction((m) => jobs.with(m).enqueue({ body: { i } })) },
    'typeorm-tx-raw': { size: 1, run: (i) => ds.transaction((m) => m.query(ormRaw, [randomId().toString(), JSON.stringify({ i })])) },
    'raw-tx': {
      size: 1,
      run: async (i) => {
        const conn = await pool.getConnection();
        try {
          await conn.beginTransaction();
          await conn.query(rawTx, [randomId().toString(), JSON.stringify({ i })]);
          await conn.commit();
        } finally {
          conn.release();
        }
      },
    },
    enqueue: { size: 1, run: (i) => plain.enqueue({ body: { i } }) },
    raw: { size: 1, run: (i) => pool.query(raw, [randomId().toString(), JSON.stringify({ i })]) },
    enqueueMany: { size: CHUNK, run: (i) => many.enqueueMany(manyItems(i), { chunkSize: CHUNK }) },
    'raw-many': { size: CHUNK, run: (i) => pool.query(rawMany, manyParams(i)) },
  };
}

/** `concurrency` callers, each calling `step.run` until `messages` were written. */
async function closedLoop(step: Step, messages: number, concurrency: number): Promise<number> {
  const calls = Math.ceil(messages / step.size);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < calls) await step.run(next++);
  }));
  return (calls * step.size) / ((performance.now() - t0) / 1000);
}

export async function runEnqueue(options: { single: number; many: number; rounds: number; concurrency: number; paths?: readonly EnqueuePath[]; log?: (s: string) => void }): Promise<EnqueueResult[]> {
  const log = options.log ?? console.log;
  const paths = options.paths ?? ENQUEUE_PATHS;
  const base = uniqueName('bench_enq');
  const entity = entityFor(`${base}_orm`);
  const ds = new DataSource({ type: 'mysql', url: vitess.mysqlUrl, database: vitess.unsharded, entities: [entity], synchronize: false, logging: false, extra: { connectionLimit: POOL_SIZE } });
  await ds.initialize();
  const pool = createPool({ uri: vitess.mysqlUrl, supportBigNumbers: true, bigNumberStrings: true, connectionLimit: POOL_SIZE });
  const tables = {} as Record<EnqueuePath, TestTable>;
  try {
    const ormSpec = getMessageTableSpec(entity, ds);
    for (const path of ENQUEUE_PATHS) tables[path] = await createFromSpec(path === 'typeorm-tx' ? ormSpec : { ...ormSpec, table: `${base}_${path.replace(/-/g, '_').toLowerCase()}` });
    const step = steps(ds, entity, pool, tables);
    for (const path of paths) await closedLoop(step[path], step[path].size * 20, options.concurrency); // warm-up
    const rates = new Map<EnqueuePath, number[]>(paths.map((p) => [p, []]));
    const cpus = new Map<EnqueuePath, number[]>(paths.map((p) => [p, []]));
    const ratios = new Map<EnqueuePath, number[]>(paths.map((p) => [p, []]));
    for (let r = 0; r < options.rounds; r++) {
      const round = new Map<EnqueuePath, number>();
      for (const path of roundOrder(paths, r)) {
        const messages = step[path].size > 1 ? options.many : options.single;
        const { value: rate, cpuS } = await withCpu(() => closedLoop(step[path], messages, step[path].size > 1 ? Math.min(2, options.concurrency) : options.concurrency));
        round.set(path, rate);
        rates.get(path)!.push(rate);
        cpus.get(path)!.push((cpuS * 10_000) / messages);
        log(`  round ${r + 1} ${path.padEnd(12)} ${Math.round(rate).toLocaleString('en-US').padStart(7)} msg/s  cpu ${((cpuS * 10_000) / messages).toFixed(2)} s/10k`);
      }
      for (const [path, control] of Object.entries(CONTROL) as Array<[EnqueuePath, EnqueuePath]>) {
        if (round.has(path) && round.has(control)) ratios.get(path)!.push(round.get(path)! / round.get(control)!);
      }
    }
    return paths.map((path) => ({
      path,
      messages: step[path].size > 1 ? options.many : options.single,
      concurrency: step[path].size > 1 ? Math.min(2, options.concurrency) : options.concurrency,
      rate: spread(rates.get(path)!),
      cpuPer10k: spread(cpus.get(path)!),
      ...(ratios.get(path)!.length > 0 ? { ratioToControl: spread(ratios.get(path)!) } : {}),
    }));
  } finally {
    for (const t of Object.values(tables)) await t.drop().catch(() => undefined);
    await ds.destroy();
    await pool.end();
  }
}

export function printEnqueue(results: readonly EnqueueResult[], log = console.log): void {
  log('\npath          msg/s                        ratio to control     cpu s/10k');
  for (const r of results) {
    log(`${r.path.padEnd(13)} ${fmt(r.rate, 0).padEnd(28)} ${(r.ratioToControl ? `${fmt(r.ratioToControl, 2)} vs ${CONTROL[r.path]}` : '—').padEnd(20)} ${fmt(r.cpuPer10k, 2)}`);
  }
}

async function main(flags: BenchFlags): Promise<unknown> {
  const single = Number(flags.values.get('messages') ?? (flags.quick ? 400 : 4_000));
  const many = Number(flags.values.get('many') ?? (flags.quick ? 5_000 : 50_000));
  const concurrency = Number(flags.values.get('concurrency') ?? 8);
  const paths = (flags.values.get('paths')?.split(',') ?? ENQUEUE_PATHS) as EnqueuePath[];
  const unknown = paths.filter((p) => !ENQUEUE_PATHS.includes(p));
  if (unknown.length > 0) throw new Error(`unknown --paths ${unknown.join(', ')} (known: ${ENQUEUE_PATHS.join(', ')})`);
  console.log(`enqueue: ${single} single messages (${concurrency} callers) and ${many} in chunks of ${CHUNK} (2 callers) per path, ${flags.rounds} rounds`);
  const results = await runEnqueue({ single, many, rounds: flags.rounds, concurrency, paths });
  printEnqueue(results);
  return results;
}

runPart(module, main);
