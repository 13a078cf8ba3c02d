/**
 * Every SQL builder pinned: exact text and exact parameters.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MessageTableSpec } from '../../src/core/spec';
import { buildAck } from '../../src/core/sql/ack';
import { buildSelectDbNow, DB_NOW_NS } from '../../src/core/sql/db-now';
import { buildEnqueue, DEFAULT_VALUE } from '../../src/core/sql/enqueue';
import { buildExtend } from '../../src/core/sql/extend';
import { buildFail } from '../../src/core/sql/fail';
import { buildGetMessages } from '../../src/core/sql/get-messages';
import { buildListFailed } from '../../src/core/sql/list-failed';
import { buildNack } from '../../src/core/sql/nack';
import { buildRetry } from '../../src/core/sql/retry';
import { buildReadVindexValues } from '../../src/core/sql/vindex-values';
import { InvalidOptionError } from '../../src/core/errors';
import { buildCounts, buildRangeCounts, countsIndexOf } from '../../src/core/sql/counts';
import { buildGet } from '../../src/core/sql/get';
import { buildPurgeFailed } from '../../src/core/sql/purge-failed';
import { buildShowShards, buildUseShard } from '../../src/core/sql/shards';
import { sqlStringLiteral } from '../../src/core/sql/string-literal';

const NEVER = '9223372036854775807';
/** The database's now in Unix ns, as every builder that records an instant writes it. */
const NOW = "timestampdiff(microsecond, '1970-01-01 00:00:00', utc_timestamp(6)) * 1000";
const options = { ackWaitMs: 30_000, purgeAfterMs: 86_400_000, pollerIntervalMs: 1_000, batchSize: 100, cacheSize: 10_000 };

const byId: MessageTableSpec = {
  table: 'jobs',
  keyspace: 'commerce',
  payload: [
    { name: 'payload', property: 'payload', sqlType: 'json', nullable: true },
    { name: 'kind', property: 'kind', sqlType: 'varchar(32)', nullable: false, default: "'x'" },
  ],
  streamed: ['id', 'epoch', 'payload', 'kind'],
  vindex: { column: 'id', type: 'hash' },
  options,
};

const byCustomer: MessageTableSpec = {
  table: 'orders_q',
  keyspace: 'commerce',
  payload: [
    { name: 'customer_id', property: 'customerId', sqlType: 'bigint', nullable: false },
    { name: 'payload', property: 'payload', sqlType: 'json', nullable: true },
  ],
  streamed: ['id', 'epoch', 'customer_id', 'payload'],
  vindex: { column: 'customer_id', type: 'hash' },
  options,
};

const unsharded: MessageTableSpec = { table: 'q', payload: [], streamed: ['id'], options };

test('sql-builders: enqueue is a multi-row insert with a column list; a repeat only flips the low bit of enqueued_at', () => {
  const s = buildEnqueue(byId, ['payload', 'kind'], [
    { id: '1', priority: 50, timeNextNs: '0', values: ['{"a":1}', 'mail'] },
    { id: '9223372036854775807', priority: 0, timeNextNs: '1700000000000000000', values: [null, DEFAULT_VALUE] },
  ]);
  assert.equal(s.sql,
    `insert into \`commerce\`.\`jobs\` (\`id\`, \`priority\`, \`time_next\`, \`enqueued_at\`, \`payload\`, \`kind\`) values (?, ?, ?, ${NOW}, ?, ?), (?, ?, ?, ${NOW}, ?, default) ` +
    `on duplicate key update \`enqueued_at\` = coalesce(\`enqueued_at\` ^ 1, ${NOW})`);
  assert.deepEqual(s.params, ['1', 50, '0', '{"a":1}', 'mail', '9223372036854775807', 0, '1700000000000000000', null]);
  assert.doesNotMatch(s.sql, /ignore/i);
});

