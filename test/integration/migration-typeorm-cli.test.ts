/**
 * The committed migrations of the example entities through the stock TypeORM
 * CLI (`typeorm-ts-node-commonjs`, TypeScript 6 + ts-node) on vtgate, with the
 * DataSource of ormconfig.ts on the unsharded keyspace; then TypeORM's own
 * `migration:generate --dryrun` proposes nothing, our `--check` agrees, and
 * `migration:revert` removes the tables again.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { DataSource } from 'typeorm';
import { EmailJob } from '../../examples/entities/email-job';
import { closePool, vtgatePool } from '../helpers/vitess';

const root = process.cwd();

function run(args: string[]): { status: number | null; out: string } {
  const res = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', env: process.env, timeout: 120_000 });
  return { status: res.status, out: `${res.stdout}\n${res.stderr}` };
}
const typeorm = (...args: string[]) => run(['node_modules/typeorm/cli-ts-node-commonjs.js', ...args, '-d', 'ormconfig.ts']);

async function exists(table: string): Promise<boolean> {
  try {
    await vtgatePool().query(`select 1 from \`commerce\`.\`${table}\` limit 1`);
    return true;
  } catch {
    return false;
  }
}

test('typeorm migration:run applies our migrations through vtgate; TypeORM then proposes nothing; revert undoes them', async (t) => {
  t.after(closePool);
  const ran = typeorm('migration:run');
  assert.equal(ran.status, 0, ran.out);
  assert.match(ran.out, /ExampleMessageTables\d{13} has been executed successfully|No migrations are pending/);
  // `npm run example` applies the same migrations and leaves them; put back what we found.
  const wasApplied = /No migrations are pending/.test(ran.out);
  try {
    assert.ok(await exists('email_job'));
    assert.ok(await exists('order_event'));

    // The entity maps onto the migrated table: a 64-bit id round-trips exactly, bookkeeping defaults apply.
    const ds = (require(join(root, 'build/ormconfig.js')) as { default: DataSource }).default;
    await ds.initialize();
    try {
      const repo = ds.getRepository(EmailJob);
      const id = (2n ** 63n - 7n).toString();
      await repo.insert({ id, recipient: 'a@example.com', subject: 'hi', body: { text: 'héllo' } });
      const got = await repo.findOneByOrFail({ id });
      assert.deepEqual([got.id, got.priority, got.epoch, got.timeNext, got.timeAcked, got.failureReason], [id, 50, 0, '0', null, null]);
      assert.deepEqual(got.body, { text: 'héllo' });
      await repo.delete({ id });
    } finally {
      await ds.destroy();
    }

    const gen = typeorm('migration:generate', 'migrations/TypeormDiff', '--dryrun');
    assert.match(gen.out, /No changes in database schema were found/, gen.out);

    const check = run(['build/src/migration/cli.js', 'generate', '--check', '-d', 'ormconfig.ts']);
    assert.equal(check.status, 0, check.out);
    assert.match(check.out, /No changes/);
    const printed = run(['build/src/migration/cli.js', 'print-sql', '-d', 'build/ormconfig.js']);
    assert.equal(printed.status, 0, printed.out);
    assert.ok(printed.out.includes(readFileSync(join(root, 'test/golden/email-job.sql'), 'utf8').split('\n\n')[1]!.trim()), printed.out);
    const empty = mkdtempSync(join(tmpdir(), 'vm-empty-'));
    try {
      const drift = run(['build/src/migration/cli.js', 'generate', '--check', '-d', 'build/ormconfig.js', '--dir', empty]);
      assert.equal(drift.status, 1, drift.out);
      assert.match(drift.out, /create message table commerce\.email_job/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  } finally {
    const reverted = typeorm('migration:revert');
    assert.equal(reverted.status, 0, reverted.out);
    assert.match(reverted.out, /has been reverted successfully/);
  }
  assert.equal(await exists('email_job'), false);
  assert.equal(await exists('order_event'), false);
  if (wasApplied) {
    const again = typeorm('migration:run');
    assert.match(again.out, /has been executed successfully/, again.out);
    assert.ok(await exists('email_job'));
  }
});
