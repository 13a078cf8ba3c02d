/** `vitess-messages peek TABLE ID`: one message's state, bookkeeping and payload, read without taking it. */
import type { Command } from 'commander';
import { nsToIso } from '../admin/format-time';
import { get, type QueueMessage } from '../core/queue-admin';
import { addConnectionOptions, connect, requireSpec, type ConnectionOptions } from './connect';
import { print, toJson } from './output';

export function registerPeek(program: Command): void {
  addConnectionOptions(
    program
      .command('peek')
      .argument('<table>', 'the message table (table or keyspace.table)')
      .argument('<id>', 'the message id')
      .description('show one message: state, bookkeeping and payload (exit 1 when there is none)')
      .option('--vindex-value <value>', 'on a table sharded by a business column: the message\'s value of it'),
  ).action(async (tableArg: string, id: string, o: ConnectionOptions & { vindexValue?: string }) => {
    const c = await connect(o);
    try {
      const spec = requireSpec(await c.table(tableArg));
      const message = await get(c.executor, spec, o.vindexValue === undefined ? id : { id, vindexValue: o.vindexValue });
      if (!message) {
        print(o.json, null, () => `no message ${id} in ${spec.keyspace}.${spec.table} (vitess-messages explain says why)`);
        process.exitCode = 1;
        return;
      }
      print(o.json, message, () => humanMessage(message));
    } finally {
      await c.close();
    }
  });
}

function humanMessage(m: QueueMessage): string {
  const t = (ns: string | null): string => (ns === null ? '-' : `${ns} (${nsToIso(ns)})`);
  const lines = [
    ['id', m.id],
    ['state', m.state],
    ['priority', String(m.priority)],
    ['epoch', String(m.epoch)],
    ['time_next', m.timeNextNs === '0' ? '0 (due at once)' : t(m.timeNextNs)],
    ['time_acked', t(m.timeAckedNs)],
    ['enqueued_at', t(m.enqueuedAtNs)],
    ['failed_at', t(m.failedAtNs)],
    ['reason', m.reason ?? '-'],
  ].map(([k, v]) => `${k!.padEnd(12)} ${v}`);
  return [...lines, 'payload', toJson(m.payload)].join('\n');
}
