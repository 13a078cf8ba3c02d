/**
 * Serial phase: `scripts/vitess.sh` recovers the local Vitess after both mysqld
 * and vtcombo were killed with SIGKILL (stale pid files, sockets, an unclean data
 * dir), keeping data and the persisted vschema.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { randomId } from '../../src/core/ids';
import { TableStream } from '../helpers/stream-table';
import { closePool, createRawMessageTable, dropTable, vtgatePool } from '../helpers/vitess';

const script = join(__dirname, '..', '..', '..', 'scripts', 'vitess.sh');
const vitessSh = (...args: string[]) => spawnSync('bash', [script, ...args], { encoding: 'utf8', env: process.env });

after(closePool);

test('up recovers after kill -9 of mysqld and vtcombo; data and vschema survive', async () => {
  const t = await createRawMessageTable('recover');
  const id = randomId().toString();
  await vtgatePool().query(`insert into ${t.qualified} (id, payload) values (?, ?)`, [id, '{"kept":true}']);
  await closePool();

  const killed = vitessSh('kill');
  assert.equal(killed.status, 0, killed.stderr);
  assert.match(killed.stderr, /killed pid \d+[\s\S]*killed pid \d+/, 'both processes were killed');

  const up = vitessSh('up');
  assert.equal(up.status, 0, up.stderr);
  assert.match(up.stderr, /mysqld .* up/, 'mysqld was started again');
  assert.match(up.stderr, /vtcombo .* up/, 'vtcombo was started again');
  const wait = spawnSync(process.execPath, [join(script, '..', 'wait-vtgate.mjs')], { encoding: 'utf8', env: process.env });
  assert.equal(wait.status, 0, wait.stderr);

  const conn = await vtgatePool().getConnection();
  await conn.query(`use \`${t.keyspace}\``);
  const [tables] = await conn.query('show vschema tables');
  conn.release();
  assert.ok((tables as Array<Record<string, string>>).some((r) => Object.values(r).includes(t.table)), 'the vindex survived the restart');
  const stream = await TableStream.open(t.keyspace, t.table);
  try {
    await stream.waitFor((s) => s.counts().has(id), 20_000, 'the row written before the crash');
    assert.deepEqual(stream.deliveries.find((d) => d.row.id === id)!.row.payload, { kept: true });
  } finally {
    await stream.close();
    await dropTable(t.keyspace, t.table);
  }
});

test('a second up reuses the running instance; down stops both; up starts them again', async () => {
  const again = vitessSh('up');
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stderr, /mysqld already running/);
  assert.match(again.stderr, /vtcombo already running/);

  const down = vitessSh('down');
  assert.equal(down.status, 0, down.stderr);
  assert.match(down.stderr, /stopped vtcombo[\s\S]*stopped mysqld/);
  const status = vitessSh('status');
  assert.notEqual(status.status, 0, 'status fails while stopped');
  assert.match(status.stderr, /vtcombo: stopped/);

  const up = vitessSh('up');
  assert.equal(up.status, 0, up.stderr);
  assert.match(up.stderr, /mysqld .* up \(pid/);
  assert.match(up.stderr, /vtcombo .* up \(pid/);
  const wait = spawnSync(process.execPath, [join(script, '..', 'wait-vtgate.mjs')], { encoding: 'utf8', env: process.env });
  assert.equal(wait.status, 0, wait.stderr);
});
