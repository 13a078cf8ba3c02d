/**
 * The dashboard's ack rate counts acks, not the rise of the acked count: the
 * tablet purges acked rows (after purgeAfter), so on a busy table the acked
 * count can stay flat or fall while messages are acked. Here the rows acked
 * before the first poll are deleted by hand between two polls, as the tablet's
 * purge deletes those acked longer than purgeAfter ago, while as many others
 * are acked: the acked count stays flat.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ack, enqueueMany } from '../../src/core/operations';
import type { MessageTableSpec } from '../../src/core/spec';
import { COUNTS_INDEX_COLUMNS } from '../../src/core/sql/counts';
import { CountPoller, tableKey } from '../../src/dashboard/count-poller';
import { openShardConnection } from '../helpers/dashboard-fixture';
import { createFromSpec, mysql2Harness, producerDefinition } from '../helpers/producer-harness';
import { closePool, uniqueName } from '../helpers/vitess';

test.after(() => closePool());

const cases: Array<[string, (table: string) => MessageTableSpec, boolean]> = [
  ['a table counted in one pass, through a scatter', (table) => producerDefinition(table), false],
  ['a table with the counts index, shard by shard', (table) => ({ ...producerDefinition(table), indexes: [{ name: 'counts_idx', columns: COUNTS_INDEX_COLUMNS, unique: false }] }), true],
];

for (const [name, specOf, perShard] of cases) {
  test(`ack rate: acks between two polls are counted though the acked rows were purged meanwhile (${name})`, async (t) => {
    const tt = await createFromSpec(specOf(uniqueName('dash_rate')));
    t.after(() => tt.drop());
    const x = mysql2Harness().executor();
    // Acked before the first poll: not acks of the interval.
    const old = await enqueueMany(x, tt.spec, [1, 2, 3, 4, 5].map((n) => ({ payload: { body: { old: n } } })));
    assert.equal(await ack(x, tt.spec, old), 5);
    // An hour between timer polls: only the two reads below happen.
    const poller = new CountPoller(x, [tt.spec], 3_600_000, 10, perShard ? openShardConnection : undefined);
    t.after(() => poller.close());
    await poller.start();
    const key = tableKey(tt.spec);
    const [first] = await poller.snapshots();
    assert.equal(first!.error, null);
    assert.equal(first!.counts?.acked, 5);

    const ids = await enqueueMany(x, tt.spec, [1, 2, 3, 4, 5].map((n) => ({ payload: { body: { n } } })));
    assert.equal(await ack(x, tt.spec, ids), 5);
    // The tablet's purge: the rows acked long enough ago deleted.
    await x.query(`delete from ${tt.qualified} where time_acked is not null and id in (?, ?, ?, ?, ?)`, old);

    const second = await poller.refresh(key);
    assert.equal(second.error, null);
    assert.equal(second.counts?.acked, 5, 'five purged, five acked: the acked count did not move');
    const last = second.throughput[second.throughput.length - 1];
    assert.ok(last, 'a point for the interval between the two polls');
    assert.ok(last.ackedPerSec > 0, `a positive rate (got ${last.ackedPerSec})`);
    assert.equal(last.acks, 5, 'the five acks of the interval, though purged');
  });
}
