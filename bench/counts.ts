/**
 * How long `counts()` takes on a big table: `rows` messages per shard (default
 * 1,000,000 on each of the 2 shards), a mix of states (40 % due, 10 %
 * scheduled, 10 % in flight, 10 % failed, 30 % acked), built with multi-row
 * INSERTs through vtgate. Then, twice — the single pass (no index declared),
 * and the range counts once the index (time_acked, time_next, enqueued_at,
 * epoch) is added — median of `rounds` (5): the table totals (one scatter
 * statement), the per-shard figures (one shard-targeted connection per
 * shard, in parallel), the statement on one shard alone with MySQL's EXPLAIN,
 * and MySQL's bare `count(*)` of that shard. Both ways must give the same
 * counts.
 * The table is dropped afterwards, unless `COUNTS_KEEP=1` (its name is
 * printed); `COUNTS_TABLE=<name>` measures such a kept table again without
 * loading it (loading 2M rows takes about a minute).
 *
 *   node scripts/run.mjs build/bench/counts.js [rowsPerShard=1000000] [rounds=5]
 */
import { fromMysql2 } from '../src/adapters/mysql2';
import { counts, type CountsResult, type QueueCounts, type ShardConnection } from '../src/core/queue-admin';
import { buildCounts, buildRangeCounts, COUNTS_INDEX_COLUMNS, countsIndexOf } from '../src/core/sql/counts';
import type { MessageTableSpec } from '../src/core/spec';
import { buildUseShard } from '../src/core/sql/shards';
import { NEVER_NS } from '../src/core/time';
import { quoteTable } from '../src/core/identifiers';
import { buildDropSchemaSql } from '../src/migration/ddl';
import { producerDefinition, producerTable, type ProducerTableOptions, type TestTable } from '../test/helpers/producer-harness';
import { closePool, vtgatePool } from '../test/helpers/vitess';
import { spread } from './lib/stats';

const PER_SHARD = Number(process.argv[2] ?? 1_000_000);
const ROUNDS = Number(process.argv[3] ?? 5);
const SHARDS = 2;
const CHUNK = 500;
const WRITERS = 4;

const HOUR_NS = 3_600_000_000_000n;
/** The index the range counts use, added after the first measurement and dropped after the second. */
const COUNTS_INDEX = 'vm_counts_idx';

/** One row's bookkeeping for message number `i`: the state mix above. */
function row(i: number, nowNs: bigint): Array<string | number | null> {
  const id = String(1_000_000_000 + i);
  const enqueuedAt = (nowNs - BigInt(i % 3_600) * 1_000_000_000n).toString();
  const k = i % 10;
  if (k < 4) return [id, 0, '0', null, enqueuedAt, null]; // due
  if (k === 4) return [id, 0, (nowNs + HOUR_NS).toString(), null, enqueuedAt, null]; // scheduled
  if (k === 5) return [id, 1, (nowNs + HOUR_NS).toString(), null, enqueuedAt, null]; // in flight
  if (k === 6) return [id, 3, NEVER_NS.toString(), null, enqueuedAt, nowNs.toString()]; // failed
  return [id, 1, null, nowNs.toString(), enqueuedAt, null]; // acked
}

