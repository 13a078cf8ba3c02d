/**
 * `serveDashboard`: one page and a small JSON API on node:http, to watch
 * message tables (counts by state, oldest due age, an ack-rate sparkline), see
 * failed messages with their reasons, retry them and purge old ones. It never
 * streams: a dashboard that received messages would take them from the
 * subscribers. Listens on 127.0.0.1 unless told otherwise; see
 * `request-guard.ts` for who may use it.
 *
 * Routes: `GET /` the page; `GET /api/tables` counts and sparklines;
 * `GET /api/failed?table=&after=&limit=` a page of failed messages;
 * `GET /api/explain?table=&id=` why a message is (not) delivered (`explainMessage`);
 * `POST /api/retry {table, ids}`; `POST /api/purge-failed {table, olderThan, includeUnknownAge?}`.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIPv6, type AddressInfo } from 'node:net';
import { explainMessage, formatExplanation } from '../admin/explain';
import { listMessageTables, specFromTable } from '../admin/tables';
import { TabletHttpError } from '../admin/tablet-counters';
import { InvalidOptionError, QueryError, VitessMessagesError } from '../core/errors';
import { checkKeyspace } from '../core/identifiers';
import type { Executor } from '../core/executor';
import { listFailed, retry } from '../core/operations';
import { purgeFailed, type ShardConnection } from '../core/queue-admin';
import type { MessageTableSpec } from '../core/spec';
import { toMs, type Duration } from '../core/time';
import { CountPoller, tableKey } from './count-poller';
import { parseBody, parseBoolean, parseDuration, parseIdList, parseLimit, parseMessageId, parseTableKey } from './input';
import { renderPage } from './page';
import { DashboardRequestError } from './request-error';
import { allowedHostsFor, checkBasicAuth, checkHost, checkMutation, isLoopbackHost, isWildcardHost, newToken, type BasicAuthCredentials } from './request-guard';

/** Options of {@link serveDashboard}. */
export interface DashboardOptions {
  /**
   * Where the dashboard's statements run: a pool in autocommit (each read and
   * each retry or purge is a statement of its own), never a transaction.
   * Give this or `connection`.
   */
  readonly executor?: Executor;
  /**
   * A vtgate MySQL URL (`mysql://user:pass@host:port/`) instead of an executor:
   * the dashboard opens a mysql2 pool of its own (closed by `close()`), and
   * shard connections for per-shard counts.
   */
  readonly connection?: string;
  /**
   * Opens a connection of its own for one shard's counts (see
   * `CountsOptions.openConnection`). Default: one from `connection` when
   * given; none with an `executor`, and then only table totals are shown.
   */
  readonly openConnection?: () => Promise<ShardConnection>;
  /**
   * The message tables to show (`defineMessageTable` results or resolved
   * entities). Default: those of `keyspace`. Give this, `keyspace`, or both.
   */
  readonly tables?: readonly MessageTableSpec[];
  /**
   * Show every message table of this keyspace (or these), as listed when the
   * dashboard starts (`listMessageTables`; a table made later needs a
   * restart), each described from its comment and columns. A table also in
   * `tables` keeps the spec given there.
   */
  readonly keyspace?: string | readonly string[];
  /**
   * Tablet HTTP addresses (`host:port` of vttablet, or vtcombo's port) whose
   * `/debug/vars` counters let Explain say whether a subscriber is connected.
   * Default: none (Explain then cannot tell a due message with no receiver
   * from one about to be sent).
   */
  readonly tabletHttp?: string | readonly string[];
  /**
   * Address to listen on. Default `'127.0.0.1'`: only this machine. Any other
   * address (`'0.0.0.0'`, `'::'`, a LAN address or name) exposes retry and
   * purge to the network, so it needs `basicAuth`, or `allowNoAuth: true`.
   */
  readonly host?: string;
  /** Port to listen on. Default 7377; 0 picks a free one (see the returned `url`). */
  readonly port?: number;
  /** Ask for these credentials on every request (HTTP basic auth). Default: none (fine on 127.0.0.1). */
  readonly basicAuth?: BasicAuthCredentials;
  /**
   * Listen on a non-loopback `host` without `basicAuth`. Default false: anyone
   * who reaches the port could retry and purge, so this must be said on
   * purpose (e.g. behind a proxy that authenticates, or on a private network).
   */
  readonly allowNoAuth?: boolean;
  /**
   * More `Host` header values to accept (`name:port`), e.g. the name a reverse
   * proxy forwards. Default: the listening address and, on a loopback or
   * wildcard address, `localhost` / `127.0.0.1` / `[::1]` with the port.
   * Every other Host is refused (a page of another site whose name resolves
   * here, DNS rebinding, must not read the page's token), so on a wildcard
   * address list the names clients use here.
   */
  readonly allowedHosts?: readonly string[];
  /**
   * How often the tables are counted (each count is a pass over the table's
   * rows; see `counts`). Default `'5s'`, at least `'1s'`. The page refreshes
   * at the same pace.
   */
  readonly pollInterval?: Duration;
  /** Count samples kept per table for the sparkline. Default 60 (5 minutes at 5 s). */
  readonly history?: number;
  /** Told of errors that reached no client as such (a failed statement of a request still gets its message). Default: none. */
  readonly onError?: (err: unknown) => void;
}

