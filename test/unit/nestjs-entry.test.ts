/**
 * `vitess-messages/nestjs` is its own entry point: it loads @nestjs/common,
 * @nestjs/core and TypeORM, never the packages it works with when present
 * (@nestjs/typeorm, nestjs-cls, @nestjs-cls/transactional, typeorm-transactional)
 * nor Prisma; and no other entry loads NestJS. Its decorators and module
 * refuse bad input with InvalidOptionError.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { InvalidOptionError } from '../../src/core/errors';
import { getMessageHandlerMetadata, getQueueToken, MessageHandler, VitessMessagesModule } from '../../src/nestjs';

function loaded(entry: string): string[] {
  const res = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(entry)}); console.log(JSON.stringify(Object.keys(require.cache)))`], { encoding: 'utf8' });
  assert.equal(res.status, 0, res.stderr);
  return JSON.parse(res.stdout) as string[];
}

test('nestjs-entry: loads @nestjs/common and @nestjs/core, none of the optional integrations', () => {
  const modules = loaded('vitess-messages/nestjs');
  assert.ok(modules.some((m) => m.includes('/dist/nestjs/index.js')));
  for (const needed of ['/node_modules/@nestjs/common/', '/node_modules/@nestjs/core/']) assert.ok(modules.some((m) => m.includes(needed)), needed);
  for (const forbidden of ['/node_modules/@nestjs/typeorm/', '/node_modules/nestjs-cls/', '/node_modules/@nestjs-cls/', '/node_modules/typeorm-transactional/', '/node_modules/@nestjs/platform-express/', '/node_modules/@prisma/']) {
    assert.deepEqual(modules.filter((m) => m.includes(forbidden)), [], forbidden);
  }
});

for (const entry of ['vitess-messages', 'vitess-messages/typeorm', 'vitess-messages/mysql2', 'vitess-messages/prisma']) {
  test(`nestjs-entry: ${entry} loads no NestJS`, () => {
    assert.deepEqual(loaded(entry).filter((m) => /\/node_modules\/(@nestjs|nestjs-cls|@nestjs-cls)\//.test(m)), []);
  });
}

test('nestjs-entry: import and require give the same exports', async () => {
  const load = new Function('s', 'return import(s)') as (s: string) => Promise<Record<string, unknown>>;
  const esm = await load('vitess-messages/nestjs');
  const cjs = require('vitess-messages/nestjs') as Record<string, unknown>;
  for (const name of ['VitessMessagesModule', 'InjectQueue', 'MessageHandler', 'MessageQueues', 'getQueueToken']) {
    assert.equal(typeof cjs[name], 'function', name);
    assert.equal(esm[name], cjs[name], name);
  }
});

test('nestjs-decorators: @MessageHandler records its entity and options; queue tokens are per class', () => {
  class JobA {}
  class JobB {}
  class Worker {
    @MessageHandler(JobA, { concurrency: 2 })
    handle(): void {}
  }
  assert.deepEqual(getMessageHandlerMetadata(Worker.prototype.handle), { entity: JobA, options: { concurrency: 2 } });
  assert.equal(getMessageHandlerMetadata(() => undefined), undefined);
  assert.equal(getQueueToken(JobA), getQueueToken(JobA));
  // Two classes of one name (one table each) get two tokens.
  const OtherJobA = (() => class JobA {})();
  assert.notEqual(getQueueToken(JobA), getQueueToken(OtherJobA));
  assert.notEqual(getQueueToken(JobA), getQueueToken(JobB));
  assert.throws(() => MessageHandler('JobA' as never), InvalidOptionError);
  assert.throws(() => MessageHandler(JobA, null as never), InvalidOptionError);
  assert.throws(() => MessageHandler(JobA)({}, 'field', { value: 5 } as never), InvalidOptionError);
});

test('nestjs-module: bad options are refused when the module is declared', () => {
  assert.throws(() => VitessMessagesModule.forRoot(null as never), InvalidOptionError);
  assert.throws(() => VitessMessagesModule.forRoot({ queues: ['EmailJob'] as never }), InvalidOptionError);
  assert.throws(() => VitessMessagesModule.forRoot({ concurency: 2 } as never), /concurrency/);
  assert.throws(() => VitessMessagesModule.forRoot({ ambientManager: true as never }), InvalidOptionError);
  assert.throws(() => VitessMessagesModule.forRootAsync({} as never), InvalidOptionError);
  const mod = VitessMessagesModule.forRoot({ address: 'vtgate:15991' });
  assert.equal(mod.global, true);
});
