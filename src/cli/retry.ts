/** `vitess-messages retry TABLE ID… | --all-failed [--reason-like P]`: dead letters due again now. */
import type { Command } from 'commander';
import { retryAllFailed } from '../admin/failed-batches';
import { InvalidOptionError } from '../core/errors';
import { retry } from '../core/operations';
import { addConnectionOptions, connect, requireSpec, type ConnectionOptions } from './connect';
import { print } from './output';
import { ProgressBar } from './progress';

interface RetryOptions extends ConnectionOptions {
  allFailed?: boolean;
  reasonLike?: string;
  batchSize: string;
}

export function registerRetry(program: Command): void {
  addConnectionOptions(
    program
      .command('retry')
      .argument('<table>', 'the message table (table or keyspace.table)')
      .argument('[ids...]', 'ids of failed messages to retry')
      .description('make failed messages due now (reason cleared, epoch 0): the ids given, or every failed one with --all-failed')
      .option('--all-failed', 'retry every failed message (in batches, with a progress bar on a terminal)')
      .option('--reason-like <pattern>', 'with --all-failed: only those whose reason matches this SQL LIKE pattern, e.g. %timeout%')
      .option('--batch-size <n>', 'with --all-failed: messages per statement', '500'),
  ).action(async (tableArg: string, ids: string[], o: RetryOptions) => {
    if (o.allFailed && ids.length > 0) throw new InvalidOptionError('retry', 'all-failed', 'takes no ids (give ids, or --all-failed)');
    if (!o.allFailed && ids.length === 0) throw new InvalidOptionError('retry', 'ids', 'is required: the ids of failed messages, or --all-failed');
    if (o.reasonLike !== undefined && !o.allFailed) throw new InvalidOptionError('retry', 'reason-like', 'needs --all-failed');
    const c = await connect(o);
    try {
      const spec = requireSpec(await c.table(tableArg));
      if (!o.allFailed) {
        const retried = await retry(c.executor, spec, ids);
        print(o.json, { retried, of: ids.length }, () => `retried ${retried} of ${ids.length} (the others were not failed, or do not exist)`);
        return;
      }
      const bar = new ProgressBar('retry');
      const result = await retryAllFailed(c.executor, spec, {
        batchSize: Number(o.batchSize),
        onProgress: (p) => bar.update(p),
        ...(o.reasonLike !== undefined ? { reasonLike: o.reasonLike } : {}),
      });
      bar.end();
      print(o.json, { retried: result.done, matched: result.matched }, () => `retried ${result.done} failed message${result.done === 1 ? '' : 's'}${o.reasonLike ? ` whose reason is like ${JSON.stringify(o.reasonLike)}` : ''}`);
    } finally {
      await c.close();
    }
  });
}