/** A running dashboard. */
export interface Dashboard {
  /** Where it serves the page, e.g. `http://127.0.0.1:7377/`. */
  readonly url: string;
  /** This process's token: the page carries it; a POST needs it in the `x-dashboard-token` header. */
  readonly token: string;
  /** Stops listening and polling; closes the pool it opened for `connection`. Idempotent. */
  close(): Promise<void>;
}

const OPTION_NAMES = ['executor', 'connection', 'openConnection', 'tables', 'keyspace', 'tabletHttp', 'host', 'port', 'basicAuth', 'allowNoAuth', 'allowedHosts', 'pollInterval', 'history', 'onError'];
const SUBJECT = 'serveDashboard';
/** Largest request body: a retry of 1000 ids is about 25 KB. */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * Starts the dashboard and resolves once it listens.
 *
 * @throws InvalidOptionError for a bad option (nothing listens then);
 *   VitessMessagesError when it cannot listen (a port in use); QueryError when
 *   listing a keyspace's tables fails.
 */
export async function serveDashboard(options: DashboardOptions): Promise<Dashboard> {
  const o = checkOptions(options);
  const { executor, openConnection, closePool } = connect(o);
  let tables: MessageTableSpec[];
  try {
    tables = await tablesToShow(executor, o);
  } catch (err) {
    await closePool();
    throw err;
  }
  const poller = new CountPoller(executor, tables, o.pollIntervalMs, o.history, openConnection);
  const token = newToken();
  const server = createServer();
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (err: unknown) => {
    await closePool();
    const code = (err as NodeJS.ErrnoException).code;
    throw new VitessMessagesError(`serveDashboard: cannot listen on ${o.host}:${o.port}${code === 'EADDRINUSE' ? ' (the port is in use: give another, or 0 for a free one)' : ''}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  });
  const port = (server.address() as AddressInfo).port;
  const allowed = allowedHostsFor(o.host, port, o.allowedHosts);
  const context: Context = { poller, token, allowed, basicAuth: o.basicAuth, pollIntervalMs: o.pollIntervalMs, executor, tabletHttp: o.tabletHttp };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    handle(context, req, res).catch((err: unknown) => {
      o.onError?.(err);
      if (!res.headersSent) send(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });
  void poller.start();
  const shown = isWildcardHost(o.host) ? '127.0.0.1' : isIPv6(o.host) ? `[${o.host}]` : o.host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shown}:${port}/`,
    token,
    close: () => (closing ??= (async () => {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await poller.close();
      server.closeAllConnections();
      await stopped;
      await closePool();
    })()),
  };
}

interface CheckedOptions {
  readonly executor?: Executor;
  readonly connection?: string;
  readonly openConnection?: () => Promise<ShardConnection>;
  readonly tables: readonly MessageTableSpec[];
  readonly keyspaces: readonly string[];
  readonly tabletHttp: readonly string[];
  readonly host: string;
  readonly port: number;
  readonly basicAuth?: BasicAuthCredentials;
  readonly allowedHosts: readonly string[];
  readonly pollIntervalMs: number;
  readonly history: number;
  readonly onError?: (err: unknown) => void;
}

function checkOptions(options: DashboardOptions): CheckedOptions {
  if (options === null || typeof options !== 'object') throw new InvalidOptionError(SUBJECT, 'options', 'must be an object', options);
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.includes(key)) throw new InvalidOptionError(SUBJECT, key, `is not an option (known: ${OPTION_NAMES.join(', ')})`);
  }
  const { executor, connection, openConnection, basicAuth, onError } = options;
  if ((executor === undefined) === (connection === undefined)) throw new InvalidOptionError(SUBJECT, 'executor', 'or connection (a mysql:// URL) is required, not both');
  if (executor !== undefined && (executor === null || typeof executor.query !== 'function')) throw new InvalidOptionError(SUBJECT, 'executor', 'must have a query(sql, params) method', typeof executor);
  if (connection !== undefined && (typeof connection !== 'string' || !/^mysql:\/\//.test(connection))) throw new InvalidOptionError(SUBJECT, 'connection', 'must be a mysql:// URL', typeof connection === 'string' ? connection.replace(/\/\/[^@/]*@/, '//…@') : connection);
  if (openConnection !== undefined && typeof openConnection !== 'function') throw new InvalidOptionError(SUBJECT, 'openConnection', 'must be a function returning { executor, close }', openConnection);
  const tables = options.tables ?? [];
  const keyspaces = options.keyspace === undefined ? [] : typeof options.keyspace === 'string' ? [options.keyspace] : options.keyspace;
  if (!Array.isArray(keyspaces)) throw new InvalidOptionError(SUBJECT, 'keyspace', 'must be a keyspace name or an array of them', options.keyspace);
  for (const k of keyspaces) checkKeyspace(k, SUBJECT);
  if (!Array.isArray(tables) || (tables.length === 0 && keyspaces.length === 0)) throw new InvalidOptionError(SUBJECT, 'tables', 'must list at least one message table (defineMessageTable results or resolved entities), or give keyspace', options.tables);
  const tabletHttp = options.tabletHttp === undefined ? [] : typeof options.tabletHttp === 'string' ? [options.tabletHttp] : options.tabletHttp;
  if (!Array.isArray(tabletHttp) || tabletHttp.some((a) => typeof a !== 'string' || !/^[A-Za-z0-9.[\]:_-]{1,260}$|^https?:\/\/[A-Za-z0-9.[\]:_-]{1,260}\/?$/.test(a))) {
    throw new InvalidOptionError(SUBJECT, 'tabletHttp', 'must be host:port (or http://host:port) strings', options.tabletHttp);
  }
  const keys = new Set<string>();
  for (const spec of tables) {
    if (spec === null || typeof spec !== 'object' || typeof spec.table !== 'string' || !Array.isArray(spec.payload)) throw new InvalidOptionError(SUBJECT, 'tables', 'must hold message table specs', spec);
    const key = tableKey(spec);
    parseTableKey(key);
    if (keys.has(key)) throw new InvalidOptionError(SUBJECT, 'tables', 'lists a table twice', key);
    keys.add(key);
  }
  const host = options.host ?? '127.0.0.1';
  if (typeof host !== 'string' || !/^[A-Za-z0-9.:-]{1,253}$/.test(host)) throw new InvalidOptionError(SUBJECT, 'host', 'must be an address or host name to listen on', host);
  const port = options.port ?? 7377;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidOptionError(SUBJECT, 'port', 'must be an integer from 0 to 65535', port);
  if (basicAuth !== undefined) {
    if (basicAuth === null || typeof basicAuth !== 'object' || typeof basicAuth.username !== 'string' || typeof basicAuth.password !== 'string' || basicAuth.username.length === 0 || basicAuth.username.includes(':') || basicAuth.password.length === 0) {
      throw new InvalidOptionError(SUBJECT, 'basicAuth', 'must be { username, password }: non-empty strings, no ":" in the username');
    }
  }
  const allowNoAuth = options.allowNoAuth ?? false;
  if (typeof allowNoAuth !== 'boolean') throw new InvalidOptionError(SUBJECT, 'allowNoAuth', 'must be a boolean', allowNoAuth);
  if (!isLoopbackHost(host) && basicAuth === undefined && !allowNoAuth) {
    throw new InvalidOptionError(SUBJECT, 'host', 'is reachable from other machines: give basicAuth, or allowNoAuth: true (anyone who reaches it could retry and purge)', host);
  }
  const allowedHosts = options.allowedHosts ?? [];
  if (!Array.isArray(allowedHosts) || allowedHosts.some((h) => typeof h !== 'string' || !/^[A-Za-z0-9.[\]:-]{1,260}$/.test(h))) throw new InvalidOptionError(SUBJECT, 'allowedHosts', 'must be an array of host:port strings', allowedHosts);
  const pollIntervalMs = toMs(options.pollInterval ?? '5s', 'pollInterval', SUBJECT);
  if (pollIntervalMs < 1000 || pollIntervalMs > 3_600_000) throw new InvalidOptionError(SUBJECT, 'pollInterval', 'must be from 1s to 1h (each poll counts every row of every table)', options.pollInterval);
  const history = options.history ?? 60;
  if (!Number.isInteger(history) || history < 2 || history > 10_000) throw new InvalidOptionError(SUBJECT, 'history', 'must be an integer from 2 to 10000', history);
  if (onError !== undefined && typeof onError !== 'function') throw new InvalidOptionError(SUBJECT, 'onError', 'must be a function', onError);
  return { ...(executor ? { executor } : {}), ...(connection ? { connection } : {}), ...(openConnection ? { openConnection } : {}), tables, keyspaces, tabletHttp, host, port, ...(basicAuth ? { basicAuth } : {}), allowedHosts, pollIntervalMs, history, ...(onError ? { onError } : {}) };
}

/** The tables given, then those of the keyspaces not given already (sorted by name, as listed). */
async function tablesToShow(executor: Executor, o: CheckedOptions): Promise<MessageTableSpec[]> {
  const out = [...o.tables];
  const given = new Set(out.map(tableKey));
  for (const keyspace of o.keyspaces) {
    for (const info of await listMessageTables(executor, { keyspace })) {
      // A comment without readable options cannot be counted by state: Explain still says why on a direct question.
      if (!info.options || given.has(`${info.keyspace}.${info.table}`)) continue;
      out.push(specFromTable(info));
    }
  }
  return out;
}

/** The executor to use, and a pool of our own when given a URL. */
function connect(o: CheckedOptions): { executor: Executor; openConnection?: () => Promise<ShardConnection>; closePool: () => Promise<void> } {
  if (o.executor) return { executor: o.executor, ...(o.openConnection ? { openConnection: o.openConnection } : {}), closePool: async () => undefined };
  // Loaded only here: a dashboard on the caller's executor needs no mysql2 of ours.
  const mysql = require('mysql2/promise') as typeof import('mysql2/promise');
  const { fromMysql2 } = require('../adapters/mysql2') as typeof import('../adapters/mysql2');
  const pool = mysql.createPool({ uri: o.connection!, connectionLimit: 4, supportBigNumbers: true, bigNumberStrings: true });
  const openConnection = o.openConnection ?? (async (): Promise<ShardConnection> => {
    // A connection of its own: its session is targeted at one shard, so it never goes back to the pool.
    const conn = await mysql.createConnection({ uri: o.connection!, supportBigNumbers: true, bigNumberStrings: true });
    return { executor: fromMysql2(conn), close: () => conn.end().catch(() => conn.destroy()) };
  });
  return { executor: fromMysql2(pool), openConnection, closePool: () => pool.end() };
}

interface Context {
  readonly poller: CountPoller;
  readonly token: string;
  readonly allowed: ReadonlySet<string>;
  readonly basicAuth: BasicAuthCredentials | undefined;
  readonly pollIntervalMs: number;
  readonly executor: Executor;
  readonly tabletHttp: readonly string[];
}

async function handle(c: Context, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    checkHost(req.headers.host, c.allowed);
    if (c.basicAuth) checkBasicAuth(req.headers.authorization, c.basicAuth);
    const url = new URL(req.url ?? '/', 'http://dashboard');
    const route = `${req.method ?? ''} ${url.pathname}`;
    switch (route) {
      case 'GET /':
        return sendPage(c, res);
      case 'GET /api/tables':
        return send(res, 200, { pollIntervalMs: c.pollIntervalMs, tables: await c.poller.snapshots() });
      case 'GET /api/failed': {
        const spec = tableOf(c, url.searchParams.get('table'));
        const after = url.searchParams.get('after');
        const page = await listFailed(c.executor, spec, { limit: parseLimit(url.searchParams.get('limit'), 50), ...(after === null ? {} : { after: parseMessageId(after, 'after') }) });
        return send(res, 200, page);
      }
      case 'GET /api/explain': {
        const spec = tableOf(c, url.searchParams.get('table'));
        const explanation = await explainMessage(c.executor, spec, parseMessageId(url.searchParams.get('id')), c.tabletHttp.length > 0 ? { tabletHttp: c.tabletHttp } : {});
        return send(res, 200, { ...explanation, text: formatExplanation(explanation) });
      }
      case 'POST /api/retry': {
        const body = await readBody(c, req, ['table', 'ids']);
        const spec = tableOf(c, body.table);
        const retried = await retry(c.executor, spec, parseIdList(body.ids));
        return send(res, 200, { retried, table: await c.poller.refresh(tableKey(spec)) });
      }
      case 'POST /api/purge-failed': {
        const body = await readBody(c, req, ['table', 'olderThan', 'includeUnknownAge']);
        const spec = tableOf(c, body.table);
        const olderThan = parseDuration(body.olderThan, 'olderThan') as Duration;
        const deleted = await purgeFailed(c.executor, spec, { olderThan, includeUnknownAge: parseBoolean(body.includeUnknownAge, 'includeUnknownAge', false) });
        return send(res, 200, { deleted, table: await c.poller.refresh(tableKey(spec)) });
      }
      default:
        if (['/', '/api/tables', '/api/failed', '/api/explain', '/api/retry', '/api/purge-failed'].includes(url.pathname)) {
          res.setHeader('Allow', ['/api/retry', '/api/purge-failed'].includes(url.pathname) ? 'POST' : 'GET');
          throw new DashboardRequestError(405, `${req.method} is not allowed here`, 'method');
        }
        throw new DashboardRequestError(404, 'no such page', 'path');
    }
  } catch (err) {
    if (err instanceof DashboardRequestError) {
      if (err.status === 401) res.setHeader('WWW-Authenticate', 'Basic realm="vitess-messages dashboard", charset="UTF-8"');
      // The rest of an oversized body is not read: end the connection with the answer.
      if (err.status === 413) res.setHeader('Connection', 'close');
      return send(res, err.status, { error: err.message, ...(err.field ? { field: err.field } : {}) });
    }
    if (err instanceof InvalidOptionError) return send(res, 400, { error: err.message, field: err.option });
    // The database or a tablet failed: the request was fine, what it needs was not.
    if (err instanceof QueryError || err instanceof TabletHttpError) return send(res, 502, { error: err.message });
    throw err;
  }
}