test('sql-builders: enqueue with the database now read once binds it in every row; the repeat mark keeps the expression', () => {
  const s = buildEnqueue(unsharded, [], [{ id: '7', priority: 3, timeNextNs: '0', values: [] }, { id: '8', priority: 3, timeNextNs: '0', values: [] }], '1700000000123456000');
  assert.equal(s.sql, `insert into \`q\` (\`id\`, \`priority\`, \`time_next\`, \`enqueued_at\`) values (?, ?, ?, ?), (?, ?, ?, ?) on duplicate key update \`enqueued_at\` = coalesce(\`enqueued_at\` ^ 1, ${NOW})`);
  assert.deepEqual(s.params, ['7', 3, '0', '1700000000123456000', '8', 3, '0', '1700000000123456000']);
  assert.equal(buildSelectDbNow().sql, `select cast(${NOW} as char) as vm_now from dual`);
});

test('sql-builders: enqueue without payload columns and without keyspace; empty and misaligned rows refused', () => {
  const s = buildEnqueue(unsharded, [], [{ id: '7', priority: 3, timeNextNs: '0', values: [] }]);
  assert.equal(s.sql, `insert into \`q\` (\`id\`, \`priority\`, \`time_next\`, \`enqueued_at\`) values (?, ?, ?, ${NOW}) on duplicate key update \`enqueued_at\` = coalesce(\`enqueued_at\` ^ 1, ${NOW})`);
  assert.deepEqual(s.params, ['7', 3, '0']);
  assert.throws(() => buildEnqueue(unsharded, [], []), RangeError);
  assert.throws(() => buildEnqueue(byId, ['payload'], [{ id: '1', priority: 1, timeNextNs: '0', values: [] }]), RangeError);
});

test('sql-builders: enqueue on a table sharded by a business column is a no-op only for the same value, NULL (refused) for another', () => {
  const s = buildEnqueue(byCustomer, ['customer_id', 'payload'], [
    { id: '1', priority: 50, timeNextNs: '0', values: ['10', null] },
    { id: '2', priority: 50, timeNextNs: '0', values: ['20', '{}'] },
  ]);
  assert.equal(s.sql,
    `insert into \`commerce\`.\`orders_q\` (\`id\`, \`priority\`, \`time_next\`, \`enqueued_at\`, \`customer_id\`, \`payload\`) values (?, ?, ?, ${NOW}, ?, ?), (?, ?, ?, ${NOW}, ?, ?) as \`vm_new\` ` +
    'on duplicate key update `epoch` = if(`commerce`.`orders_q`.`customer_id` <=> `vm_new`.`customer_id`, `commerce`.`orders_q`.`epoch`, null), ' +
    `\`enqueued_at\` = coalesce(\`commerce\`.\`orders_q\`.\`enqueued_at\` ^ 1, ${NOW})`);
  assert.deepEqual(s.params, ['1', 50, '0', '10', null, '2', 50, '0', '20', '{}']);
});

test('sql-builders: the vindex values under some ids are read back by id (the rare path of a refused enqueue)', () => {
  const s = buildReadVindexValues(byCustomer, ['1', '9223372036854775807']);
  assert.equal(s.sql, 'select `id`, `customer_id` from `commerce`.`orders_q` where `id` in (?, ?)');
  assert.deepEqual(s.params, ['1', '9223372036854775807']);
  assert.throws(() => buildReadVindexValues(byId, ['1']), RangeError);
  assert.throws(() => buildReadVindexValues(byCustomer, []), RangeError);
});

test('sql-builders: ack sets time_acked (database clock) and nulls time_next for pending rows only', () => {
  const s = buildAck(byId, { ids: ['1', '2'] });
  assert.equal(s.sql, `update \`commerce\`.\`jobs\` set \`time_acked\` = ${NOW}, \`time_next\` = null where \`id\` in (?, ?) and \`time_acked\` is null`);
  assert.deepEqual(s.params, ['1', '2']);
});

