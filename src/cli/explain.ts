/** `vitess-messages explain TABLE ID`: why a message was (not) delivered, in one sentence and its facts. */
import type { Command } from 'commander';
import { explainMessage, formatExplanation } from '../admin/explain';
import { addConnectionOptions, connect, type ConnectionOptions } from './connect';
import { print } from './output';

export function registerExplain(program: Command): void {
  addConnectionOptions(
    program
      .command('explain')
      .argument('<table>', 'the message table (table or keyspace.table)')
      .argument('<id>', 'the message id')
      .description("answer \"why wasn't it delivered?\" from the row, the table's comment and (with --tablet-http) the tablet's counters; consumes nothing")
      .option('--vindex-value <value>', 'on a table sharded by a business column: the message\'s value of it'),
  ).action(async (tableArg: string, id: string, o: ConnectionOptions & { vindexValue?: string }) => {
    const c = await connect(o);
    try {
      const t = await c.table(tableArg);
      const explanation = await explainMessage(c.executor, t.spec ?? { keyspace: t.keyspace, table: t.table }, id, {
        tabletHttp: c.tabletHttp,
        ...(t.info ? { info: t.info } : {}),
        ...(o.vindexValue !== undefined ? { vindexValue: o.vindexValue } : {}),
      });
      print(o.json, explanation, () => formatExplanation(explanation));
    } finally {
      await c.close();
    }
  });
}
