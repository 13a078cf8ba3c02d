/** `vitess-messages stats TABLE`: messages by state per shard, the oldest due age; `--watch` polls. */
import type { Command } from 'commander';
import { formatDurationMs } from '../admin/format-time';
import { InvalidOptionError } from '../core/errors';
import { counts, type CountsResult, type QueueCounts } from '../core/queue-admin';
import { cliDurationMs } from './duration';
import { addConnectionOptions, connect, requireSpec, type ConnectionOptions } from './connect';
import { print, renderTable, toJson } from './output';

interface StatsOptions extends ConnectionOptions {
  watch?: string | boolean;
  iterations?: string;
}

export function registerStats(program: Command): void {
  addConnectionOptions(
    program
      .command('stats')
      .argument('<table>', 'the message table (table or keyspace.table)')
      .description('count messages by state per shard (due, scheduled, in flight, failed, acked awaiting purge) and the oldest due age; reads the table, never streams it')
      .option('-w, --watch [seconds]', 'refresh every so many seconds (default 5) until interrupted; with --json, one JSON line per refresh')
      .option('--iterations <n>', 'with --watch: stop after n refreshes'),
  ).action(async (tableArg: string, o: StatsOptions) => {
    const c = await connect(o);
    try {
      const spec = requireSpec(await c.table(tableArg));
      const once = (): Promise<CountsResult> => counts(c.executor, spec, spec.keyspace ? { openConnection: () => c.openConnection() } : {});
      if (o.watch === undefined) {
        const result = await once();
        print(o.json, result, () => humanStats(`${spec.keyspace}.${spec.table}`, result));
        return;
      }
      const seconds = typeof o.watch === 'string' ? cliDurationMs(o.watch, 's', 'watch', 'stats') / 1_000 : 5;
      if (!(seconds > 0)) throw new InvalidOptionError('stats', 'watch', 'must be a positive number of seconds', o.watch);
      const iterations = o.iterations === undefined ? Infinity : Number(o.iterations);
      if (!(Number.isInteger(iterations) && iterations > 0) && iterations !== Infinity) throw new InvalidOptionError('stats', 'iterations', 'must be a positive integer', o.iterations);
      let stop = false;
      const onSignal = (): void => {
        stop = true;
      };
      process.once('SIGINT', onSignal);
      try {
        for (let i = 0; i < iterations && !stop; i++) {
          if (i > 0) await sleepUnless(seconds * 1_000, () => stop);
          if (stop) break;
          const result = await once();
          const at = new Date().toISOString();
          if (o.json) process.stdout.write(`${toJson({ at, ...result }, 0)}\n`);
          else process.stdout.write(`${process.stdout.isTTY ? '\x1b[2J\x1b[H' : i > 0 ? '\n' : ''}${at}  every ${seconds}s (Ctrl-C stops)\n${humanStats(`${spec.keyspace}.${spec.table}`, result)}\n`);
        }
      } finally {
        process.removeListener('SIGINT', onSignal);
      }
    } finally {
      await c.close();
    }
  });
}

/** The counts as a table: one row per shard, then the total. */
export function humanStats(label: string, r: CountsResult): string {
  const row = (name: string, q: QueueCounts): string[] => [
    name,
    String(q.due),
    String(q.scheduled),
    String(q.inFlight),
    String(q.failed),
    String(q.acked),
    q.oldestDueAgeMs === null ? '-' : formatDurationMs(q.oldestDueAgeMs),
  ];
  const rows = [...Object.entries(r.shards ?? {}).map(([shard, q]) => row(shard, q)), row('total', r)];
  return `${label}\n${renderTable(['SHARD', 'DUE', 'SCHEDULED', 'IN FLIGHT', 'FAILED', 'ACKED', 'OLDEST DUE'], rows)}`;
}

/** Waits `ms`, waking early when `stop()` turns true (checked every 100 ms), so Ctrl-C ends a watch at once. */
async function sleepUnless(ms: number, stop: () => boolean): Promise<void> {
  const end = Date.now() + ms;
  while (!stop() && Date.now() < end) await new Promise((r) => setTimeout(r, Math.min(100, end - Date.now())));
}