test('sql-builders: ack with a business vindex matches (id = ? and column = ?) pairs (routed, exact); with id as vindex the values are ignored', () => {
  const s = buildAck(byCustomer, { ids: ['1', '2'], vindexValues: ['10', '20'] });
  assert.equal(s.sql, `update \`commerce\`.\`orders_q\` set \`time_acked\` = ${NOW}, \`time_next\` = null where ((\`id\` = ? and \`customer_id\` = ?) or (\`id\` = ? and \`customer_id\` = ?)) and \`time_acked\` is null`);
  assert.deepEqual(s.params, ['1', '10', '2', '20']);
  assert.throws(() => buildAck(byCustomer, { ids: ['1', '2'], vindexValues: ['10'] }), RangeError, 'one value per id');
  const t = buildAck(byId, { ids: ['1'], vindexValues: ['10'] });
  assert.equal(t.sql, `update \`commerce\`.\`jobs\` set \`time_acked\` = ${NOW}, \`time_next\` = null where \`id\` in (?) and \`time_acked\` is null`);
  // An ack never carries the epoch guard (the postpone skips acked rows).
  const u = buildAck(byId, { ids: ['1'], streamedEpoch: '3' });
  assert.deepEqual(u.params, ['1']);
  assert.throws(() => buildAck(byId, { ids: [] }), RangeError);
});

test('sql-builders: nack re-schedules, skips acked and failed rows and rows already at that time', () => {
  const s = buildNack(byId, { ids: ['1', '2'] }, '1700000000000000000');
  assert.equal(s.sql, 'update `commerce`.`jobs` set `time_next` = ? where `id` in (?, ?) and `time_acked` is null and `time_next` not in (?, ?)');
  assert.deepEqual(s.params, ['1700000000000000000', '1', '2', NEVER, '1700000000000000000']);
});

test('sql-builders: nack with a streamed epoch matches the post-postpone epoch (streamed + 1)', () => {
  const s = buildNack(byCustomer, { ids: ['1'], vindexValues: ['10'], streamedEpoch: '0' }, '99');
  assert.equal(s.sql, 'update `commerce`.`orders_q` set `time_next` = ? where ((`id` = ? and `customer_id` = ?)) and `epoch` = ? and `time_acked` is null and `time_next` not in (?, ?)');
  assert.deepEqual(s.params, ['99', '1', '10', '1', NEVER, '99']);
});

test('sql-builders: an uncounting nack restores the streamed epoch, and needs it', () => {
  const s = buildNack(byId, { ids: ['7'], streamedEpoch: '2' }, '99', { uncount: true });
  assert.equal(s.sql, 'update `commerce`.`jobs` set `time_next` = ?, `epoch` = ? where `id` in (?) and `epoch` = ? and `time_acked` is null and `time_next` not in (?, ?)');
  assert.deepEqual(s.params, ['99', '2', '7', '3', NEVER, '99']);
  assert.throws(() => buildNack(byId, { ids: ['7'] }, '99', { uncount: true }), RangeError);
});

test('sql-builders: fail parks time_next at the maximum with a reason and failed_at, once', () => {
  const s = buildFail(byId, { ids: ['1'], streamedEpoch: '4' }, 'boom');
  assert.equal(s.sql, `update \`commerce\`.\`jobs\` set \`time_next\` = ?, \`failure_reason\` = ?, \`failed_at\` = ${NOW} where \`id\` in (?) and \`epoch\` = ? and \`time_acked\` is null and \`time_next\` <> ?`);
  assert.deepEqual(s.params, [NEVER, 'boom', '1', '5', NEVER]);
  assert.deepEqual(buildFail(byId, { ids: ['1'] }, null).params, [NEVER, null, '1', NEVER]);
});

test('sql-builders: retry makes failed rows due, clears the reason and failed_at, resets epoch', () => {
  const s = buildRetry(byId, { ids: ['1', '2'], streamedEpoch: '4' }, '0');
  assert.equal(s.sql, 'update `commerce`.`jobs` set `time_next` = ?, `epoch` = 0, `failure_reason` = null, `failed_at` = null where `id` in (?, ?) and `time_acked` is null and `time_next` = ?');
  assert.deepEqual(s.params, ['0', '1', '2', NEVER]);
});

