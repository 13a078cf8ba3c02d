/** `vitess-messages tables`: the message tables, their options, loaded state and tablet counters. */
import type { Command } from 'commander';
import { formatDurationMs } from '../admin/format-time';
import { listMessageTables, servedKeyspaces, type MessageTableInfo } from '../admin/tables';
import { readTablets } from '../admin/tablet-counters';
import { addConnectionOptions, connect, type ConnectionOptions } from './connect';
import { cut, print, renderTable } from './output';

export function registerTables(program: Command): void {
  addConnectionOptions(
    program
      .command('tables')
      .description('list message tables: options from their comments, whether the tablet loads each as a message table, and (with --tablet-http) its counters')
      .option('--all', 'list every table, message table or not'),
  ).action(async (o: ConnectionOptions & { all?: boolean }) => {
    const c = await connect(o);
    try {
      const keyspaces = c.defaultKeyspace ? [c.defaultKeyspace] : await servedKeyspaces(c.executor);
      const tablets = await readTablets(c.tabletHttp);
      const tables: MessageTableInfo[] = [];
      for (const keyspace of keyspaces) tables.push(...(await listMessageTables(c.executor, { keyspace, tablets, ...(o.all ? { all: true } : {}) })));
      print(o.json, tables, () => humanTables(tables, tablets.length > 0));
    } finally {
      await c.close();
    }
  });
}

function humanTables(tables: readonly MessageTableInfo[], counters: boolean): string {
  if (tables.length === 0) return 'no message tables';
  const d = (ms: number | undefined): string => (ms === undefined ? '-' : formatDurationMs(ms));
  const headers = ['KEYSPACE', 'TABLE', 'LOADED', 'ACK WAIT', 'PURGE AFTER', 'POLLER', 'BATCH', 'CACHE', 'BACKOFF', 'VINDEX', 'STREAMED', ...(counters ? ['SUBSCRIBERS', 'SENT'] : [])];
  const rows = tables.map((t) => {
    const o = t.options;
    const c = t.counters;
    return [
      t.keyspace,
      t.table,
      t.loaded ? 'yes' : 'NO',
      d(o?.ackWaitMs),
      d(o?.purgeAfterMs),
      d(o?.pollerIntervalMs),
      o ? String(o.batchSize) : '-',
      o ? String(o.cacheSize) : '-',
      o ? `${d(o.minBackoffMs)}..${o.maxBackoffMs === undefined ? '∞' : d(o.maxBackoffMs)}` : '-',
      t.vindex ? `${t.vindex.type}(${t.vindex.column})` : '-',
      cut(t.streamed.join('|'), 40),
      ...(counters ? [c ? String(c.clientCount ?? 0) : '?', c ? String(c.sent ?? 0) : '?'] : []),
    ];
  });
  const notes: string[] = [];
  for (const t of tables) {
    if (t.problem) notes.push(`${t.keyspace}.${t.table}: not loaded as a message table: ${t.problem} (comment: ${JSON.stringify(t.comment)})`);
    if (t.kind === 'message' && t.missingBookkeeping.length > 0) notes.push(`${t.keyspace}.${t.table}: lacks ${t.missingBookkeeping.join(', ')} (vitess-messages print-sql --upgrade adds them)`);
  }
  const merged = new Set(tables.filter((t) => t.tablet?.merged).map((t) => t.tablet!.address));
  for (const address of merged) notes.push(`counters from ${address}, which merges several tablets (vtcombo): one figure per table for every shard`);
  return [renderTable(headers, rows), ...(notes.length ? ['', ...[...new Set(notes)]] : [])].join('\n');
}
