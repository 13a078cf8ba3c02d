/**
 * Keyset pages of dead letters with ids above 2^53, once per client (mysql2,
 * TypeORM, Prisma): ids 2^62 + 1 … 2^62 + 5 are one and the same double
 * (doubles are 1024 apart there), so a page bound compared as a double instead
 * of a BIGINT would skip (or repeat) them. Pages of one must list each id once.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { retryAllFailed } from '../../src/admin/failed-batches';
import { enqueue, fail, getMessages, listFailed } from '../../src/core/operations';
import { mysql2Harness, prismaHarness, producerTable, typeormHarness, type ExecutorHarness, type TestTable } from '../helpers/producer-harness';
import { closePool } from '../helpers/vitess';

const harnesses: Array<() => Promise<ExecutorHarness>> = [async () => mysql2Harness(), typeormHarness, prismaHarness];

after(closePool);

/** Ids a double cannot tell apart, in order, as decimal strings. */
const IDS = [1n, 2n, 3n, 4n, 5n].map((k) => (2n ** 62n + k).toString());

async function withFailedTable(x: ExecutorHarness, fn: (t: TestTable) => Promise<void>): Promise<void> {
  const t = await producerTable('fp64');
  try {
    for (const id of IDS) await enqueue(x.executor(), t.spec, { body: null, note: null }, { id });
    assert.equal(await fail(x.executor(), t.spec, IDS, { reason: 'boom' }), IDS.length);
    await fn(t);
  } finally {
    await t.drop();
  }
}

for (const make of harnesses) {
  const name = make === prismaHarness ? 'prisma' : make === typeormHarness ? 'typeorm' : 'mysql2';
  describe(`failed messages above 2^53 on ${name}`, () => {
    let h: ExecutorHarness;
    const harness = async (): Promise<ExecutorHarness> => (h ??= await make());
    after(async () => h?.close());

    test('listFailed pages of one list every id exactly once, in order', async () => {
      const x = await harness();
      await withFailedTable(x, async (t) => {
        const seen: string[] = [];
        let after: string | undefined;
        // Bounded: a bound that repeats a page would loop forever otherwise.
        for (let page = 0; page <= IDS.length; page++) {
          const p = await listFailed(x.executor(), t.spec, { limit: 1, ...(after ? { after } : {}) });
          seen.push(...p.messages.map((m) => m.id));
          if (p.next === undefined) break;
          after = p.next;
        }
        assert.deepEqual(seen, IDS);
      });
    });

    test('retryAllFailed in batches of one retries every id once', async () => {
      const x = await harness();
      await withFailedTable(x, async (t) => {
        const progress: number[] = [];
        const result = await retryAllFailed(x.executor(), t.spec, { batchSize: 1, onProgress: (p) => progress.push(p.done) });
        assert.deepEqual(result, { matched: IDS.length, done: IDS.length });
        assert.deepEqual(progress, [0, 1, 2, 3, 4, 5]);
        const states = await getMessages(x.executor(), t.spec, IDS);
        assert.deepEqual(states.map((s) => s.state), IDS.map(() => 'pending'));
      });
    });
  });
}
