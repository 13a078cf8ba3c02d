/**
 * A table described from the database (`describeTable` → `specFromTable`, what
 * the admin CLI and the dashboard do without an entity) carries its secondary
 * indexes, so `counts()` on a live table with the counts index takes the
 * index-range path; a table without it keeps the single pass.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeTable, specFromTable } from '../../src/admin/tables';
import { fromMysql2 } from '../../src/adapters/mysql2';
import type { ExecResult, Executor, SqlParam } from '../../src/core/executor';
import { counts } from '../../src/core/queue-admin';
import type { MessageTableSpec } from '../../src/core/spec';
import { COUNTS_INDEX_COLUMNS, countsIndexOf } from '../../src/core/sql/counts';
import { buildCreateTable } from '../../src/migration/ddl';
import { createFromSpec, producerDefinition } from '../helpers/producer-harness';
import { closePool, uniqueName, vtgatePool } from '../helpers/vitess';

test.after(() => closePool());

/** The pool's executor, remembering each statement's text. */
function recording(): Executor & { sql: string[] } {
  const inner = fromMysql2(vtgatePool());
  const sql: string[] = [];
  return { sql, query: (text: string, params: readonly SqlParam[]): Promise<ExecResult> => (sql.push(text), inner.query(text, params)) };
}

test('live table: specFromTable carries its secondary indexes, and counts() uses the counts index through it', async (t) => {
  const plain = producerDefinition(uniqueName('live_ix'), { ackWaitS: 3600 });
  const declared: MessageTableSpec = {
    ...plain,
    indexes: [{ name: 'counts_idx', columns: COUNTS_INDEX_COLUMNS, unique: false }, { name: 'by_epoch', columns: ['epoch', 'id'], unique: true }],
  };
  const tt = await createFromSpec(declared);
  t.after(() => tt.drop());
  const x = recording();

  const info = await describeTable(x, tt.keyspace, tt.table);
  assert.ok(info);
  // By name; the primary key and the poller index (which the DDL always writes) left out.
  assert.deepEqual([...info.indexes].sort((a, b) => a.name.localeCompare(b.name)), [
    { name: 'by_epoch', columns: ['epoch', 'id'], unique: true },
    { name: 'counts_idx', columns: [...COUNTS_INDEX_COLUMNS], unique: false },
  ]);
  const spec = specFromTable(info);
  assert.equal(countsIndexOf(spec)?.name, 'counts_idx');
  assert.equal(buildCreateTable(spec).match(/poller_idx/g)?.length, 1, 'the poller index once in its DDL');

  x.sql.length = 0;
  assert.deepEqual(await counts(x, spec), { due: 0, scheduled: 0, inFlight: 0, failed: 0, acked: 0, oldestDueAgeMs: null });
  assert.equal(x.sql.length, 1);
  assert.match(x.sql[0]!, /force index \(`counts_idx`\)/, 'the index-range counts');

  // A table without the counts index: no index in its spec, the single pass.
  const bare = await createFromSpec(producerDefinition(uniqueName('live_bare'), { ackWaitS: 3600 }));
  t.after(() => bare.drop());
  const bareSpec = specFromTable((await describeTable(x, bare.keyspace, bare.table))!);
  assert.equal(bareSpec.indexes, undefined);
  x.sql.length = 0;
  await counts(x, bareSpec);
  assert.doesNotMatch(x.sql[0]!, /force index/);
});