test('sql-builders: extend only moves time_next later (never acked, never failed)', () => {
  const s = buildExtend(byId, { ids: ['1'], streamedEpoch: '0' }, '500');
  assert.equal(s.sql, 'update `commerce`.`jobs` set `time_next` = ? where `id` in (?) and `epoch` = ? and `time_acked` is null and `time_next` < ?');
  assert.deepEqual(s.params, ['500', '1', '1', '500']);
});

test('sql-builders: listFailed pages by id with bookkeeping, reason and payload columns (JSON as text)', () => {
  const first = buildListFailed(byCustomer, undefined, 100);
  assert.equal(first.sql,
    'select `id`, `priority`, `epoch`, `failure_reason`, `enqueued_at`, `failed_at`, `customer_id`, cast(`payload` as char) as `payload` from `commerce`.`orders_q` ' +
    'where `time_acked` is null and `time_next` = ? order by `id` limit ?');
  assert.deepEqual(first.params, [NEVER, 100]);
  const next = buildListFailed(byCustomer, '42', 10);
  assert.equal(next.sql,
    'select `id`, `priority`, `epoch`, `failure_reason`, `enqueued_at`, `failed_at`, `customer_id`, cast(`payload` as char) as `payload` from `commerce`.`orders_q` ' +
    'where `time_acked` is null and `time_next` = ? and `id` > ? order by `id` limit ?');
  assert.deepEqual(next.params, [NEVER, '42', 10]);
  assert.throws(() => buildListFailed(byId, undefined, 0), RangeError);
  assert.throws(() => buildListFailed(byId, undefined, 1.5), RangeError);
});

test('sql-builders: getMessages reads the bookkeeping of some ids', () => {
  const s = buildGetMessages(byId, { ids: ['1', '2'] });
  assert.equal(s.sql, 'select `id`, `priority`, `epoch`, `time_next`, `time_acked`, `failure_reason`, `enqueued_at`, `failed_at` from `commerce`.`jobs` where `id` in (?, ?)');
  assert.deepEqual(s.params, ['1', '2']);
});

