/**
 * One classification of stream errors for both transports: every gRPC status,
 * every MySQL-protocol form of the same status, and errors from no transport.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { StreamError } from '../../src/core/errors';
import { toStreamError } from '../../src/subscriber/grpc/stream-error';
import { mysqlToStreamError } from '../../src/subscriber/mysql/mysql-stream-error';
import { asStreamError, STREAM_STATUS_RETRYABLE } from '../../src/subscriber/stream-status';

// What reopening a stream can cure, status by status (the contract, written out).
const EXPECTED: ReadonlyArray<[name: string, retryable: boolean]> = [
  ['CANCELLED', true], ['UNKNOWN', true], ['INVALID_ARGUMENT', false], ['DEADLINE_EXCEEDED', true],
  ['NOT_FOUND', false], ['ALREADY_EXISTS', false], ['PERMISSION_DENIED', false], ['RESOURCE_EXHAUSTED', true],
  ['FAILED_PRECONDITION', false], ['ABORTED', true], ['OUT_OF_RANGE', false], ['UNIMPLEMENTED', false],
  ['INTERNAL', true], ['UNAVAILABLE', true], ['DATA_LOSS', false], ['UNAUTHENTICATED', false],
];

// vtgate's MySQL-protocol text for a tablet status, as it quotes vttablet's gRPC code.
const RPC_WORD: Record<string, string> = {
  CANCELLED: 'Canceled', UNKNOWN: 'Unknown', INVALID_ARGUMENT: 'InvalidArgument', DEADLINE_EXCEEDED: 'DeadlineExceeded',
  NOT_FOUND: 'NotFound', PERMISSION_DENIED: 'PermissionDenied', RESOURCE_EXHAUSTED: 'ResourceExhausted',
  FAILED_PRECONDITION: 'FailedPrecondition', ABORTED: 'Aborted', UNIMPLEMENTED: 'Unimplemented', INTERNAL: 'Internal',
  UNAVAILABLE: 'Unavailable', UNAUTHENTICATED: 'Unauthenticated',
};

for (const [name, retryable] of EXPECTED) {
  test(`stream status ${name}: ${retryable ? 'retryable' : 'fatal'} over gRPC and over MySQL alike`, () => {
    assert.equal(STREAM_STATUS_RETRYABLE[name], retryable);
    const code = status[name as keyof typeof status] as number;
    const grpc = toStreamError({ code, details: `server said ${name}`, message: '' }, 't');
    assert.ok(grpc instanceof StreamError);
    assert.deepEqual([grpc.code, grpc.retryable, grpc.table], [name, retryable, 't']);
    const word = RPC_WORD[name];
    if (word) {
      const mysql = mysqlToStreamError({ errno: 2013, code: 'ER_UNKNOWN_ERROR', message: `target: ks.-80.primary: vttablet: rpc error: code = ${word} desc = x (errno 2013) (sqlstate HY000)` }, 't');
      assert.deepEqual([mysql.code, mysql.retryable], [name, retryable], `MySQL form of ${name}`);
    }
  });
}

test('stream errors: the MySQL transport’s own forms (VT classes, errno, sockets) use the same table', () => {
  const cases: Array<[err: object, code: string, retryable: boolean]> = [
    [{ errno: 1105, message: 'VT05003: unknown database \'nosuch\' in vschema' }, 'NOT_FOUND', false],
    [{ errno: 1105, message: 'VT09009: stream is supported only for primary tablet type' }, 'FAILED_PRECONDITION', false],
    [{ errno: 1146, message: "table nosuch not found" }, 'NOT_FOUND', false],
    [{ errno: 2013, message: 'Lost connection to MySQL server during query' }, 'UNAVAILABLE', true],
    [{ code: 'ECONNRESET', message: 'read ECONNRESET', fatal: true }, 'UNAVAILABLE', true],
    [{ code: 'PROTOCOL_CONNECTION_LOST', message: 'Connection lost: The server closed the connection.', fatal: true }, 'UNAVAILABLE', true],
  ];
  for (const [err, code, retryable] of cases) {
    const e = mysqlToStreamError(err, 't');
    assert.deepEqual([e.code, e.retryable], [code, retryable], JSON.stringify(err));
  }
});

test('stream errors: an error from no transport is not retried; a socket error is', () => {
  const bug = asStreamError(new TypeError("Cannot read properties of undefined (reading 'rows')"), 't');
  assert.deepEqual([bug.code, bug.retryable, bug.table], ['CLIENT', false, 't']);
  assert.ok(bug.cause instanceof TypeError);
  const socket = asStreamError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }));
  assert.deepEqual([socket.code, socket.retryable], ['UNAVAILABLE', true]);
  const same = toStreamError({ code: 14, details: 'x', message: '' });
  assert.equal(asStreamError(same), same);
  assert.equal(toStreamError({ code: 99, details: 'x', message: '' }).retryable, true, 'an unnamed gRPC code counts as UNKNOWN, as gRPC defines it');
});

test('stream errors: a failed TLS handshake over gRPC is status TLS, not retryable, naming the address; other UNAVAILABLE stays retryable', () => {
  for (const details of [
    'No connection established. Last error: Error: self-signed certificate in certificate chain',
    'No connection established. Last error: Error: unable to verify the first certificate',
    "No connection established. Last error: Error [ERR_TLS_CERT_ALTNAME_INVALID]: Hostname/IP does not match certificate's altnames",
    'No connection established. Last error: Error: Client network socket disconnected before secure TLS connection was established',
  ]) {
    const e = toStreamError({ code: 14, details, message: '' }, 't', '10.0.0.7:15991');
    assert.deepEqual([e.code, e.retryable, e.table], ['TLS', false, 't'], details);
    assert.match(e.message, /TLS handshake with vtgate at 10\.0\.0\.7:15991 failed/);
  }
  const dropped = toStreamError({ code: 14, details: 'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:15991', message: '' }, 't', '127.0.0.1:15991');
  assert.deepEqual([dropped.code, dropped.retryable], ['UNAVAILABLE', true]);
  assert.equal(STREAM_STATUS_RETRYABLE.TLS, false);
});

test('stream errors: a TLS verification failure over the MySQL transport is status TLS, not retried; a socket error still is', () => {
  for (const code of ['SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'ERR_TLS_CERT_ALTNAME_INVALID', 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'HANDSHAKE_SSL_ERROR']) {
    const e = mysqlToStreamError(Object.assign(new Error('tls failed'), { code, fatal: true }), 't');
    assert.deepEqual([e.code, e.retryable], ['TLS', false], code);
  }
  assert.deepEqual([mysqlToStreamError(Object.assign(new Error('x'), { code: 'ECONNRESET', fatal: true })).code], ['UNAVAILABLE']);
});
