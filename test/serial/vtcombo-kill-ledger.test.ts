/**
 * Serial phase (it restarts the shared vtcombo): SIGKILL vtcombo mid-stream and
 * start it again; the subscriber reconnects by itself and a per-id ledger over
 * 5,000 messages shows none lost (duplicates are the at-least-once redeliveries
 * of what was in flight). Named without "subscriber" so that
 * `npm test -- subscriber` never restarts Vitess under other tests.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { subscribe } from '../../src/subscriber/subscriber';
import { countAcked, createSpecTable, insertMessages, poolExecutor } from '../helpers/subscriber-fixtures';
import { closePool, dropTable, vitess, waitUntil } from '../helpers/vitess';

const script = join(__dirname, '..', '..', '..', 'scripts', 'vitess.sh');

after(closePool);

function restartVtcomboHard(): Promise<number> {
  return new Promise((resolve) => {
    const p = spawn('bash', [script, 'restart-vtcombo', '--kill'], { stdio: 'inherit', env: process.env });
    p.on('exit', (code) => resolve(code ?? 1));
  });
}

test('vtcombo killed mid-stream: the subscriber reconnects by itself; 5,000-message ledger, none lost', async () => {
  const { spec, qualified, keyspace, table } = await createSpecTable('kill_ledger', { ackWaitS: 5 });
  try {
    const ids = await insertMessages(qualified, 5_000, 500);
    const ledger = new Map<string, number>();
    const sub = subscribe(spec, async (_m, ctx) => {
      ledger.set(ctx.id as string, (ledger.get(ctx.id as string) ?? 0) + 1);
      await new Promise((r) => setTimeout(r, 1));
    }, { executor: poolExecutor(), address: vitess.grpcAddr, maxInFlight: 200, concurrency: 10 });
    const errors: string[] = [];
    sub.on('error', (e) => errors.push((e as Error).message));
    try {
      await waitUntil(() => ledger.size >= 1_000, 60_000, '1,000 handled');
      assert.equal(await restartVtcomboHard(), 0, 'vtcombo restarted');
      await waitUntil(async () => (await countAcked(qualified).catch(() => -1)) === ids.length, 120_000, 'all acked after the restart');
    } finally {
      await sub.close({ timeout: '5s' });
    }
    const lost = ids.filter((id) => !ledger.has(id)).length;
    const duplicates = [...ledger.values()].reduce((s, n) => s + n - 1, 0);
    console.log(`vtcombo kill: reconnects ${sub.stats().reconnects}, lost ${lost}, duplicates ${duplicates}, settle errors ${sub.stats().settleErrors}`);
    assert.equal(lost, 0);
    assert.ok(sub.stats().reconnects >= 1);
  } finally {
    await dropTable(keyspace, table).catch(() => undefined);
  }
});