test('sql-builders: counts sums each state in one pass, with the oldest due age from time_next or enqueued_at, on the database clock', () => {
  const s = buildCounts(byId);
  const now = '`vm_now`.`vm_now_ns`';
  const due = `\`time_acked\` is null and \`time_next\` <= ${now}`;
  const later = `\`time_acked\` is null and \`time_next\` > ${now} and \`time_next\` <> ?`;
  assert.equal(s.sql,
    `select sum(${due}) as \`vm_due\`, ` +
    `sum(${later} and \`epoch\` = 0) as \`vm_scheduled\`, ` +
    `sum(${later} and \`epoch\` > 0) as \`vm_in_flight\`, ` +
    'sum(`time_acked` is null and `time_next` = ?) as `vm_failed`, ' +
    'sum(`time_acked` is not null) as `vm_acked`, ' +
    `max(case when ${due} then ${now} - case when \`time_next\` = 0 then \`enqueued_at\` else \`time_next\` end end) as \`vm_oldest_due_age_ns\` ` +
    `from \`commerce\`.\`jobs\`, (select ${NOW} as \`vm_now_ns\` from dual limit 1) as \`vm_now\``);
  assert.deepEqual(s.params, [NEVER, NEVER, NEVER]);
  assert.match(buildCounts(unsharded).sql, / from `q`, \(select /);
});

test('sql-builders: range counts read index ranges of the declared counts index, one labelled row each, in one statement', () => {
  const ix = { name: 'counts_idx', columns: ['time_acked', 'time_next', 'enqueued_at', 'epoch'], unique: false };
  const indexed = { ...byId, indexes: [{ name: 'by_recipient', columns: ['time_acked'], unique: false }, ix] };
  assert.equal(countsIndexOf(indexed), indexed.indexes[1]);
  assert.equal(countsIndexOf(byId), undefined);
  assert.equal(countsIndexOf({ ...byId, indexes: [{ ...ix, columns: ['time_acked', 'time_next', 'epoch', 'enqueued_at'] }] }), undefined, 'another column order is not it');
  assert.equal(countsIndexOf({ ...byId, indexes: [{ ...ix, columns: [...ix.columns, 'priority'] }] })?.name, 'counts_idx', 'a longer index starting with the four is');
  const s = buildRangeCounts(indexed, ix);
  const from = 'from `commerce`.`jobs` force index (`counts_idx`)';
  const withNow = `${from}, (select cast(${NOW} as signed) as \`vm_now_ns\` from dual limit 1) as \`vm_now\``;
  const now = '`vm_now`.`vm_now_ns`';
  const row = (k: string, n: string, m: string): string => `select '${k}' as \`vm_k\`, ${n} as \`vm_n\`, ${m} as \`vm_m\``;
  assert.equal(s.sql, [
    `${row('acked', 'count(*)', 'null')} ${from} where \`time_acked\` is not null`,
    `${row('due', 'count(*)', `max(${now})`)} ${withNow} where \`time_acked\` is null and \`time_next\` <= ${now}`,
    `${row('failed', 'count(*)', 'null')} ${from} where \`time_acked\` is null and \`time_next\` = ?`,
    `${row('later', 'count(*)', 'sum(`epoch` = 0)')} ${withNow} where \`time_acked\` is null and \`time_next\` > ${now} and \`time_next\` < ?`,
    `${row('due_since', 'null', 'min(`time_next`)')} ${withNow} where \`time_acked\` is null and \`time_next\` <= ${now} and \`time_next\` <> 0`,
    `${row('enqueued_since', 'null', 'min(`enqueued_at`)')} ${from} where \`time_acked\` is null and \`time_next\` = 0`,
  ].join(' union all '));
  assert.deepEqual(s.params, [NEVER, NEVER]);
});

test('sql-builders: counts with ackedAfterNs also count rows acked after it (a BIGINT compare, not a double) and read the database now', () => {
  const since = '1764599999123456789';
  const s = buildCounts(byId, { ackedAfterNs: since });
  assert.ok(s.sql.includes('sum(`time_acked` is not null) as `vm_acked`, sum(`time_acked` > cast(? as signed)) as `vm_acked_after`, max(`vm_now`.`vm_now_ns`) as `vm_read_at_ns`, max(case when'), s.sql);
  assert.deepEqual(s.params, [NEVER, NEVER, NEVER, since]);
  const ix = { name: 'counts_idx', columns: ['time_acked', 'time_next', 'enqueued_at', 'epoch'], unique: false };
  const r = buildRangeCounts({ ...byId, indexes: [ix] }, ix, { ackedAfterNs: since });
  assert.ok(r.sql.startsWith(buildRangeCounts({ ...byId, indexes: [ix] }, ix).sql + ' union all '), 'the same ranges, then one more');
  assert.ok(r.sql.endsWith(
    " union all select 'acked_after' as `vm_k`, count(*) as `vm_n`, max(`vm_now`.`vm_now_ns`) as `vm_m` " +
    `from \`commerce\`.\`jobs\` force index (\`counts_idx\`), (select cast(${NOW} as signed) as \`vm_now_ns\` from dual limit 1) as \`vm_now\` where \`time_acked\` > cast(? as signed)`), r.sql);
  assert.deepEqual(r.params, [NEVER, NEVER, since]);
});

test('sql-builders: purgeFailed deletes failed rows older than a cutoff on the database clock; rows of unknown age only when asked', () => {
  const s = buildPurgeFailed(byId, '604800000000000', false);
  assert.equal(s.sql, `delete from \`commerce\`.\`jobs\` where \`time_acked\` is null and \`time_next\` = ? and \`failed_at\` < ${NOW} - cast(? as signed)`);
  assert.deepEqual(s.params, [NEVER, '604800000000000']);
  const all = buildPurgeFailed(byId, '0', true);
  assert.equal(all.sql, `delete from \`commerce\`.\`jobs\` where \`time_acked\` is null and \`time_next\` = ? and (\`failed_at\` < ${NOW} - cast(? as signed) or \`failed_at\` is null)`);
  assert.deepEqual(all.params, [NEVER, '0']);
  assert.throws(() => buildPurgeFailed(byId, '-1', false), RangeError);
  assert.throws(() => buildPurgeFailed(byId, '1e9', false), RangeError);
});

test('sql-builders: get reads one message with bookkeeping, payload (JSON as text) and the database now; routed by the vindex value', () => {
  const s = buildGet(byId, { ids: ['7'] });
  assert.equal(s.sql,
    'select `id`, `priority`, `epoch`, `time_next`, `time_acked`, `failure_reason`, `enqueued_at`, `failed_at`, cast(`payload` as char) as `payload`, `kind`, ' +
    `${NOW} as \`vm_now_ns\` from \`commerce\`.\`jobs\` where \`id\` in (?)`);
  assert.deepEqual(s.params, ['7']);
  const routed = buildGet(byCustomer, { ids: ['7'], vindexValues: ['42'], streamedEpoch: '3' });
  assert.match(routed.sql, / where \(\(`id` = \? and `customer_id` = \?\)\)$/);
  assert.deepEqual(routed.params, ['7', '42'], 'a streamed epoch plays no part in reading');
  assert.throws(() => buildGet(byId, { ids: ['1', '2'] }), RangeError);
});

test('sql-builders: shards are listed by vtgate and targeted by a validated session target', () => {
  assert.deepEqual(buildShowShards(), { sql: 'show vitess_shards', params: [] });
  assert.deepEqual(buildUseShard('commerce', '-80'), { sql: 'use `commerce:-80`', params: [] });
  assert.deepEqual(buildUseShard('meta', '0'), { sql: 'use `meta:0`', params: [] });
  assert.equal(buildUseShard('commerce', '40-c0').sql, 'use `commerce:40-c0`');
  assert.throws(() => buildUseShard('commerce', '-80`; drop table x'), RangeError);
  assert.throws(() => buildUseShard('commerce', 'x'), RangeError);
  assert.throws(() => buildUseShard('com`merce', '-80'), InvalidOptionError);
});

test('sql-builders: identifiers are validated, never spliced', () => {
  const evil = { ...byId, table: 'jobs`; drop table x; --' };
  assert.throws(() => buildAck(evil, { ids: ['1'] }), InvalidOptionError);
  assert.throws(() => buildEnqueue(byId, ['payload`, `x'], [{ id: '1', priority: 1, timeNextNs: '0', values: ['a'] }]), InvalidOptionError);
  assert.throws(() => buildAck({ ...byId, keyspace: 'a`b' }, { ids: ['1'] }), InvalidOptionError);
});

test('sql-builders: the database now is a constant expression, no value spliced, independent of the session time zone', () => {
  assert.equal(DB_NOW_NS, NOW);
  // UTC_TIMESTAMP by date arithmetic: no NOW()/UNIX_TIMESTAMP, whose result depends on time_zone (and DST).
  assert.doesNotMatch(DB_NOW_NS, /\bnow\(|unix_timestamp/i);
});

test('sqlStringLiteral doubles backslashes and quotes: the text reads back unchanged under the default sql_mode', () => {
  assert.equal(sqlStringLiteral("it's"), "'it''s'");
  assert.equal(sqlStringLiteral('a\\b'), "'a\\\\b'");
  assert.equal(sqlStringLiteral("\\'"), "'\\\\'''");
});
