/**
 * The admin commands of the built bin (`build/src/migration/cli.js`) against
 * the real Vitess, with `--url` and `--json`: tables, stats (and --watch),
 * failed, retry (ids, --all-failed --reason-like in batches), purge-failed,
 * peek and explain; errors exit 2 with a typed message. None of them takes a
 * message: due ones are still unsent afterwards, and the tablet sent nothing.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { ack, enqueue, enqueueMany, fail, getMessages } from '../../src/core/operations';
import { countByShard } from '../helpers/count-by-shard';
import { getMessageTableSpec } from '../../src/typeorm/registry';
import { AdminCliJob } from '../fixtures/admin-cli-ormconfig';
import { createFromSpec, mysql2Harness, producerTable } from '../helpers/producer-harness';
import { closePool, debugVars, vitess } from '../helpers/vitess';

test.after(() => closePool());

const root = join(__dirname, '..', '..', '..');
const DAY_NS = 86_400_000_000_000n;

/** Runs the bin (asynchronously: the test's own pool stays served) and collects its output. */
function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const { VTGATE_MYSQL_URL: _url, ...rest } = process.env;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'build/src/migration/cli.js'), ...args], { cwd: root, env: { ...rest, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill(), 120_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

async function json<T = Record<string, unknown>>(args: string[], env?: NodeJS.ProcessEnv): Promise<T> {
  const r = await cli([...args, '--json'], env);
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

test('admin CLI: tables, stats, failed, retry, purge-failed, peek and explain with --url and --json; nothing consumed', async (t) => {
  const tt = await producerTable('cli_admin', { ackWaitS: 3600 });
  t.after(() => tt.drop());
  const x = mysql2Harness().executor();
  const url = ['--url', vitess.mysqlUrl];
  const name = `${tt.keyspace}.${tt.table}`;

  const due = await enqueueMany(x, tt.spec, [1, 2].map((n) => ({ payload: { body: { n }, note: 'due' } })));
  const scheduled = await enqueue(x, tt.spec, { body: null }, { delay: '1h' });
  const acked = await enqueue(x, tt.spec, { body: null });
  assert.equal(await ack(x, tt.spec, acked), 1);
  const failed = await enqueueMany(x, tt.spec, [1, 2, 3].map((n) => ({ payload: { body: { n } } })));
  const [timeoutA, timeoutB, poison] = failed as [string, string, string];
  await fail(x, tt.spec, timeoutA, { reason: 'timeout after 5s' });
  await fail(x, tt.spec, timeoutB, { reason: 'upstream timeout' });
  await fail(x, tt.spec, poison, { reason: 'poison' });

  // tables: the comment read back, loaded, no counters for a table never streamed.
  const tables = await json<Array<Record<string, any>>>(['tables', ...url, '-k', tt.keyspace, '--tablet-http', vitess.httpUrl!]);
  const mine = tables.find((r) => r.table === tt.table)!;
  assert.ok(mine, 'our table is listed');
  assert.deepEqual([mine.loaded, mine.options.ackWaitMs, mine.options.batchSize, mine.vindex, mine.shards], [true, 3_600_000, 100, { column: 'id', type: 'hash' }, ['-80', '80-']]);
  assert.deepEqual(mine.missingBookkeeping, []);
  assert.ok(!(mine.counters.clientCount > 0) && !mine.counters.sent, `no subscriber, nothing sent: ${JSON.stringify(mine.counters)}`);
  const human = await cli(['tables', ...url, '-k', tt.keyspace]);
  assert.match(human.stdout, new RegExp(`^${tt.keyspace}\\s+${tt.table}\\s+yes\\s+1h\\s+1d\\s+500ms\\s+100\\s+10000`, 'm'));

  // stats: per shard, as the shard databases hold the rows; the keyspace from the URL this time.
  const stats = await json<Record<string, any>>(['stats', tt.table, '--url', `${vitess.mysqlUrl.replace(/\/$/, '')}/${tt.keyspace}`]);
  assert.deepEqual([stats.due, stats.scheduled, stats.inFlight, stats.failed, stats.acked], [2, 1, 0, 3, 1]);
  const dueByShard = await countByShard(tt.keyspace, tt.table, 'id in (?, ?)', due);
  for (const [shard, n] of Object.entries(dueByShard)) assert.equal(stats.shards[shard].due, n, `shard ${shard}`);
  const watched = await cli(['stats', name, ...url, '--watch', '0.2', '--iterations', '2', '--json']);
  assert.equal(watched.status, 0, watched.stderr);
  const lines = watched.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
  assert.deepEqual(lines.map((l) => l.failed), [3, 3], 'one JSON line per refresh');
  assert.ok(lines.every((l) => typeof l.at === 'string'));

  // failed: the three dead letters with reasons.
  const page = await json<{ messages: Array<Record<string, any>> }>(['failed', name, ...url]);
  assert.deepEqual(page.messages.map((m) => [m.id, m.reason]).sort(), [[timeoutA, 'timeout after 5s'], [timeoutB, 'upstream timeout'], [poison, 'poison']].sort());

  // retry --all-failed --reason-like, one message per batch: the two timeouts only.
  assert.deepEqual(await json(['retry', name, ...url, '--all-failed', '--reason-like', '%timeout%', '--batch-size', '1']), { retried: 2, matched: 2 });
  assert.deepEqual((await getMessages(x, tt.spec, failed)).map((m) => [m.id, m.state, m.reason]).sort(), [[timeoutA, 'pending', null], [timeoutB, 'pending', null], [poison, 'failed', 'poison']].sort());
  // retry by id.
  assert.deepEqual(await json(['retry', name, poison, due[0]!, ...url]), { retried: 1, of: 2 });

  // purge-failed: only the one failed ten days ago.
  await fail(x, tt.spec, [timeoutA, timeoutB], { reason: 'again' });
  await x.query(`update ${tt.qualified} set failed_at = failed_at - ? where id = ?`, [(10n * DAY_NS).toString(), timeoutA]);
  assert.deepEqual(await json(['purge-failed', name, ...url, '--older-than', '7d']), { deleted: 1, matched: 1 });
  assert.deepEqual((await getMessages(x, tt.spec, [timeoutA, timeoutB])).map((m) => m.id), [timeoutB]);

  // peek: state and payload; a missing id exits 1.
  const peeked = await json<Record<string, any>>(['peek', name, due[1]!, ...url]);
  assert.deepEqual([peeked.id, peeked.state, peeked.payload], [due[1], 'due', { body: { n: 2 }, note: 'due' }]);
  const none = await cli(['peek', name, timeoutA, ...url]);
  assert.equal(none.status, 1);
  assert.match(none.stdout, /no message .* \(vitess-messages explain says why\)/);

  // explain: due with no subscriber (the tablet's counters), a purged one, a scheduled one, in words for people.
  const e = await json<Record<string, any>>(['explain', name, due[1]!, ...url, '--tablet-http', vitess.httpUrl!]);
  assert.equal(e.state, 'no-subscriber');
  assert.equal(e.shard, Object.entries(await countByShard(tt.keyspace, tt.table, 'id = ?', [due[1]!])).find(([, n]) => n === 1)![0]);
  assert.equal((await json<Record<string, any>>(['explain', name, timeoutA, ...url])).state, 'no-such-row');
  const words = await cli(['explain', name, scheduled, ...url]);
  assert.equal(words.status, 0, words.stderr);
  assert.match(words.stdout, /^Message \d+ is scheduled for .* and has never been sent/);
  assert.match(words.stdout, /^ {2}state +scheduled$/m);

  // Nothing above took a message: the due ones were never sent, and the tablet counts no send.
  assert.deepEqual((await getMessages(x, tt.spec, due)).map((m) => m.epoch), [0, 0]);
  const sent = ((await debugVars())['Messages'] as Record<string, number>)[`${tt.table}.Sent`];
  assert.ok(sent === undefined || sent === 0, `the tablet sent ${sent}`);
});

test('admin CLI: -d takes the connection and the table\'s keyspace and spec from a TypeORM DataSource', async () => {
  // The fixture's entity (admin_cli_job in the sharded keyspace) and its connection (database: the unsharded one).
  const table = await createFromSpec(getMessageTableSpec(AdminCliJob));
  try {
    await enqueue(mysql2Harness().executor(), table.spec, { body: { n: 1 } });
    const r = await json<Record<string, any>>(['stats', 'admin_cli_job', '-d', 'build/test/fixtures/admin-cli-ormconfig.js']);
    assert.deepEqual(Object.keys(r.shards).sort(), ['-80', '80-'], 'found in the sharded keyspace through the entity, not the DataSource\'s meta');
    assert.deepEqual([r.due, r.failed], [1, 0]);
  } finally {
    await table.drop();
  }
});

test('admin CLI: a missing address, keyspace or table, and bad arguments exit 2 with a typed message', async () => {
  const noUrl = await cli(['stats', 'commerce.x']);
  assert.deepEqual([noUrl.status, noUrl.stderr.trim()], [2, "InvalidOptionError: vitess-messages: option 'url' is required: pass --url mysql://user@vtgate:port/, set VTGATE_MYSQL_URL, or pass -d ormconfig.ts"]);
  const noKeyspace = await cli(['stats', 'x', '--url', vitess.mysqlUrl]);
  assert.equal(noKeyspace.status, 2);
  assert.match(noKeyspace.stderr, /option 'keyspace' of x is unknown: write keyspace\.x, pass --keyspace/);
  const noTable = await cli(['failed', `${vitess.sharded}.no_such_table_here`], { VTGATE_MYSQL_URL: vitess.mysqlUrl });
  assert.equal(noTable.status, 2);
  assert.match(noTable.stderr, /option 'table' names no table of its keyspace \(got "commerce\.no_such_table_here"\)/);
  const noIds = await cli(['retry', `${vitess.sharded}.x`, '--url', vitess.mysqlUrl]);
  assert.match(noIds.stderr, /option 'ids' is required: the ids of failed messages, or --all-failed/);
  const badName = await cli(['peek', 'commerce.x`y', '1', '--url', vitess.mysqlUrl]);
  assert.equal(badName.status, 2);
  assert.match(badName.stderr, /InvalidOptionError: .*option 'table' must match/);
});
