/**
 * `vitess-messages dashboard [TABLE…]`: serves the dashboard page (see
 * src/dashboard/server.ts) until interrupted. Without TABLE it shows every
 * message table of the keyspace (`--keyspace`, or the URL's database).
 */
import type { Command } from 'commander';
import { InvalidOptionError } from '../core/errors';
import type { MessageTableSpec } from '../core/spec';
import { serveDashboard } from '../dashboard/server';
import { addConnectionOptions, connect, requireSpec, type ConnectionOptions } from './connect';

interface DashboardCliOptions extends ConnectionOptions {
  port: string;
  host: string;
  basicAuth?: string;
  allowNoAuth?: boolean;
  allowHost?: string[];
  poll: string;
}

/** The environment variable holding `user:password` for basic auth (kept off the command line, which `ps` shows). */
export const DASHBOARD_AUTH_ENV = 'VITESS_MESSAGES_DASHBOARD_AUTH';

export function registerDashboard(program: Command): void {
  addConnectionOptions(
    program
      .command('dashboard')
      .argument('[tables...]', 'message tables to show (table or keyspace.table); default: every message table of the keyspace')
      .description('serve a page with each table\'s counts by state, oldest due age and ack rate, its failed messages with reasons and explain, and retry / purge buttons; reads and polls, never streams')
      .option('-p, --port <port>', 'port to listen on (0: any free one)', '7377')
      .option('--host <address>', 'address to listen on; anything but loopback needs basic auth', '127.0.0.1')
      .option('--basic-auth <user:password>', `ask for these credentials (better: set ${DASHBOARD_AUTH_ENV}=user:password, which ps does not show)`)
      .option('--allow-no-auth', 'listen on a non-loopback address without basic auth (anyone who reaches it can retry and purge)')
      .option('--allow-host <host:port...>', 'more Host header values to accept, e.g. the name a reverse proxy forwards')
      .option('--poll <seconds>', 'seconds between counts (each is a pass over every row of every table)', '5'),
  ).action(async (tableArgs: string[], o: DashboardCliOptions) => {
    const port = /^[0-9]{1,5}$/.test(o.port) ? Number(o.port) : NaN;
    const pollSeconds = Number(o.poll);
    if (!/^[0-9]+(\.[0-9]+)?$/.test(o.poll) || !(pollSeconds >= 1)) throw new InvalidOptionError('dashboard', 'poll', 'must be a number of seconds, at least 1', o.poll);
    const auth = o.basicAuth ?? process.env[DASHBOARD_AUTH_ENV];
    const colon = auth?.indexOf(':') ?? -1;
    if (auth !== undefined && colon <= 0) throw new InvalidOptionError('dashboard', 'basicAuth', 'must be user:password', '(hidden)');
    const c = await connect(o);
    let closing: Promise<void> | undefined;
    try {
      const tables: MessageTableSpec[] = [];
      for (const arg of tableArgs) tables.push(requireSpec(await c.table(arg)));
      if (tables.length === 0 && c.defaultKeyspace === undefined) {
        throw new InvalidOptionError('dashboard', 'tables', 'name tables, or a keyspace with --keyspace (or in the URL: mysql://…/commerce)');
      }
      const dashboard = await serveDashboard({
        executor: c.executor,
        openConnection: () => c.openConnection(),
        ...(tables.length > 0 ? { tables } : { keyspace: c.defaultKeyspace! }),
        ...(c.tabletHttp.length > 0 ? { tabletHttp: c.tabletHttp } : {}),
        host: o.host,
        port,
        ...(auth !== undefined ? { basicAuth: { username: auth.slice(0, colon), password: auth.slice(colon + 1) } } : {}),
        ...(o.allowNoAuth ? { allowNoAuth: true } : {}),
        ...(o.allowHost ? { allowedHosts: o.allowHost } : {}),
        pollInterval: pollSeconds * 1000,
        onError: (err) => console.error(err instanceof Error ? `${err.name}: ${err.message}` : String(err)),
      }).catch((err: unknown) => {
        // The library's rule on a non-loopback host names its options: say the flags that set them.
        if (err instanceof InvalidOptionError && err.option === 'host' && /basicAuth/.test(err.rule)) {
          throw new InvalidOptionError('dashboard', 'host', `is reachable from other machines: give --basic-auth (or ${DASHBOARD_AUTH_ENV}), or --allow-no-auth`, o.host);
        }
        throw err;
      });
      if (o.json) console.log(JSON.stringify({ url: dashboard.url }));
      else console.log(`dashboard: ${dashboard.url} (Ctrl-C stops)`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.removeListener('SIGINT', stop);
          process.removeListener('SIGTERM', stop);
          closing ??= dashboard.close();
          resolve();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await closing;
    } finally {
      await c.close();
    }
  });
}
