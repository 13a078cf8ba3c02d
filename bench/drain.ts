/**
 * Drain benchmark (a script, not a test): a 50,000-message backlog in a table
 * with the library's default options (vt_batch_size 500, ack wait 30 s), drained
 * with a no-op handler by our subscriber, then the same backlog in a fresh table
 * by a Go consumer on Vitess's own vitessdriver (bench/go-drain, same module
 * version v0.24.4). Prints both rates and the ratio.
 *
 *   npm run bench:drain [-- messages]
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { defineMessageTable } from '../src/core/define';
import type { MessageTableSpec } from '../src/core/spec';
import { buildDropSchemaSql, buildSchemaSql } from '../src/migration/ddl';
import { subscribe } from '../src/subscriber/subscriber';
import { insertMessages, poolExecutor } from '../test/helpers/subscriber-fixtures';
import { closePool, uniqueName, vitess, vtgatePool, waitUntil } from '../test/helpers/vitess';

const N = Number(process.argv[2] ?? 50_000);
const root = join(__dirname, '..', '..');

async function backlog(prefix: string): Promise<{ spec: MessageTableSpec; qualified: string }> {
  const spec = defineMessageTable({ table: uniqueName(prefix), keyspace: vitess.sharded, columns: { payload: { type: 'json', nullable: true } } });
  for (const sql of buildSchemaSql(spec)) await vtgatePool().query(sql);
  const qualified = `\`${spec.keyspace}\`.\`${spec.table}\``;
  const t0 = Date.now();
  await insertMessages(qualified, N, 500, (i) => ({ i, task: 'noop' }));
  console.log(`  ${prefix}: enqueued ${N} in ${((Date.now() - t0) / 1000).toFixed(1)} s (${Math.round(N / ((Date.now() - t0) / 1000))}/s), batch size ${spec.options.batchSize}`);
  return { spec, qualified };
}

async function drop(spec: MessageTableSpec): Promise<void> {
  for (const sql of buildDropSchemaSql(spec)) await vtgatePool().query(sql).catch(() => undefined);
}

async function ours(): Promise<number> {
  const { spec } = await backlog('bench_drain_ts');
  try {
    const t0 = Date.now();
    const sub = subscribe(spec, () => undefined, { executor: poolExecutor(), address: vitess.grpcAddr, maxInFlight: Number(process.env.MAX_IN_FLIGHT ?? 2000), concurrency: 50, ackConcurrency: Number(process.env.ACK_CONCURRENCY ?? 2), grpc: process.env.WINDOW ? { flowControlWindowBytes: Number(process.env.WINDOW) } : {} });
    await waitUntil(() => sub.stats().acked >= N, 600_000, 'our drain');
    const seconds = (Date.now() - t0) / 1000;
    await sub.close();
    const s = sub.stats();
    console.log(`  vitess-messages: ${s.acked} acked in ${seconds.toFixed(2)} s, duplicates ${s.received - N}`);
    return s.acked / seconds;
  } finally {
    await drop(spec);
  }
}

async function go(): Promise<number> {
  const build = spawnSync('bash', [join(root, 'bench/go-drain/build.sh'), join(root, 'build/bench/go-drain')], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error('building bench/go-drain failed');
  const { spec } = await backlog('bench_drain_go');
  try {
    const res = spawnSync(join(root, 'build/bench/go-drain'), ['-addr', vitess.grpcAddr, '-keyspace', spec.keyspace!, '-table', spec.table, '-n', String(N), '-ack-batch', '500'], { encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`go-drain failed: ${res.stderr}`);
    const out = JSON.parse(res.stdout.trim()) as { acked: number; seconds: number; rate: number };
    console.log(`  go vitessdriver: ${out.acked} acked in ${out.seconds.toFixed(2)} s`);
    return out.rate;
  } finally {
    await drop(spec);
  }
}

async function main(): Promise<void> {
  console.log(`drain: ${N}-message backlog, no-op handler, default table options`);
  const a = await ours();
  if (process.env.BENCH_ONLY === 'ours') return closePool();
  const b = await go();
  console.log(`vitess-messages ${Math.round(a)} msg/s, go vitessdriver ${Math.round(b)} msg/s, ratio ${(a / b).toFixed(2)}`);
  await closePool();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
