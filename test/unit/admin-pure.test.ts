/**
 * The admin reads' pure parts pinned: the table-info and explain SQL (text and
 * parameters), the comment parser against vttablet's rules, the tablet
 * counters of a `/debug/vars` document, the backoff range, time formatting.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffRange, explainMessage } from '../../src/admin/explain';
import { formatDurationMs, nsDiffMs, nsToIso } from '../../src/admin/format-time';
import { countersFor, parseTabletVars, tabletBaseUrl } from '../../src/admin/tablet-counters';
import { InvalidOptionError } from '../../src/core/errors';
import { messageTableProblem, parseMessageComment } from '../../src/core/message-comment';
import { buildTableComment, resolveTableOptions } from '../../src/core/options';
import type { MessageTableSpec } from '../../src/core/spec';
import { buildExplainRow } from '../../src/core/sql/explain';
import { buildCountFailed, buildFailedIds } from '../../src/core/sql/failed-ids';
import { buildPurgeFailed, buildPurgeFailedBatch } from '../../src/core/sql/purge-failed';
import { databaseOf } from '../../src/cli/connect';
import { cut, renderTable, toJson } from '../../src/cli/output';
import { renderProgress } from '../../src/cli/progress';
import { buildListColumns, buildListIndexes, buildListTables } from '../../src/core/sql/table-info';
import { buildShowTableVindexes, buildShowVschemaKeyspaces } from '../../src/core/sql/vschema';
import { recorder } from '../helpers/recorder';

const NOW = "timestampdiff(microsecond, '1970-01-01 00:00:00', utc_timestamp(6)) * 1000";
const options = { ackWaitMs: 30_000, purgeAfterMs: 86_400_000, pollerIntervalMs: 1_000, batchSize: 100, cacheSize: 10_000 };
const byId: MessageTableSpec = { table: 'jobs', keyspace: 'commerce', payload: [], streamed: ['id'], vindex: { column: 'id', type: 'hash' }, options };
const byCustomer: MessageTableSpec = { ...byId, vindex: { column: 'customer_id', type: 'hash' } };

test('admin-pure: table-info builders take the keyspace and table as parameters; SHOWs quote checked names', () => {
  assert.deepEqual(buildListTables('commerce'), {
    sql: "select table_name as vm_table, table_comment as vm_comment from information_schema.tables where table_schema = ? and table_type = 'BASE TABLE' order by table_name",
    params: ['commerce'],
  });
  assert.deepEqual(buildListTables('commerce', 'jobs').params, ['commerce', 'jobs']);
  assert.match(buildListTables('commerce', 'jobs').sql, /and table_name = \? order by table_name$/);
  assert.deepEqual(buildListColumns('meta', 'q'), {
    sql: 'select table_name as vm_table, column_name as vm_column, column_type as vm_type, is_nullable as vm_nullable, column_default as vm_default ' +
      'from information_schema.columns where table_schema = ? and table_name = ? order by table_name, ordinal_position',
    params: ['meta', 'q'],
  });
  assert.deepEqual(buildListIndexes('commerce', 'jobs'), {
    sql: 'select table_name as vm_table, index_name as vm_index, non_unique as vm_non_unique, column_name as vm_column, index_type as vm_index_type ' +
      'from information_schema.statistics where table_schema = ? and table_name = ? order by table_name, index_name, seq_in_index',
    params: ['commerce', 'jobs'],
  });
  assert.deepEqual(buildListIndexes('meta').params, ['meta']);
  assert.throws(() => buildListIndexes('commerce', 'jobs`'), InvalidOptionError);
  assert.deepEqual(buildShowTableVindexes('jobs', 'commerce'), { sql: 'show vschema vindexes on `commerce`.`jobs`', params: [] });
  assert.deepEqual(buildShowVschemaKeyspaces(), { sql: 'show vschema keyspaces', params: [] });
  assert.throws(() => buildShowTableVindexes('jobs`; drop table x', 'commerce'), InvalidOptionError);
  assert.throws(() => buildListTables("x' or 1=1"), InvalidOptionError);
});

test('admin-pure: explain reads Vitess\'s bookkeeping, ours where present, the vindex column, and the shard\'s now; never the payload', () => {
  assert.deepEqual(buildExplainRow(byId, { ids: ['7'] }, ['id', 'failure_reason', 'enqueued_at', 'failed_at', 'payload']), {
    sql: `select \`id\`, \`priority\`, \`epoch\`, \`time_next\`, \`time_acked\`, \`failure_reason\`, \`enqueued_at\`, \`failed_at\`, ${NOW} as \`vm_now_ns\` from \`commerce\`.\`jobs\` where \`id\` in (?)`,
    params: ['7'],
  });
  assert.equal(buildExplainRow(byId, { ids: ['7'] }, ['id']).sql,
    `select \`id\`, \`priority\`, \`epoch\`, \`time_next\`, \`time_acked\`, ${NOW} as \`vm_now_ns\` from \`commerce\`.\`jobs\` where \`id\` in (?)`);
  assert.deepEqual(buildExplainRow(byCustomer, { ids: ['7'], vindexValues: ['42'] }, []), {
    sql: `select \`id\`, \`priority\`, \`epoch\`, \`time_next\`, \`time_acked\`, \`customer_id\`, ${NOW} as \`vm_now_ns\` from \`commerce\`.\`jobs\` where ((\`id\` = ? and \`customer_id\` = ?))`,
    params: ['7', '42'],
  });
  assert.throws(() => buildExplainRow(byId, { ids: ['1', '2'] }, []), RangeError);
});

test('admin-pure: a comment parsed as vttablet parses it; our own comments read back as the options that made them', () => {
  const spec = { options: resolveTableOptions({ ackWait: '1m', minBackoff: '1.5s', batchSize: 500 }), streamed: ['id', 'epoch', 'body'] };
  const parsed = parseMessageComment(buildTableComment(spec));
  assert.equal(parsed.kind, 'message');
  assert.equal(parsed.problem, undefined);
  assert.deepEqual(parsed.options, { ackWaitMs: 60_000, purgeAfterMs: 86_400_000, pollerIntervalMs: 1_000, batchSize: 500, cacheSize: 10_000, minBackoffMs: 1_500, maxBackoffMs: 3_600_000 });
  assert.deepEqual(parsed.streamed, ['id', 'epoch', 'body']);

  // vttablet's defaults: min backoff = ack wait; max 0 or absent = unbounded; no vt_message_cols = its default columns.
  const bare = parseMessageComment('vitess_message,vt_ack_wait=0.5,vt_purge_after=86400,vt_batch_size=10,vt_cache_size=100,vt_poller_interval=30,vt_max_backoff=0');
  assert.deepEqual(bare.options, { ackWaitMs: 500, purgeAfterMs: 86_400_000, pollerIntervalMs: 30_000, batchSize: 10, cacheSize: 100, minBackoffMs: 500 });
  assert.equal(bare.streamed, undefined);

  // The first missing or unreadable required option, in vttablet's order and words.
  assert.equal(parseMessageComment('vitess_message,vt_ack_wait=30').problem, 'attribute vt_purge_after not specified for message table');
  assert.equal(parseMessageComment('vitess_message,vt_ack_wait=30,vt_purge_after=1,vt_batch_size=1.5,vt_cache_size=1,vt_poller_interval=1').problem, 'vt_batch_size=1.5 is not an integer');
  // No trimming: a space makes the key another key.
  assert.equal(parseMessageComment('vitess_message, vt_ack_wait=30,vt_purge_after=1,vt_batch_size=1,vt_cache_size=1,vt_poller_interval=1').problem, 'attribute vt_ack_wait not specified for message table');
  assert.equal(parseMessageComment('vitess_message,vt_ack_wait=30,vt_purge_after=1,vt_batch_size=1,vt_cache_size=1,vt_poller_interval=1,vt_message_cols=epoch|id').problem, 'vt_message_cols must begin with id');
  assert.equal(parseMessageComment('vitess_sequence').kind, 'sequence');
  assert.equal(parseMessageComment('').kind, 'none');
  assert.equal(parseMessageComment(null).kind, 'none');

  const ok = parseMessageComment('vitess_message,vt_ack_wait=30,vt_purge_after=1,vt_batch_size=1,vt_cache_size=1,vt_poller_interval=1,vt_message_cols=id|body');
  const cols = ['id', 'priority', 'epoch', 'time_next', 'time_acked', 'body'];
  assert.equal(messageTableProblem(ok, cols), undefined);
  assert.equal(messageTableProblem(ok, cols.filter((c) => c !== 'time_acked')), 'time_acked missing from message table');
  assert.equal(messageTableProblem(ok, cols.filter((c) => c !== 'body')), 'body missing from message table');
  assert.equal(messageTableProblem(ok, cols.map((c) => c.toUpperCase())), undefined, 'column names compared case-insensitively');
  assert.equal(messageTableProblem(parseMessageComment('a plain table'), cols), 'its comment does not contain vitess_message');
});

test('admin-pure: tablet counters from /debug/vars; vtcombo (several tablets) is merged; a single tablet speaks for its shard only', () => {
  const merged = parseTabletVars('http://h:1', {
    Messages: { 'jobs.ClientCount': 2, 'jobs.Sent': 10, 'jobs.Purged': 0, 'a.b.Delayed': 1, 'jobs.Unknown': 5, 'bad': 1 },
    TabletState: { 'test-1': 2, 'test-2': 2 },
    TabletKeyspace: 'meta',
    TabletShard: '0',
  });
  assert.deepEqual(merged, { address: 'http://h:1', merged: true, tables: { jobs: { clientCount: 2, sent: 10, purged: 0 }, 'a.b': { delayed: 1 } } });
  assert.deepEqual(countersFor([merged], 'jobs', 'commerce', '-80')?.counters, { clientCount: 2, sent: 10, purged: 0 });
  assert.deepEqual(countersFor([merged], 'other')?.counters, {});

  const one = parseTabletVars('http://t1:15000', { Messages: { 'jobs.ClientCount': 0 }, TabletState: { 'z-1': 2 }, TabletKeyspace: 'commerce', TabletShard: '80-' });
  assert.deepEqual([one.merged, one.keyspace, one.shard], [false, 'commerce', '80-']);
  assert.equal(countersFor([one], 'jobs', 'commerce', '-80'), undefined, 'another shard\'s tablet does not speak for -80');
  assert.equal(countersFor([one], 'jobs', 'commerce', '80-')?.tablet, one);
  assert.equal(tabletBaseUrl('127.0.0.1:15000/'), 'http://127.0.0.1:15000');
  assert.equal(tabletBaseUrl('https://t:1'), 'https://t:1');
});

test('admin-pure: the tablet\'s backoff range for a delivery; times for people', () => {
  const o = { ...options, minBackoffMs: 1_000, maxBackoffMs: 10_000 };
  assert.deepEqual(backoffRange(o, 1), { min: 1_000, max: 1_333 });
  assert.deepEqual(backoffRange(o, 3), { min: 2_668, max: 5_332 });
  assert.deepEqual(backoffRange(o, 40), { min: 10_000, max: 10_000 });
  assert.deepEqual(backoffRange(options, 1), { min: 30_000, max: 39_990 }, 'min backoff defaults to the ack wait');
  assert.equal(nsToIso('1700000000123456789'), '2023-11-14T22:13:20.123Z');
  assert.equal(nsToIso('9223372036854775807'), '2262-04-11T23:47:16.854Z');
  assert.equal(nsDiffMs('1000000000', '3500000000'), 2_500);
  assert.deepEqual([850, 4_250, 185_000, 7_800_000, 273_600_000, -90_000, 3_600_000].map(formatDurationMs), ['850ms', '4.2s', '3m 5s', '2h 10m', '3d 4h', '-1m 30s', '1h']);
});

const NEVER = '9223372036854775807';

test('admin-pure: failed ids by keyset page (the id bound cast to an integer), counted, and purged by batch with the purge\'s own conditions', () => {
  assert.deepEqual(buildFailedIds(byId, {}, undefined, 500), {
    sql: 'select `id` from `commerce`.`jobs` where `time_acked` is null and `time_next` = ? order by `id` limit ?',
    params: [NEVER, 500],
  });
  assert.deepEqual(buildFailedIds(byCustomer, { reasonLike: '%timeout%' }, '9223372036854775806', 2), {
    sql: 'select `id`, `customer_id` from `commerce`.`jobs` where `time_acked` is null and `time_next` = ? and `failure_reason` like ? and `id` > cast(? as signed) order by `id` limit ?',
    params: [NEVER, '%timeout%', '9223372036854775806', 2],
  });
  assert.deepEqual(buildCountFailed(byId, { olderThanNs: '604800000000000', includeUnknownAge: true }), {
    sql: `select count(*) as \`vm_n\` from \`commerce\`.\`jobs\` where \`time_acked\` is null and \`time_next\` = ? and (\`failed_at\` < ${NOW} - cast(? as signed) or \`failed_at\` is null)`,
    params: [NEVER, '604800000000000'],
  });
  assert.deepEqual(buildPurgeFailedBatch(byId, { ids: ['1', '2'] }, '5', false), {
    sql: `delete from \`commerce\`.\`jobs\` where \`id\` in (?, ?) and \`time_acked\` is null and \`time_next\` = ? and \`failed_at\` < ${NOW} - cast(? as signed)`,
    params: ['1', '2', NEVER, '5'],
  });
  assert.deepEqual(buildPurgeFailed(byId, '5', false), {
    sql: `delete from \`commerce\`.\`jobs\` where \`time_acked\` is null and \`time_next\` = ? and \`failed_at\` < ${NOW} - cast(? as signed)`,
    params: [NEVER, '5'],
  });
  assert.throws(() => buildFailedIds(byId, {}, undefined, 0), RangeError);
  assert.throws(() => buildPurgeFailedBatch(byId, { ids: ['1'] }, '-1', false), RangeError);
});

test('admin-pure: the CLI\'s tables, JSON, progress line and URL keyspace', () => {
  assert.equal(renderTable(['A', 'LONG HEADER', 'C'], [['xyz', '1', 'last'], ['', '22', '']]), 'A    LONG HEADER  C\nxyz  1            last\n     22');
  assert.equal(toJson({ id: 9223372036854775807n }, 0), '{"id":"9223372036854775807"}');
  assert.equal(cut('a\nb  c', 10), 'a b c');
  assert.equal(cut('abcdefghijkl', 5), 'abcd…');
  assert.equal(renderProgress('retry', 400, 1000, 10), 'retry  [####------]   40%  400/1000');
  assert.equal(renderProgress('purge', 0, 0, 4), 'purge  [####]  100%  0/0');
  assert.equal(databaseOf('mysql://root@127.0.0.1:27307/commerce'), 'commerce');
  assert.equal(databaseOf('mysql://root@127.0.0.1:27307/'), undefined);
  assert.equal(databaseOf('mysql://u:p@h/my-ks'), 'my-ks');
  assert.throws(() => databaseOf('not a url'), InvalidOptionError);
});

test('admin-pure: explain checks the id before it reads anything: a bad id throws and no statement is sent', async () => {
  const x = recorder();
  for (const bad of ['12x', -1n, { id: '7', epoch: -1 }] as const) {
    await assert.rejects(explainMessage(x, { keyspace: 'commerce', table: 'jobs' }, bad as never), InvalidOptionError);
  }
  await assert.rejects(explainMessage(x, byId, 7 as never), InvalidOptionError);
  assert.deepEqual(x.calls, []);
});
