/** `vitess-messages purge-failed TABLE --older-than 7d`: delete old dead letters, in batches. */
import type { Command } from 'commander';
import { purgeFailedBatches } from '../admin/failed-batches';
import { cliDurationMs } from './duration';
import { addConnectionOptions, connect, requireSpec, type ConnectionOptions } from './connect';
import { print } from './output';
import { ProgressBar } from './progress';

interface PurgeOptions extends ConnectionOptions {
  olderThan: string;
  includeUnknownAge?: boolean;
  batchSize: string;
}

export function registerPurgeFailed(program: Command): void {
  addConnectionOptions(
    program
      .command('purge-failed')
      .argument('<table>', 'the message table (table or keyspace.table)')
      .description('delete failed messages (dead letters) that failed longer ago than --older-than; pending and acked ones are never touched')
      .requiredOption('--older-than <duration>', "how long ago they failed, e.g. 7d, 12h, 30m (ms without a unit)")
      .option('--include-unknown-age', 'also those without failed_at (failed before the column existed)')
      .option('--batch-size <n>', 'messages per DELETE', '500'),
  ).action(async (tableArg: string, o: PurgeOptions) => {
    const c = await connect(o);
    try {
      const spec = requireSpec(await c.table(tableArg));
      const bar = new ProgressBar('purge-failed');
      const olderThan = cliDurationMs(o.olderThan, 'ms', 'olderThan', 'purge-failed');
      const result = await purgeFailedBatches(c.executor, spec, {
        olderThan,
        batchSize: Number(o.batchSize),
        onProgress: (p) => bar.update(p),
        ...(o.includeUnknownAge ? { includeUnknownAge: true } : {}),
      });
      bar.end();
      print(o.json, { deleted: result.done, matched: result.matched }, () => `deleted ${result.done} failed message${result.done === 1 ? '' : 's'} older than ${o.olderThan}`);
    } finally {
      await c.close();
    }
  });
}
