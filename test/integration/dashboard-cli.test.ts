/**
 * `vitess-messages dashboard` as a user runs it (the built bin, `--url`):
 * it prints where it listens, serves what `counts()` reads for the tables
 * named, refuses a non-loopback address without basic auth, and stops on
 * SIGINT with exit code 0.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { test } from 'node:test';
import { counts } from '../../src/core/queue-admin';
import { statefulTable } from '../helpers/dashboard-fixture';
import { closePool, vitess, waitUntil } from '../helpers/vitess';

const root = join(__dirname, '..', '..', '..');
test.after(() => closePool());

function bin(args: string[], env: Record<string, string> = {}): { child: ChildProcessWithoutNullStreams; out: () => string; err: () => string } {
  const { VTGATE_MYSQL_URL: _u, ...rest } = process.env;
  const child = spawn(process.execPath, [join(root, 'build/src/migration/cli.js'), ...args], { cwd: root, env: { ...rest, ...env } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return { child, out: () => out, err: () => err };
}

test('dashboard: serves the named table on the port it prints, with basic auth from the environment; SIGINT stops it', async (t) => {
  const s = await statefulTable('dash_cli');
  t.after(() => s.tt.drop());
  const run = bin(['dashboard', '--url', vitess.mysqlUrl, s.key, '--port', '0', '--poll', '1'], { VITESS_MESSAGES_DASHBOARD_AUTH: 'ops:cli-secret' });
  t.after(() => { if (run.child.exitCode === null) run.child.kill('SIGKILL'); });
  const url = (await waitUntil(() => /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(run.out())?.[1] ?? (run.child.exitCode !== null ? `exit ${run.child.exitCode}: ${run.err()}` : undefined), 60_000, 'the dashboard URL'));
  assert.match(url, /^http:/, url);
  assert.equal((await fetch(new URL('/api/tables', url))).status, 401, 'basic auth from the environment');
  const res = await fetch(new URL('/api/tables', url), { headers: { authorization: `Basic ${Buffer.from('ops:cli-secret').toString('base64')}` } });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { tables: Array<{ key: string; counts: Record<string, number> & { shards?: object } }> };
  assert.deepEqual(body.tables.map((r) => r.key), [s.key]);
  const expected = await counts(s.x, s.tt.spec);
  const [row] = body.tables;
  assert.deepEqual([row!.counts.due, row!.counts.scheduled, row!.counts.inFlight, row!.counts.failed, row!.counts.acked], [expected.due, expected.scheduled, expected.inFlight, expected.failed, expected.acked]);
  assert.ok(row!.counts.shards, 'per-shard counts, as stats shows them');
  run.child.kill('SIGINT');
  const [code] = (await once(run.child, 'exit')) as [number | null];
  assert.equal(code, 0, run.err());
});

test('dashboard: a non-loopback address without basic auth is refused', async () => {
  const run = bin(['dashboard', '--url', vitess.mysqlUrl, '--keyspace', vitess.unsharded, '--host', '0.0.0.0', '--port', '0']);
  const [code] = (await once(run.child, 'exit')) as [number | null];
  assert.notEqual(code, 0);
  assert.match(run.err(), /host.*--basic-auth.*--allow-no-auth/, run.err());
});
