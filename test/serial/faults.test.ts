/**
 * Serial phase: the fault suite's short mode (test/faults/scenarios.ts, 2,000
 * messages per scenario). It kills and restarts vtcombo and mysqld of the
 * local Vitess, so it never runs against an external vtgate. Each scenario
 * accounts for every message: none lost, duplicates within the scenario's
 * bound, and its own promise (detection time, no failed message back, …).
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { closePool } from '../helpers/vitess';
import { formatTable, scenarios, type FaultResult } from '../faults/scenarios';

after(closePool);

const results: FaultResult[] = [];
after(() => console.log(`\n${formatTable(results)}`));

for (const s of scenarios) {
  test(`fault (${s.key}) ${s.title}: none lost, duplicates within the bound`, async () => {
    const r = await s.run({ messages: 2_000 });
    results.push(r);
    console.log(formatTable([r]).split('\n')[2]);
    assert.equal(r.lost, 0, 'lost');
    assert.ok(r.duplicates <= r.duplicateBound, `duplicates ${r.duplicates} over the bound ${r.duplicateBound}`);
    assert.deepEqual(r.problems, []);
    assert.notEqual(r.resumeMs, undefined, 'consumption resumed after the fault');
  });
}
