/**
 * Diagnostic: what each part of the enqueue INSERT costs, written by hand
 * through mysql2 (no library code), 500-row statements, 2 callers, in
 * interleaved rounds. From the raw control to the statement `enqueueMany`
 * sends, one step at a time:
 *
 * - `raw`: `(id, time_next, body)` with `time_next` a literal 0 (bench/enqueue's `raw-many`);
 * - `priority`: + priority, time_next as values (every column a value);
 * - `now-per-row`: + `enqueued_at` as the database-now expression in every row;
 * - `now-read-once`: + `enqueued_at` as one value read before the INSERT (`select …`);
 * - `library-small`: now-per-row + the duplicate-key clause (what chunks under 100 rows send);
 * - `library`: now-read-once + the duplicate-key clause (what 500-row chunks send).
 *
 *   npm run bench:enqueue-statement [-- --quick] [--rounds 5] [--rows 20000]
 */
import { createPool } from 'mysql2/promise';
import { randomId } from '../src/core/ids';
import { DB_NOW_NS } from '../src/core/sql/db-now';
import { repeatMark } from '../src/core/sql/enqueue';
import { createFromSpec, producerDefinition, type TestTable } from '../test/helpers/producer-harness';
import { uniqueName, vitess } from '../test/helpers/vitess';
import { type BenchFlags, fmt, roundOrder, spread } from './lib/stats';
import { runPart } from './lib/part';

const CHUNK = 500;
const VARIANTS = ['raw', 'priority', 'now-per-row', 'now-read-once', 'library-small', 'library'] as const;
type Variant = (typeof VARIANTS)[number];

/** The INSERT of one variant for `table`, and whether it reads the database's now first. */
function statement(variant: Variant, table: string): { sql: string; readNow: boolean; nowValue: boolean; priority: boolean } {
  const rows = (cells: string) => new Array(CHUNK).fill(`(${cells})`).join(', ');
  const dup = ` on duplicate key update ${repeatMark('')}`;
  switch (variant) {
    case 'raw':
      return { sql: `insert into ${table} (id, time_next, body) values ${rows('?, 0, ?')}`, readNow: false, nowValue: false, priority: false };
    case 'priority':
      return { sql: `insert into ${table} (id, priority, time_next, body) values ${rows('?, ?, ?, ?')}`, readNow: false, nowValue: false, priority: true };
    case 'now-per-row':
      return { sql: `insert into ${table} (id, priority, time_next, enqueued_at, body) values ${rows(`?, ?, ?, ${DB_NOW_NS}, ?`)}`, readNow: false, nowValue: false, priority: true };
    case 'now-read-once':
      return { sql: `insert into ${table} (id, priority, time_next, enqueued_at, body) values ${rows('?, ?, ?, ?, ?')}`, readNow: true, nowValue: true, priority: true };
    case 'library-small':
      return { sql: `insert into ${table} (id, priority, time_next, enqueued_at, body) values ${rows(`?, ?, ?, ${DB_NOW_NS}, ?`)}${dup}`, readNow: false, nowValue: false, priority: true };
    case 'library':
      return { sql: `insert into ${table} (id, priority, time_next, enqueued_at, body) values ${rows('?, ?, ?, ?, ?')}${dup}`, readNow: true, nowValue: true, priority: true };
  }
}

async function main(flags: BenchFlags): Promise<unknown> {
  const total = Number(flags.values.get('rows') ?? (flags.quick ? 5_000 : 20_000));
  const pool = createPool({ uri: vitess.mysqlUrl, supportBigNumbers: true, bigNumberStrings: true, connectionLimit: 10 });
  console.log(`enqueue-statement: ${total} rows per variant in ${CHUNK}-row INSERTs (2 callers), ${flags.rounds} rounds`);
  const tables = new Map<Variant, TestTable>();
  try {
    const base = uniqueName('bench_stmt');
    for (const v of VARIANTS) tables.set(v, await createFromSpec(producerDefinition(`${base}_${v.replace(/-/g, '_')}`)));
    const rates = new Map<Variant, number[]>(VARIANTS.map((v) => [v, []]));
    const ratios = new Map<Variant, number[]>(VARIANTS.map((v) => [v, []]));
    for (let r = 0; r < flags.rounds; r++) {
      const round = new Map<Variant, number>();
      for (const v of roundOrder(VARIANTS, r)) {
        const s = statement(v, tables.get(v)!.qualified);
        const calls = Math.ceil(total / CHUNK);
        let next = 0;
        const t0 = performance.now();
        await Promise.all([0, 1].map(async () => {
          while (next < calls) {
            const i = next++;
            const now = s.readNow ? String(((await pool.query(`select cast(${DB_NOW_NS} as char) as n`))[0] as Array<{ n: string }>)[0]!.n) : undefined;
            const params: unknown[] = [];
            for (let k = 0; k < CHUNK; k++) {
              params.push(randomId().toString());
              if (s.priority) params.push(50, '0');
              if (s.nowValue) params.push(now);
              params.push(JSON.stringify({ i: i * CHUNK + k }));
            }
            await pool.query(s.sql, params);
          }
        }));
        const rate = (calls * CHUNK) / ((performance.now() - t0) / 1000);
        round.set(v, rate);
        rates.get(v)!.push(rate);
      }
      for (const v of VARIANTS) ratios.get(v)!.push(round.get(v)! / round.get('raw')!);
      console.log(`  round ${r + 1}: ${VARIANTS.map((v) => `${v} ${Math.round(round.get(v)!)}`).join(', ')}`);
    }
    console.log('\nvariant          rows/s                      ratio to raw');
    const results = VARIANTS.map((v) => ({ variant: v, rate: spread(rates.get(v)!), ratioToRaw: spread(ratios.get(v)!) }));
    for (const r of results) console.log(`${r.variant.padEnd(16)} ${fmt(r.rate, 0).padEnd(27)} ${fmt(r.ratioToRaw, 2)}`);
    return results;
  } finally {
    for (const t of tables.values()) await t.drop();
    await pool.end();
  }
}

runPart(module, main);