function tableOf(c: Context, value: unknown): MessageTableSpec {
  const key = parseTableKey(value);
  const spec = c.poller.spec(key);
  if (!spec) throw new DashboardRequestError(404, `${key} is not a table of this dashboard`, 'table');
  return spec;
}

/** A POST's JSON body, after the checks that it comes from the page. */
async function readBody(c: Context, req: IncomingMessage, known: readonly string[]): Promise<Record<string, unknown>> {
  checkMutation(req.headers as Record<string, string | undefined>, c.token);
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') throw new DashboardRequestError(415, 'the body must be application/json', 'content-type');
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) throw new DashboardRequestError(413, `the body is over ${MAX_BODY_BYTES} bytes`, 'body');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new DashboardRequestError(413, `the body is over ${MAX_BODY_BYTES} bytes`, 'body');
    chunks.push(chunk);
  }
  return parseBody(Buffer.concat(chunks).toString('utf8'), known);
}

const COMMON_HEADERS = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  res.writeHead(status, { ...COMMON_HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function sendPage(c: Context, res: ServerResponse): void {
  const nonce = randomBytes(16).toString('base64');
  const html = renderPage({ token: c.token, nonce, pollIntervalMs: c.pollIntervalMs });
  res.writeHead(200, {
    ...COMMON_HEADERS,
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(html),
    // Only our own inline script and style run; the page talks to this server only.
    'Content-Security-Policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
  });
  res.end(html);
}
