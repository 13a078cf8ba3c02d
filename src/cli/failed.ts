/** `vitess-messages failed TABLE`: one page of dead letters with their reasons. */
import type { Command } from 'commander';
import { formatDurationMs, nsDiffMs, nsToIso } from '../admin/format-time';
import { listFailed, type FailedPage } from '../core/operations';
import { addConnectionOptions, connect, requireSpec, type ConnectionOptions } from './connect';
import { cut, print, renderTable } from './output';

export function registerFailed(program: Command): void {
  addConnectionOptions(
    program
      .command('failed')
      .argument('<table>', 'the message table (table or keyspace.table)')
      .description('list failed messages (dead letters) with their reasons, by id; --after pages on')
      .option('--limit <n>', 'messages per page, 1 to 1000', '100')
      .option('--after <id>', 'the last id of the previous page (printed as "next")'),
  ).action(async (tableArg: string, o: ConnectionOptions & { limit: string; after?: string }) => {
    const c = await connect(o);
    try {
      const spec = requireSpec(await c.table(tableArg));
      const page = await listFailed(c.executor, spec, { limit: Number(o.limit), ...(o.after ? { after: o.after } : {}) });
      print(o.json, page, () => humanFailed(page));
    } finally {
      await c.close();
    }
  });
}

function humanFailed(page: FailedPage): string {
  if (page.messages.length === 0) return 'no failed messages';
  const now = BigInt(Date.now()) * 1_000_000n;
  const rows = page.messages.map((m) => [
    m.id,
    m.failedAtNs ? `${nsToIso(m.failedAtNs)} (${formatDurationMs(nsDiffMs(m.failedAtNs, now))} ago)` : 'unknown',
    String(m.epoch),
    cut(m.reason ?? '', 80),
  ]);
  return [renderTable(['ID', 'FAILED AT', 'DELIVERIES', 'REASON'], rows), ...(page.next ? ['', `next: --after ${page.next}`] : [])].join('\n');
}
