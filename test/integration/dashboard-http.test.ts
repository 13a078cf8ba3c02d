/**
 * The dashboard's HTTP API on the real Vitess, without a browser: it shows
 * what `counts()` reads, lists failed messages with their reasons, retries
 * and purges; and it refuses what must be refused (no or wrong token, another
 * origin, a wrong Host, bad ids, tables, durations and bodies, missing basic
 * auth) with a clear status, changing nothing.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import { defineMessageTable } from '../../src/core/define';
import { ack, enqueueMany, fail } from '../../src/core/operations';
import { counts, get } from '../../src/core/queue-admin';
import { serveDashboard, type Dashboard } from '../../src/dashboard/server';
import { openShardConnection, statefulTable, FAILED_REASONS, type StatefulTable } from '../helpers/dashboard-fixture';
import { createFromSpec, mysql2Harness } from '../helpers/producer-harness';
import { closePool, uniqueName, vitess, waitUntil } from '../helpers/vitess';

test.after(() => closePool());

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

/** One HTTP request with full control of its headers (fetch would not send a Host of our choosing). */
function call(dashboard: Dashboard, method: string, path: string, options: { headers?: Record<string, string | null>; body?: unknown; raw?: string } = {}): Promise<Reply> {
  const url = new URL(path, dashboard.url);
  const body = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const merged: Record<string, string | null> = {
    ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'x-dashboard-token': dashboard.token }),
    ...options.headers,
  };
  // null: leave the header out.
  const headers = Object.fromEntries(Object.entries(merged).filter((e): e is [string, string] => e[1] !== null));
  return new Promise((resolve, reject) => {
    // A connection per request: a kept-alive one would outlive close() on the client's side.
    const req = request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode!, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

async function stillFailed(s: StatefulTable, id: string): Promise<void> {
  const m = await get(s.x, s.tt.spec, id);
  assert.equal(m?.state, 'failed', `${id} is still failed`);
}

test('the API shows what counts() reads, lists failed messages, retries and purges on the real Vitess', async (t) => {
  const s = await statefulTable('dash_api');
  t.after(() => s.tt.drop());
  const dashboard = await serveDashboard({ executor: s.x, openConnection: openShardConnection, tables: [s.tt.spec], port: 0, pollInterval: '1s' });
  t.after(() => dashboard.close());
  assert.match(dashboard.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);

  const page = await call(dashboard, 'GET', '/');
  assert.equal(page.status, 200);
  assert.match(String(page.headers['content-type']), /^text\/html/);
  assert.ok(page.text.includes(dashboard.token), 'the page carries the token');
  assert.match(String(page.headers['content-security-policy']), /script-src 'nonce-[^']+'/);
  assert.equal(page.headers['x-frame-options'], 'DENY');

  const expected = await counts(s.x, s.tt.spec, { openConnection: openShardConnection });
  const overview = await call(dashboard, 'GET', '/api/tables');
  assert.equal(overview.status, 200);
  const [row] = overview.json.tables;
  assert.equal(row.key, s.key);
  const states = (c: any): unknown => ({ due: c.due, scheduled: c.scheduled, inFlight: c.inFlight, failed: c.failed, acked: c.acked });
  assert.deepEqual(states(row.counts), { due: 4, scheduled: 2, inFlight: 1, failed: 3, acked: 2 });
  assert.deepEqual(states(row.counts), states(expected));
  assert.deepEqual(Object.keys(row.counts.shards).sort(), Object.keys(expected.shards!).sort());
  for (const [shard, c] of Object.entries(expected.shards!)) assert.deepEqual(states(row.counts.shards[shard]), states(c), `shard ${shard}`);
  assert.ok(row.counts.oldestDueAgeMs >= 59_000, `oldest due age ${row.counts.oldestDueAgeMs} ms`);

  // Failed messages, paged, with their reasons; ids as decimal strings.
  const first = await call(dashboard, 'GET', `/api/failed?table=${encodeURIComponent(s.key)}&limit=2`);
  assert.equal(first.status, 200);
  assert.equal(first.json.messages.length, 2);
  const rest = await call(dashboard, 'GET', `/api/failed?table=${encodeURIComponent(s.key)}&limit=2&after=${first.json.next}`);
  assert.equal(rest.json.next, undefined);
  const listed = [...first.json.messages, ...rest.json.messages];
  assert.deepEqual(listed.map((m: any) => m.id).sort(), [...s.failed].sort());
  for (const m of listed) assert.equal(m.reason, FAILED_REASONS[s.failed.indexOf(m.id)]);

  // Explain: explainMessage's answer and its text.
  const one = await call(dashboard, 'GET', `/api/explain?table=${encodeURIComponent(s.key)}&id=${s.failed[0]}`);
  assert.equal(one.status, 200, one.text);
  assert.equal(one.json.state, 'failed');
  assert.equal(one.json.facts.reason, FAILED_REASONS[0]);
  assert.ok(one.json.text.startsWith(one.json.summary) && one.json.text.includes(FAILED_REASONS[0]), one.json.text);
  const none = await call(dashboard, 'GET', `/api/explain?table=${encodeURIComponent(s.key)}&id=1`);
  assert.equal(none.status, 200, none.text);
  assert.equal(none.json.state, 'no-such-row');

  // Retry revives the message on Vitess; the answer carries the table's new counts.
  const retried = await call(dashboard, 'POST', '/api/retry', { body: { table: s.key, ids: [s.failed[0]] } });
  assert.equal(retried.status, 200, retried.text);
  assert.equal(retried.json.retried, 1);
  assert.equal(retried.json.table.counts.failed, 2);
  const revived = await get(s.x, s.tt.spec, s.failed[0]!);
  assert.equal(revived?.state, 'due');
  assert.equal(revived?.epoch, 0);
  assert.equal(revived?.reason, null);

  // The sparkline's rate: acks between two polls show as acks per second.
  assert.equal(await ack(s.x, s.tt.spec, s.due.slice(0, 2)), 2);
  const rated = await waitUntil(async () => {
    const [r] = (await call(dashboard, 'GET', '/api/tables')).json.tables;
    return r.counts.acked === 4 && r.throughput.some((p: any) => p.ackedPerSec > 0) ? r : undefined;
  }, 30_000, 'a poll that sees the two acks');
  assert.ok(rated.throughput.every((p: any) => p.ackedPerSec === null || p.ackedPerSec >= 0));

  // Purge: only what failed longer ago than olderThan.
  await s.x.query(`update ${s.tt.qualified} set failed_at = failed_at - ? where id = ?`, [(8n * 86_400_000_000_000n).toString(), s.failed[1]!]);
  const purged = await call(dashboard, 'POST', '/api/purge-failed', { body: { table: s.key, olderThan: '7d' } });
  assert.equal(purged.status, 200, purged.text);
  assert.equal(purged.json.deleted, 1);
  assert.equal(purged.json.table.counts.failed, 1);
  assert.equal(await get(s.x, s.tt.spec, s.failed[1]!), null);
  await stillFailed(s, s.failed[2]!);
});

test('refusals: no or wrong token, another origin, a wrong Host, bad input; nothing changes', async (t) => {
  const s = await statefulTable('dash_refuse');
  t.after(() => s.tt.drop());
  const dashboard = await serveDashboard({ executor: s.x, tables: [s.tt.spec], port: 0 });
  t.after(() => dashboard.close());
  const target = s.failed[0]!;
  const body = { table: s.key, ids: [target] };
  const port = new URL(dashboard.url).port;

  const refusals: Array<[string, Promise<Reply>, number, string | undefined]> = [
    ['no token', call(dashboard, 'POST', '/api/retry', { body, headers: { 'x-dashboard-token': null } }), 403, 'x-dashboard-token'],
    ['an empty token', call(dashboard, 'POST', '/api/retry', { body, headers: { 'x-dashboard-token': '' } }), 403, 'x-dashboard-token'],
    ['wrong token', call(dashboard, 'POST', '/api/retry', { body, headers: { 'x-dashboard-token': dashboard.token.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) } }), 403, 'x-dashboard-token'],
    ['another origin', call(dashboard, 'POST', '/api/retry', { body, headers: { origin: 'http://evil.example' } }), 403, 'origin'],
    ['a cross-site fetch', call(dashboard, 'POST', '/api/retry', { body, headers: { 'sec-fetch-site': 'cross-site' } }), 403, 'sec-fetch-site'],
    ['a wrong Host (DNS rebinding)', call(dashboard, 'POST', '/api/retry', { body, headers: { host: `evil.example:${port}` } }), 403, 'host'],
    ['a wrong Host on a read', call(dashboard, 'GET', '/api/tables', { headers: { host: `evil.example:${port}` } }), 403, 'host'],
    ['an id that is not a number', call(dashboard, 'POST', '/api/retry', { body: { table: s.key, ids: ['12abc'] } }), 400, 'ids[0]'],
    ['an id as a JSON number', call(dashboard, 'POST', '/api/retry', { body: { table: s.key, ids: [Number(target)] } }), 400, 'ids[0]'],
    ['id 0', call(dashboard, 'POST', '/api/retry', { body: { table: s.key, ids: ['0'] } }), 400, 'ids[0]'],
    ['an id above 2^63 - 1', call(dashboard, 'POST', '/api/retry', { body: { table: s.key, ids: ['9223372036854775808'] } }), 400, 'ids[0]'],
    ['no ids', call(dashboard, 'POST', '/api/retry', { body: { table: s.key, ids: [] } }), 400, 'ids'],
    ['a table name with SQL in it', call(dashboard, 'POST', '/api/retry', { body: { table: `${s.key}; drop table x`, ids: [target] } }), 400, 'table'],
    ['a table of no dashboard', call(dashboard, 'POST', '/api/retry', { body: { table: `${s.tt.keyspace}.other`, ids: [target] } }), 404, 'table'],
    ['an unknown field', call(dashboard, 'POST', '/api/retry', { body: { ...body, all: true } }), 400, 'all'],
    ['a body that is not JSON', call(dashboard, 'POST', '/api/retry', { raw: '{"table":' }), 400, 'body'],
    ['a form post', call(dashboard, 'POST', '/api/retry', { raw: 'table=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'content-type'],
    ['a body too large', call(dashboard, 'POST', '/api/retry', { raw: JSON.stringify({ table: s.key, ids: [target], pad: 'x'.repeat(70_000) }) }), 413, 'body'],
    ['a body too large, sent in chunks', call(dashboard, 'POST', '/api/retry', { raw: JSON.stringify({ table: s.key, ids: [target], pad: 'x'.repeat(70_000) }), headers: { 'content-length': null } }), 413, 'body'],
    ['a bad duration', call(dashboard, 'POST', '/api/purge-failed', { body: { table: s.key, olderThan: '7 days' } }), 400, 'olderThan'],
    ['a duration beyond 2^63 ns', call(dashboard, 'POST', '/api/purge-failed', { body: { table: s.key, olderThan: '999999999d' } }), 400, 'olderThan'],
    ['a non-boolean flag', call(dashboard, 'POST', '/api/purge-failed', { body: { table: s.key, olderThan: '7d', includeUnknownAge: 'yes' } }), 400, 'includeUnknownAge'],
    ['a bad page size', call(dashboard, 'GET', `/api/failed?table=${encodeURIComponent(s.key)}&limit=0`), 400, 'limit'],
    ['a bad after id', call(dashboard, 'GET', `/api/failed?table=${encodeURIComponent(s.key)}&after=-1`), 400, 'after'],
    ['a bad id to explain', call(dashboard, 'GET', `/api/explain?table=${encodeURIComponent(s.key)}&id=1%20or%201`), 400, 'id'],
    ['no table to explain', call(dashboard, 'GET', '/api/explain?id=1'), 400, 'table'],
    ['a GET of a mutation', call(dashboard, 'GET', '/api/retry'), 405, 'method'],
    ['an unknown path', call(dashboard, 'GET', '/admin'), 404, 'path'],
  ];
  for (const [what, reply, status, field] of refusals) {
    const r = await reply;
    assert.equal(r.status, status, `${what}: ${r.text}`);
    assert.equal(typeof r.json?.error, 'string', `${what}: a message says why`);
    assert.equal(r.json.field, field, `${what}: names the field (${r.json.error})`);
  }
  await stillFailed(s, target);
  const c = await counts(s.x, s.tt.spec);
  assert.deepEqual({ due: c.due, failed: c.failed }, { due: 4, failed: 3 }, 'nothing retried, nothing purged');
  // The same request with the token from this dashboard's own origin passes.
  const ok = await call(dashboard, 'POST', '/api/retry', { body, headers: { origin: new URL(dashboard.url).origin, 'sec-fetch-site': 'same-origin' } });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.retried, 1);
});

test('keyspace: every message table of the keyspace, described from the database; retry and explain work on them', async (t) => {
  // The unsharded keyspace: small tables only, so listing and counting it all stays cheap.
  const tt = await createFromSpec(defineMessageTable({ table: uniqueName('dash_ks'), keyspace: vitess.unsharded, vindex: false, columns: { body: { type: 'json', nullable: true } } }));
  t.after(() => tt.drop());
  const x = mysql2Harness().executor();
  const [a, b] = await enqueueMany(x, tt.spec, [{ payload: { body: 1 } }, { payload: { body: 2 } }]) as [string, string];
  assert.equal(await fail(x, tt.spec, a, { reason: 'bad' }), 1);
  const dashboard = await serveDashboard({ executor: x, keyspace: vitess.unsharded, port: 0, pollInterval: '1h' });
  t.after(() => dashboard.close());
  const key = `${vitess.unsharded}.${tt.table}`;
  const overview = await call(dashboard, 'GET', '/api/tables');
  const row = overview.json.tables.find((r: any) => r.key === key);
  assert.ok(row, `${key} is listed among ${overview.json.tables.map((r: any) => r.key).join(', ')}`);
  assert.deepEqual({ due: row.counts.due, failed: row.counts.failed }, { due: 1, failed: 1 });
  const failed = await call(dashboard, 'GET', `/api/failed?table=${encodeURIComponent(key)}`);
  assert.deepEqual(failed.json.messages.map((m: any) => [m.id, m.reason, m.payload.body]), [[a, 'bad', 1]]);
  const retried = await call(dashboard, 'POST', '/api/retry', { body: { table: key, ids: [a, b] } });
  assert.equal(retried.status, 200, retried.text);
  assert.equal(retried.json.retried, 1, 'only the failed one is retried');
  assert.equal(retried.json.table.counts.due, 2);
  const explained = await call(dashboard, 'GET', `/api/explain?table=${encodeURIComponent(key)}&id=${a}`);
  assert.equal(explained.json.state, 'due', explained.json.text);
});

test('basic auth: every request needs the credentials; close() stops listening', async (t) => {
  const s = await statefulTable('dash_auth');
  t.after(() => s.tt.drop());
  const dashboard = await serveDashboard({ connection: vitess.mysqlUrl, tables: [s.tt.spec], port: 0, basicAuth: { username: 'ops', password: 's3cret:with colon' } });
  t.after(() => dashboard.close());
  const basic = (user: string, pass: string): Record<string, string> => ({ authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` });

  for (const [what, headers] of [['none', {}], ['wrong password', basic('ops', 's3cret')], ['wrong user', basic('op', 's3cret:with colon')], ['not basic', { authorization: 'Bearer x' }]] as const) {
    const r = await call(dashboard, 'GET', '/api/tables', { headers });
    assert.equal(r.status, 401, what);
    assert.match(String(r.headers['www-authenticate']), /^Basic realm=/, what);
  }
  const refused = await call(dashboard, 'POST', '/api/retry', { body: { table: s.key, ids: [s.failed[0]] } });
  assert.equal(refused.status, 401, 'the token alone is not enough');
  await stillFailed(s, s.failed[0]!);

  const ok = await call(dashboard, 'GET', '/api/tables', { headers: basic('ops', 's3cret:with colon') });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.tables[0].counts.failed, 3);
  assert.ok(ok.json.tables[0].counts.shards, 'a connection URL gives per-shard counts');

  await dashboard.close();
  await dashboard.close();
  await assert.rejects(call(dashboard, 'GET', '/api/tables', { headers: basic('ops', 's3cret:with colon') }), /ECONNREFUSED/);
});
