/**
 * The Prisma client extension without a database: `$messages()` gives handles
 * on the client it is called on (each client its own, made once), and bad
 * arguments are typed errors.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defineMessageTable } from '../../src/core/define';
import { InvalidOptionError } from '../../src/core/errors';
import { vitessMessages } from '../../src/prisma/extension';

const emailJob = defineMessageTable({ table: 'email_job', keyspace: 'commerce', columns: { recipient: 'varchar(320)' } });

function fakeClient(name: string, log: string[]) {
  return {
    async $executeRawUnsafe(sql: string) { log.push(`${name}: ${sql.split(' ').slice(0, 2).join(' ')}`); return 1; },
    async $queryRawUnsafe(sql: string) { log.push(`${name}: ${sql.split(' ').slice(0, 2).join(' ')}`); return []; },
  };
}

test('prisma-extension: $messages() runs on the client it is called on, one set of handles per client', async () => {
  const ext = vitessMessages({ emailJob }, { address: 'vtgate:15991' });
  assert.equal(ext.name, 'vitess-messages');
  const log: string[] = [];
  const base = fakeClient('base', log);
  const tx = fakeClient('tx', log);
  const onBase = ext.client.$messages.call(base);
  const onTx = ext.client.$messages.call(tx);
  assert.equal(ext.client.$messages.call(base), onBase, 'made once per client');
  assert.notEqual(onTx, onBase);
  assert.equal(onTx.emailJob.spec, emailJob);
  await onTx.emailJob.enqueue({ recipient: 'a@b.c' });
  await onBase.emailJob.ack('5');
  assert.deepEqual(log, ['tx: insert into', 'base: update `commerce`.`email_job`']);
});

test('prisma-extension: bad tables and options are InvalidOptionErrors', () => {
  const option = (fn: () => unknown, name: string) => assert.throws(fn, (e: unknown) => e instanceof InvalidOptionError && e.option === name);
  option(() => vitessMessages(null as never), 'tables');
  option(() => vitessMessages({ emailJob: { table: 'x' } } as never), 'tables.emailJob');
  option(() => vitessMessages({ emailJob }, { adress: 'x' } as never), 'adress');
  option(() => vitessMessages({ emailJob }, { executor: {} } as never), 'executor');
});