async function main(): Promise<void> {
  const total = PER_SHARD * SHARDS;
  // A slow poller: nobody subscribes, and the tablet should not spend the machine on this table.
  const tableOptions = { ackWaitS: 3600, pollerIntervalS: 60 };
  const reuse = process.env.COUNTS_TABLE;
  const keep = process.env.COUNTS_KEEP === '1';
  const t = reuse ? existing(reuse, tableOptions) : await producerTable('bench_counts', tableOptions);
  const db = vtgatePool();
  try {
    if (!reuse) await load(t, total, db);
    else console.log(`reusing ${t.qualified}`);

    // The single pass (no counts index declared), then the range counts on the index.
    const indexed: MessageTableSpec = { ...t.spec, indexes: [{ name: COUNTS_INDEX, columns: COUNTS_INDEX_COLUMNS, unique: false }] };
    await db.query(`alter table ${t.qualified} drop index ${COUNTS_INDEX}`).catch(() => undefined);
    const a = await measure('single pass, no extra index', t, t.spec, db);
    const t0 = performance.now();
    await db.query(`alter table ${t.qualified} add index ${COUNTS_INDEX} (${COUNTS_INDEX_COLUMNS.join(', ')})`);
    console.log(`\nadding ${COUNTS_INDEX} (${COUNTS_INDEX_COLUMNS.join(', ')}): ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const b = await measure('range counts on the index', t, indexed, db);
    if (JSON.stringify(withoutAges(a)) !== JSON.stringify(withoutAges(b))) throw new Error(`the two ways disagree: ${JSON.stringify(a)} against ${JSON.stringify(b)}`);
    await db.query(`alter table ${t.qualified} drop index ${COUNTS_INDEX}`);
  } finally {
    if (keep) console.log(`kept ${t.qualified}: COUNTS_TABLE=${t.table} to measure it again`);
    else await t.drop();
    await closePool();
  }
}

/** counts() on `spec`: table totals (scatter), per shard, one shard alone, and its plan there; returns the per-shard answer. */
async function measure(title: string, t: TestTable, spec: MessageTableSpec, db: ReturnType<typeof vtgatePool>): Promise<CountsResult> {
  console.log(`\n${title}`);
  const x = fromMysql2(db);
  const openConnection = async (): Promise<ShardConnection> => {
    const conn = await db.getConnection();
    return { executor: fromMysql2(conn), close: () => conn.destroy() };
  };
  const first = await counts(x, spec, { openConnection });
  console.log('counts:', JSON.stringify(first));
  const scatter: number[] = [];
  const perShard: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let t0 = performance.now();
    await counts(x, spec);
    scatter.push(performance.now() - t0);
    t0 = performance.now();
    await counts(x, spec, { openConnection });
    perShard.push(performance.now() - t0);
  }
  console.log(`table totals (scatter):        ${fmt(scatter)}`);
  console.log(`per shard (2 connections):     ${fmt(perShard)}`);
  const conn = await db.getConnection();
  try {
    await conn.query(buildUseShard(t.keyspace, '-80').sql);
    const index = countsIndexOf(spec);
    const st = index ? buildRangeCounts(spec, index) : buildCounts(spec);
    const [plan] = await conn.query(`explain ${st.sql}`, [...st.params]);
    console.log('EXPLAIN on -80:', String(Object.values((plan as Array<Record<string, unknown>>)[0] ?? {})[0]).replaceAll(t.table, 'T'));
    const alone: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const t0 = performance.now();
      await conn.query(st.sql, [...st.params]);
      alone.push(performance.now() - t0);
    }
    console.log(`one shard alone:               ${fmt(alone)}`);
    // The floor of any answer that reads every row: MySQL's own count of them.
    const floor: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const t1 = performance.now();
      await conn.query(`select count(*) from ${t.qualified.split('.')[1]}`);
      floor.push(performance.now() - t1);
    }
    console.log(`count(*) on one shard (floor): ${fmt(floor)}`);
  } finally {
    conn.destroy();
  }
  return first;
}

function fmt(xs: number[]): string {
  return `median ${spread(xs).median.toFixed(0)} ms (${xs.map((v) => v.toFixed(0)).join(', ')})`;
}

/** The answer without its ages, which move with the clock between two calls. */
function withoutAges(c: CountsResult): unknown {
  const strip = (q: QueueCounts): unknown => [q.due, q.scheduled, q.inFlight, q.failed, q.acked];
  return [strip(c), Object.entries(c.shards ?? {}).map(([k, v]) => [k, strip(v)])];
}

/** A table kept by an earlier run: its spec, and how to drop it, without creating it. */
function existing(table: string, options: ProducerTableOptions): TestTable {
  const spec = producerDefinition(table, options);
  const keyspace = spec.keyspace!;
  return {
    table,
    keyspace,
    qualified: quoteTable(table, keyspace),
    spec,
    drop: async () => {
      for (const sql of buildDropSchemaSql(spec)) await vtgatePool().query(sql).catch(() => undefined);
    },
  };
}

async function load(t: TestTable, total: number, db: ReturnType<typeof vtgatePool>): Promise<void> {
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  const started = Date.now();
  let next = 0;
  const writer = async (): Promise<void> => {
    for (;;) {
      const from = next;
      if (from >= total) return;
      next += CHUNK;
      const rows = Array.from({ length: Math.min(CHUNK, total - from) }, (_, j) => row(from + j, nowNs));
      await db.query(
        `insert into ${t.qualified} (id, epoch, time_next, time_acked, enqueued_at, failed_at) values ${rows.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')}`,
        rows.flat(),
      );
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, writer));
  const loadS = (Date.now() - started) / 1000;
  console.log(`loaded ${total} rows in ${loadS.toFixed(1)} s (${Math.round(total / loadS)} rows/s)`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
