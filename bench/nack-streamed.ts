/**
 * Time to nack 1,000 streamed messages, each carrying its streamed epoch (the
 * send/postpone guard), old way and new way side by side, over a mysql2 pool
 * through vtgate (autocommit):
 * - old: one guarded UPDATE per message (what `nack` did before the guard was
 *   shared with the subscriber: each ref alone, its own wait);
 * - new: `nack()` — refs grouped by streamed epoch, one UPDATE per 500.
 * Messages are really streamed (gRPC `stream *`), and nacked once the tablet's
 * postpone has landed on all of them, so both ways match every row at once.
 *
 *   node scripts/run.mjs build/bench/nack-streamed.js [messages=1000] [rounds=3]
 */
import { fromMysql2 } from '../src/adapters/mysql2';
import type { Executor } from '../src/core/executor';
import { nack } from '../src/core/operations';
import { buildNack } from '../src/core/sql/nack';
import { nowNs } from '../src/core/time';
import { producerTable, type TestTable } from '../test/helpers/producer-harness';
import { TableStream } from '../test/helpers/stream-table';
import { closePool, vtgatePool, waitUntil } from '../test/helpers/vitess';

const MESSAGES = Number(process.argv[2] ?? 1000);
const ROUNDS = Number(process.argv[3] ?? 3);

interface Streamed {
  readonly t: TestTable;
  readonly refs: Array<{ id: string; epoch: number }>;
}

/** A table of `n` messages, all streamed once (epoch 0) and postponed by the tablet (epoch 1 in the row). */
async function streamedMessages(n: number): Promise<Streamed> {
  // A long ack wait: nothing comes back while we measure.
  const t = await producerTable('bench_nack', { ackWaitS: 600, batchSize: 500 });
  const stream = await TableStream.open(t.keyspace, t.table);
  try {
    const db = vtgatePool();
    const ids = Array.from({ length: n }, (_, i) => String(1_000_000 + i));
    for (let i = 0; i < n; i += 500) {
      const chunk = ids.slice(i, i + 500);
      await db.query(`insert into ${t.qualified} (id, note) values ${chunk.map(() => '(?, null)').join(', ')}`, chunk);
    }
    await stream.waitFor((s) => s.counts().size >= n, 60_000, `${n} deliveries`);
    await waitUntil(async () => {
      const [rows] = await db.query(`select count(*) as c from ${t.qualified} where epoch = 1`);
      return Number((rows as Array<{ c: string }>)[0]!.c) === n;
    }, 60_000, 'the postpones');
    const refs = stream.deliveries.map((d) => ({ id: String(d.row.id), epoch: Number(d.row.epoch) }));
    return { t, refs };
  } finally {
    await stream.close();
  }
}

/** Counts the statements an executor runs. */
function counting(executor: Executor): Executor & { statements: number } {
  const c = {
    statements: 0,
    query: (sql: string, params: Parameters<Executor['query']>[1]) => {
      c.statements++;
      return executor.query(sql, params);
    },
  };
  return c;
}

/** The old way: one guarded UPDATE per message (every postpone has landed, so no waits). */
async function oldNack(executor: Executor, s: Streamed): Promise<number> {
  let changed = 0;
  const due = nowNs().toString();
  for (const ref of s.refs) {
    const st = buildNack(s.t.spec, { ids: [ref.id], streamedEpoch: String(ref.epoch) }, due);
    changed += (await executor.query(st.sql, st.params)).affectedRows;
  }
  return changed;
}

async function main(): Promise<void> {
  const executor = fromMysql2(vtgatePool());
  console.log(`nack of ${MESSAGES} streamed messages (with their epoch), mysql2 pool through vtgate, autocommit`);
  console.log('round  old: ms  statements  changed   new: ms  statements  changed');
  for (let round = 1; round <= ROUNDS; round++) {
    const a = await streamedMessages(MESSAGES);
    const b = await streamedMessages(MESSAGES);
    try {
      const oldEx = counting(executor);
      let t0 = performance.now();
      const oldChanged = await oldNack(oldEx, a);
      const oldMs = performance.now() - t0;
      const newEx = counting(executor);
      t0 = performance.now();
      const newChanged = await nack(newEx, b.t.spec, b.refs);
      const newMs = performance.now() - t0;
      console.log(
        `${String(round).padStart(5)}  ${oldMs.toFixed(0).padStart(7)}  ${String(oldEx.statements).padStart(10)}  ${String(oldChanged).padStart(7)}` +
        `   ${newMs.toFixed(0).padStart(7)}  ${String(newEx.statements).padStart(10)}  ${String(newChanged).padStart(7)}`,
      );
    } finally {
      await a.t.drop();
      await b.t.drop();
    }
  }
  await closePool();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
