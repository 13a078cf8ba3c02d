/**
 * Serial phase (it restarts the local vtcombo with TLS, then without): gRPC
 * and MySQL connections to a vtgate serving TLS with a certificate of a CA
 * made here. The right CA works; a wrong one fails closed: over gRPC a
 * `StreamError` with status `TLS` naming the address after a few tries at
 * most (never an endless UNAVAILABLE retry), over MySQL a refused connection
 * (never a plaintext fallback).
 */
import * as grpc from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as mysql from 'mysql2/promise';
import { StreamError } from '../../src/core/errors';
import { VtgateMysqlTransport } from '../../src/subscriber/mysql/vtgate-mysql-transport';
import { subscribe } from '../../src/subscriber/subscriber';
import { insertMessages, poolExecutor, specTables } from '../helpers/subscriber-fixtures';
import { vitess, waitUntil } from '../helpers/vitess';

const script = join(__dirname, '..', '..', '..', 'scripts', 'vitess.sh');
const { table } = specTables();
const dir = mkdtempSync(join(tmpdir(), 'vm-tls-'));

/** Restarts vtcombo with `flags` (VTCOMBO_EXTRA_FLAGS) and waits until vtgate serves again. */
async function restartVtcombo(flags: string): Promise<void> {
  const code = await new Promise<number>((resolve) => {
    const p = spawn('bash', [script, 'restart-vtcombo'], { stdio: 'inherit', env: { ...process.env, VTCOMBO_EXTRA_FLAGS: flags } });
    p.on('exit', (c) => resolve(c ?? 1));
  });
  assert.equal(code, 0, 'vtcombo restarted');
  const wait = spawnSync(process.execPath, [join(script, '..', 'wait-vtgate.mjs')], { encoding: 'utf8', env: process.env });
  assert.equal(wait.status, 0, wait.stderr);
}

/** A CA and a server certificate for 127.0.0.1 signed by it (`name.key`, `name.crt`). */
function makeCa(name: string): void {
  const o = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  o('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name} test CA`, '-keyout', `${name}-ca.key`, '-out', `${name}-ca.crt`);
  o('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', `${name}.key`, '-out', `${name}.csr`);
  writeFileSync(join(dir, `${name}.ext`), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  o('x509', '-req', '-in', `${name}.csr`, '-CA', `${name}-ca.crt`, '-CAkey', `${name}-ca.key`, '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.crt`);
  // A client certificate too: with --mysql-server-ssl-ca vtgate asks for one.
  o('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=client', '-keyout', `${name}-client.key`, '-out', `${name}-client.csr`);
  o('x509', '-req', '-in', `${name}-client.csr`, '-CA', `${name}-ca.crt`, '-CAkey', `${name}-ca.key`, '-CAcreateserial', '-days', '2', '-out', `${name}-client.crt`);
}

before(async () => {
  makeCa('good');
  makeCa('wrong');
  // vtcombo runs as an unprivileged user: it must read the server's key.
  chmodSync(dir, 0o755);
  for (const f of ['good.crt', 'good.key', 'good-ca.crt']) chmodSync(join(dir, f), 0o644);
  const f = (n: string) => join(dir, n);
  await restartVtcombo(`--grpc-cert ${f('good.crt')} --grpc-key ${f('good.key')} --mysql-server-ssl-cert ${f('good.crt')} --mysql-server-ssl-key ${f('good.key')} --mysql-server-ssl-ca ${f('good-ca.crt')}`);
});

after(async () => {
  await restartVtcombo('');
  rmSync(dir, { recursive: true, force: true });
});

const ca = (name: string) => readFileSync(join(dir, `${name}-ca.crt`));
/** mysql2 TLS options: the server verified against `caName`'s CA, our client certificate from the right CA. */
const mysqlTls = (caName: string) => ({ ca: ca(caName), cert: readFileSync(join(dir, 'good-client.crt')), key: readFileSync(join(dir, 'good-client.key')) });

test('TLS gRPC: with the CA the stream delivers; with a wrong CA the subscriber ends with a TLS StreamError naming the address', async () => {
  const { spec, qualified } = await table('tls', { ackWaitS: 5 });
  const [id] = await insertMessages(qualified, 1, 1);
  const handled: string[] = [];
  const good = subscribe(spec, (_m, ctx) => void handled.push(String(ctx.id)), {
    executor: poolExecutor(), address: vitess.grpcAddr, grpc: { credentials: grpc.credentials.createSsl(ca('good')) },
  });
  try {
    await waitUntil(() => handled.includes(id!), 30_000, 'the message over TLS');
  } finally {
    await good.close({ timeout: 5_000 });
  }

  const bad = subscribe(spec, () => undefined, {
    executor: poolExecutor(), address: vitess.grpcAddr, grpc: { credentials: grpc.credentials.createSsl(ca('wrong')) },
  });
  const err = await bad.wait().then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof StreamError, `a StreamError (got ${String(err)})`);
  assert.equal(err.code, 'TLS');
  assert.equal(err.retryable, false);
  assert.ok(err.message.includes(vitess.grpcAddr), err.message);
  assert.ok(bad.stats().reconnects <= 3, `failed within a few tries (${bad.stats().reconnects} reconnects)`);
});

test('TLS MySQL: with the CA the connection works (mysql2 refuses a server without TLS); with a wrong CA it is refused, never plaintext', async () => {
  const uri = vitess.mysqlUrl;
  const good = await mysql.createConnection({ uri, ssl: mysqlTls('good') });
  try {
    const [rows] = await good.query('select 1 as one');
    assert.equal(Number((rows as Array<{ one: unknown }>)[0]!.one), 1);
  } finally {
    await good.end();
  }
  await assert.rejects(mysql.createConnection({ uri, ssl: mysqlTls('wrong'), connectTimeout: 5_000 }), (e: Error & { code?: string }) => {
    assert.match(`${e.code} ${e.message}`, /CERT|certificate|self[- ]signed/i);
    return true;
  });
});

test('TLS MySQL transport: a wrong CA ends the subscriber with a TLS StreamError within a few tries', async () => {
  const { spec } = await table('tls_mysql', { ackWaitS: 5 });
  const transport = new VtgateMysqlTransport({ connection: { uri: vitess.mysqlUrl, ssl: mysqlTls('wrong') } });
  try {
    const bad = subscribe(spec, () => undefined, { executor: poolExecutor(), transport });
    const err = await bad.wait().then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof StreamError, `a StreamError (got ${String(err)})`);
    assert.deepEqual([err.code, err.retryable], ['TLS', false]);
    assert.ok(err.message.includes(new URL(vitess.mysqlUrl).host), err.message);
    assert.ok(bad.stats().reconnects <= 3, `failed within a few tries (${bad.stats().reconnects} reconnects)`);
  } finally {
    transport.close();
  }
});
