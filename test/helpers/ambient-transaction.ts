/**
 * What both ambient-transaction integrations (nestjs-cls, typeorm-transactional)
 * must show: a service method that writes a business row and enqueues in one
 * transaction commits both, or neither when it throws.
 */
import assert from 'node:assert/strict';
import { countRows } from './producer-harness';
import { uniqueName } from './vitess';

/**
 * `place(label, decline)` writes a business row labelled `label` and enqueues a
 * message with that label, returning its id; with `decline` it throws
 * `declined <id>` after both writes.
 */
export async function assertCommitsTogether(place: (label: string, decline: boolean) => Promise<string>, messages: string, business: string): Promise<void> {
  const label = uniqueName('commit');
  const id = await place(label, false);
  assert.equal(await countRows(messages, 'id = ? and label = ?', [id, label]), 1);
  assert.equal(await countRows(business, 'label = ?', [label]), 1);

  const lost = uniqueName('rollback');
  const err = await place(lost, true).then(() => undefined, (e: Error) => e);
  assert.match(String(err?.message), /^declined \d+$/);
  const lostId = String(err!.message).split(' ')[1]!;
  assert.equal(await countRows(messages, 'id = ?', [lostId]), 0);
  assert.equal(await countRows(messages, 'label = ?', [lost]), 0);
  assert.equal(await countRows(business, 'label = ?', [lost]), 0);
}
