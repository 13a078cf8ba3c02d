/**
 * The dashboard's pure parts: input rules (ids stay decimal strings, tables
 * are identifiers, durations and bodies are checked), the request guard
 * (Host, basic auth, token and origin of a change), the throughput ring, the
 * page's embedding of data, and serveDashboard's option checks.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidOptionError, VitessMessagesError } from '../../src/core/errors';
import { defineMessageTable } from '../../src/core/define';
import type { Executor } from '../../src/core/executor';
import { counts } from '../../src/core/queue-admin';
import { parseBody, parseBoolean, parseDuration, parseIdList, parseLimit, parseMessageId, parseTableKey } from '../../src/dashboard/input';
import { renderPage, scriptJson } from '../../src/dashboard/page';
import { DashboardRequestError } from '../../src/dashboard/request-error';
import { allowedHostsFor, checkBasicAuth, checkHost, checkMutation, newToken } from '../../src/dashboard/request-guard';
import { serveDashboard, type DashboardOptions } from '../../src/dashboard/server';
import { ThroughputRing } from '../../src/dashboard/throughput-ring';

function refused(fn: () => unknown, status: number, field: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof DashboardRequestError, String(err));
    assert.equal(err.status, status, err.message);
    assert.equal(err.field, field, err.message);
    return true;
  });
}

test('ids: positive 64-bit decimal strings, canonical; numbers, signs, exponents and 2^63 are refused', () => {
  assert.equal(parseMessageId('9223372036854775807'), '9223372036854775807');
  assert.equal(parseMessageId('007'), '7');
  for (const bad of ['0', '-1', '+1', '1e3', '1.0', ' 1', '', '9223372036854775808', '99999999999999999999', 12, 2n, null, undefined]) {
    refused(() => parseMessageId(bad), 400, 'id');
  }
  assert.deepEqual(parseIdList(['3', '3', '18446744073709551']), ['3', '18446744073709551']);
  refused(() => parseIdList([]), 400, 'ids');
  refused(() => parseIdList('1'), 400, 'ids');
  refused(() => parseIdList(Array.from({ length: 1001 }, (_, i) => String(i + 1))), 400, 'ids');
  refused(() => parseIdList(['1', 2]), 400, 'ids[1]');
});

test('tables: keyspace.table of identifiers, nothing else', () => {
  assert.equal(parseTableKey('commerce.email_job'), 'commerce.email_job');
  assert.equal(parseTableKey('my-ks.t$1'), 'my-ks.t$1');
  assert.equal(parseTableKey('email_job'), 'email_job');
  for (const bad of ['', 'a.b.c', 'ks.`t`', 'ks.t;drop table x', 'ks.', '.t', 'ks.1t', 'ks.t t', 5, null]) refused(() => parseTableKey(bad), 400, 'table');
});

test('durations, flags, page sizes and bodies', () => {
  assert.equal(parseDuration('7d', 'olderThan'), '7d');
  assert.equal(parseDuration('1.5h', 'olderThan'), '1.5h');
  for (const bad of ['7', '7 days', '-1d', 7, '', 'x'.repeat(40)]) refused(() => parseDuration(bad, 'olderThan'), 400, 'olderThan');
  assert.equal(parseBoolean(undefined, 'f', false), false);
  assert.equal(parseBoolean(true, 'f', false), true);
  refused(() => parseBoolean('true', 'f', false), 400, 'f');
  assert.equal(parseLimit(null, 50), 50);
  assert.equal(parseLimit('1000', 50), 1000);
  for (const bad of ['0', '1001', '1e2', '-1', '', '10.5']) refused(() => parseLimit(bad, 50), 400, 'limit');
  assert.deepEqual(parseBody('{"table":"t"}', ['table']), { table: 't' });
  refused(() => parseBody('{"table":"t","x":1}', ['table']), 400, 'x');
  refused(() => parseBody('[1]', ['table']), 400, 'body');
  refused(() => parseBody('null', ['table']), 400, 'body');
  refused(() => parseBody('{', ['table']), 400, 'body');
});

test('Host: the listening address, and the loopback names on a loopback or wildcard address, the listed ones; nothing else', () => {
  const loop = allowedHostsFor('127.0.0.1', 7377);
  checkHost('127.0.0.1:7377', loop);
  checkHost('LOCALHOST:7377', loop);
  checkHost('[::1]:7377', loop);
  for (const bad of [undefined, '127.0.0.1', '127.0.0.1:7378', 'evil.example:7377', 'localhost.evil.example:7377']) refused(() => checkHost(bad, loop), 403, 'host');
  const lan = allowedHostsFor('10.1.2.3', 80, ['dash.internal:443']);
  checkHost('10.1.2.3:80', lan);
  checkHost('dash.internal:443', lan);
  refused(() => checkHost('localhost:80', lan), 403, 'host');
  for (const wildcard of ['0.0.0.0', '::']) {
    const any = allowedHostsFor(wildcard, 80);
    checkHost('localhost:80', any);
    checkHost('127.0.0.1:80', any);
    checkHost('[::1]:80', any);
    for (const bad of ['anything:1', 'evil.example:80', '10.1.2.3:80']) refused(() => checkHost(bad, any), 403, 'host');
  }
  const listed = allowedHostsFor('::', 80, ['dash:80']);
  checkHost('dash:80', listed);
  checkHost('localhost:80', listed);
  refused(() => checkHost('evil:80', listed), 403, 'host');
});

test('basic auth: exact user and password (a colon in the password is fine); anything else is 401', () => {
  const creds = { username: 'ops', password: 'pa:ss' };
  const header = (s: string): string => `Basic ${Buffer.from(s).toString('base64')}`;
  checkBasicAuth(header('ops:pa:ss'), creds);
  checkBasicAuth(header('ops:pa:ss').replace('Basic', 'basic'), creds);
  for (const bad of [undefined, '', 'Basic', header('ops:pa'), header('ops:pa:ss '), header('Ops:pa:ss'), header('opspa:ss'), header('ops'), `Bearer ${header('ops:pa:ss').slice(6)}`]) {
    refused(() => checkBasicAuth(bad, creds), 401, 'authorization');
  }
});

test('a change needs the token, and no other origin', () => {
  const token = newToken();
  assert.match(token, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(newToken(), token);
  const host = '127.0.0.1:7377';
  checkMutation({ host, 'x-dashboard-token': token }, token);
  checkMutation({ host, origin: 'http://127.0.0.1:7377', 'sec-fetch-site': 'same-origin', 'x-dashboard-token': token }, token);
  refused(() => checkMutation({ host }, token), 403, 'x-dashboard-token');
  refused(() => checkMutation({ host, 'x-dashboard-token': token.slice(1) }, token), 403, 'x-dashboard-token');
  refused(() => checkMutation({ host, origin: 'http://evil.example', 'x-dashboard-token': token }, token), 403, 'origin');
  refused(() => checkMutation({ host, origin: 'null', 'x-dashboard-token': token }, token), 403, 'origin');
  refused(() => checkMutation({ host, origin: 'http://127.0.0.1:7378', 'x-dashboard-token': token }, token), 403, 'origin');
  refused(() => checkMutation({ host, origin: 'https://evil.example', 'x-dashboard-token': token }, token), 403, 'origin');
  refused(() => checkMutation({ host, origin: 'not a url', 'x-dashboard-token': token }, token), 403, 'origin');
  refused(() => checkMutation({ host, 'sec-fetch-site': 'cross-site', 'x-dashboard-token': token }, token), 403, 'sec-fetch-site');
  refused(() => checkMutation({ host, 'sec-fetch-site': 'same-site', 'x-dashboard-token': token }, token), 403, 'sec-fetch-site');
  refused(() => checkMutation({ origin: 'http://127.0.0.1:7377', 'x-dashboard-token': token }, token), 403, 'origin');
});

test('behind an HTTPS reverse proxy: the Origin is https:// with the Host the proxy forwards, and passes', () => {
  const token = newToken();
  checkMutation({ host: 'dash.example.com', origin: 'https://dash.example.com', 'sec-fetch-site': 'same-origin', 'x-dashboard-token': token }, token);
  checkMutation({ host: 'Dash.Example.com:8443', origin: 'https://dash.example.com:8443', 'x-dashboard-token': token }, token);
  refused(() => checkMutation({ host: 'dash.example.com', origin: 'https://evil.example.com', 'x-dashboard-token': token }, token), 403, 'origin');
  refused(() => checkMutation({ host: 'dash.example.com', origin: 'https://dash.example.com:8443', 'x-dashboard-token': token }, token), 403, 'origin');
  refused(() => checkMutation({ host: 'dash.example.com', origin: 'ftp://dash.example.com', 'x-dashboard-token': token }, token), 403, 'origin');
});

test('throughput: acks per second between samples, from the acks each sample counted (not the acked count, which purges lower); a fixed number of samples', () => {
  const ring = new ThroughputRing(3);
  assert.deepEqual(ring.points(), []);
  ring.push({ atMs: 1_000, acks: 10, due: 5 });
  ring.push({ atMs: 3_000, acks: 20, due: 4 });
  ring.push({ atMs: 4_000, acks: 0, due: 3 });
  assert.deepEqual(ring.points(), [{ atMs: 3_000, acks: 20, ackedPerSec: 10, due: 4 }, { atMs: 4_000, acks: 0, ackedPerSec: 0, due: 3 }]);
  ring.push({ atMs: 4_500, acks: 5, due: 0 });
  assert.deepEqual(ring.points().map((p) => p.ackedPerSec), [0, 10]);
  ring.push({ atMs: 4_500, acks: 1, due: 0 });
  assert.deepEqual(ring.points().map((p) => [p.acks, p.ackedPerSec]), [[0, 0], [6, 12]], 'a second read in the same millisecond stands for both, with the acks of both');
});

test('the page embeds its data as inert JSON and runs only nonce-marked script and style', () => {
  assert.equal(scriptJson({ a: '</script><!--&\u2028' }), '{"a":"\\u003c/script\\u003e\\u003c!--\\u0026\\u2028"}');
  assert.deepEqual(JSON.parse(scriptJson({ a: '</script><!--&\u2028' })), { a: '</script><!--&\u2028' });
  const html = renderPage({ token: 'tok-en_1', nonce: 'bm9uY2U=', pollIntervalMs: 5000 });
  assert.ok(html.includes('<script type="application/json" id="config">{"token":"tok-en_1","pollIntervalMs":5000}</script>'));
  assert.equal(html.match(/<script nonce="bm9uY2U=">/g)?.length, 1);
  assert.equal(html.match(/<script/g)?.length, 2, 'the config block and the one script');
  assert.ok(!/innerHTML|insertAdjacentHTML|document\.write|eval\(/.test(html), 'the script builds the DOM with textContent only');
  assert.throws(() => renderPage({ token: 't', nonce: '"><script>', pollIntervalMs: 1 }));
});

test('serveDashboard refuses bad options before it listens', async () => {
  const executor: Executor = { query: async () => ({ rows: [], affectedRows: 0 }) };
  const spec = defineMessageTable({ table: 'dash_opts', keyspace: 'commerce', columns: { body: 'json' } });
  const cases: Array<[Partial<DashboardOptions> & Record<string, unknown>, string]> = [
    [{ tables: [spec] }, 'executor'],
    [{ executor, connection: 'mysql://root@127.0.0.1:1/', tables: [spec] }, 'executor'],
    [{ connection: 'postgres://x', tables: [spec] }, 'connection'],
    [{ executor, tables: [] }, 'tables'],
    [{ executor, tables: [spec, spec] }, 'tables'],
    [{ executor, tables: [spec], port: 70000 }, 'port'],
    [{ executor, tables: [spec], port: 1.5 }, 'port'],
    [{ executor, tables: [spec], host: 'a b' }, 'host'],
    [{ executor, tables: [spec], basicAuth: { username: 'a:b', password: 'x' } }, 'basicAuth'],
    [{ executor, tables: [spec], basicAuth: { username: 'a', password: '' } }, 'basicAuth'],
    [{ executor, tables: [spec], pollInterval: '100ms' }, 'pollInterval'],
    [{ executor, tables: [spec], pollInterval: 'soon' as '1s' }, 'pollInterval'],
    [{ executor, tables: [spec], history: 1 }, 'history'],
    [{ executor, tables: [spec], prot: 80 }, 'prot'],
    [{ executor, tables: [spec], host: '0.0.0.0' }, 'host'],
    [{ executor, tables: [spec], host: '::' }, 'host'],
    [{ executor, tables: [spec], host: '10.1.2.3' }, 'host'],
    [{ executor, tables: [spec], host: 'dash.internal', allowedHosts: ['dash.internal:7377'] }, 'host'],
    [{ executor, tables: [spec], host: '0.0.0.0', allowNoAuth: 'yes' as unknown as true }, 'allowNoAuth'],
  ];
  for (const [options, option] of cases) {
    await assert.rejects(serveDashboard(options as DashboardOptions), (err: unknown) => {
      assert.ok(err instanceof InvalidOptionError, String(err));
      assert.equal(err.option, option, err.message);
      return true;
    });
  }
});

test('a port in use is a VitessMessagesError naming it; close() frees the port', async () => {
  const executor: Executor = { query: async () => ({ rows: [], affectedRows: 0 }) };
  const spec = defineMessageTable({ table: 'dash_port', keyspace: 'commerce', columns: { body: 'json' } });
  const first = await serveDashboard({ executor, tables: [spec], port: 0 });
  const port = Number(new URL(first.url).port);
  try {
    await assert.rejects(serveDashboard({ executor, tables: [spec], port }), (err: unknown) => {
      assert.ok(err instanceof VitessMessagesError, String(err));
      assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port} \\(the port is in use`));
      return true;
    });
  } finally {
    await first.close();
  }
  const again = await serveDashboard({ executor, tables: [spec], port });
  await again.close();
});

test('a non-loopback address listens only with basic auth or allowNoAuth; a wildcard one answers the loopback names and allowedHosts, never any Host', async () => {
  const executor: Executor = { query: async () => ({ rows: [], affectedRows: 0 }) };
  const spec = defineMessageTable({ table: 'dash_wild', keyspace: 'commerce', columns: { body: 'json' } });
  const basicAuth = { username: 'ops', password: 'secret' };
  const authorization = `Basic ${Buffer.from('ops:secret').toString('base64')}`;
  for (const options of [{ basicAuth }, { allowNoAuth: true as const }]) {
    const dashboard = await serveDashboard({ executor, tables: [spec], host: '0.0.0.0', port: 0, allowedHosts: ['dash.internal:8080'], ...options });
    try {
      const port = new URL(dashboard.url).port;
      const status = async (host: string): Promise<number> => {
        const { request } = await import('node:http');
        return new Promise((resolve, reject) => {
          const req = request({ host: '127.0.0.1', port, path: '/api/tables', headers: { host, authorization } }, (res) => {
            res.resume();
            resolve(res.statusCode!);
          });
          req.on('error', reject);
          req.end();
        });
      };
      assert.equal(await status(`localhost:${port}`), 200);
      assert.equal(await status('dash.internal:8080'), 200);
      assert.equal(await status(`evil.example:${port}`), 403, 'a rebinding name is refused on a wildcard address');
    } finally {
      await dashboard.close();
    }
  }
  const loopback = await serveDashboard({ executor, tables: [spec], host: '127.0.0.1', port: 0 });
  await loopback.close();
});

test('counts() refuses an ackedAfterNs that is not int64 nanoseconds as a decimal string, before any statement', async () => {
  const executor: Executor = { query: async () => assert.fail('no statement runs') };
  const spec = defineMessageTable({ table: 'dash_since', keyspace: 'commerce', columns: { body: 'json' } });
  for (const bad of [1, 1n, '', '-1', '1.5', '1e9', '9223372036854775808', ' 1']) {
    await assert.rejects(counts(executor, spec, { ackedAfterNs: bad as string }), (err: unknown) => {
      assert.ok(err instanceof InvalidOptionError, String(err));
      assert.equal(err.option, 'ackedAfterNs', err.message);
      return true;
    });
  }
});
