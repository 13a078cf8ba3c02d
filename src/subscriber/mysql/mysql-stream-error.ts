import { StreamError } from '../../core/errors';
import { streamError } from '../stream-status';

// Over the MySQL protocol vtgate reports failures as MySQL errors. Map them to the
// same status names the gRPC transport uses, so the subscriber treats both alike.
const BY_ERRNO: Record<number, string> = {
  1049: 'NOT_FOUND', // unknown keyspace (VT05003)
  1109: 'NOT_FOUND', // unknown table
  1146: 'NOT_FOUND',
  1045: 'UNAUTHENTICATED',
  1044: 'PERMISSION_DENIED',
  1142: 'PERMISSION_DENIED',
  1064: 'INVALID_ARGUMENT',
  1317: 'ABORTED', // query interrupted
  2013: 'UNAVAILABLE',
};
// Vitess error ids carry their class: VT05xxx not found, VT09xxx failed precondition, …
const BY_VT_CLASS: Record<string, string> = {
  '03': 'INVALID_ARGUMENT',
  '05': 'NOT_FOUND',
  '07': 'PERMISSION_DENIED',
  '09': 'FAILED_PRECONDITION',
  '10': 'ABORTED',
  '12': 'UNIMPLEMENTED',
  '13': 'INTERNAL',
  '14': 'UNAVAILABLE',
};
// vttablet's own status, quoted inside vtgate's message: "rpc error: code = FailedPrecondition desc = …".
const BY_RPC_CODE: Record<string, string> = {
  NotFound: 'NOT_FOUND',
  FailedPrecondition: 'FAILED_PRECONDITION',
  InvalidArgument: 'INVALID_ARGUMENT',
  PermissionDenied: 'PERMISSION_DENIED',
  Unauthenticated: 'UNAUTHENTICATED',
  Unimplemented: 'UNIMPLEMENTED',
  Unavailable: 'UNAVAILABLE',
  Aborted: 'ABORTED',
  DeadlineExceeded: 'DEADLINE_EXCEEDED',
  ResourceExhausted: 'RESOURCE_EXHAUSTED',
  Internal: 'INTERNAL',
  Unknown: 'UNKNOWN',
  Canceled: 'CANCELLED', // e.g. mysqld died under vtgate (errno 2013 with "code = Canceled")
};

const TLS_CODE = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/;

interface MysqlErrorLike {
  message?: string;
  code?: string;
  errno?: number;
  fatal?: boolean;
}

/** The status name (gRPC's vocabulary) for a mysql2 error from a vtgate stream. */
export function mysqlErrorStatus(err: MysqlErrorLike): string {
  const message = err.message ?? '';
  const vt = /\bVT(\d\d)\d{3}\b/.exec(message);
  if (vt && BY_VT_CLASS[vt[1]!]) return BY_VT_CLASS[vt[1]!]!;
  const rpc = /code = (\w+)/.exec(message);
  if (rpc && BY_RPC_CODE[rpc[1]!]) return BY_RPC_CODE[rpc[1]!]!;
  if (err.errno !== undefined && BY_ERRNO[err.errno]) return BY_ERRNO[err.errno]!;
  // Node's TLS verification codes (SELF_SIGNED_CERT_IN_CHAIN, ERR_TLS_CERT_ALTNAME_INVALID, …)
  // and OpenSSL alerts: a certificate that does not verify; retrying cannot help.
  if (err.errno === undefined && TLS_CODE.test(err.code ?? '')) return 'TLS';
  // No errno: a socket-level failure (ECONNRESET, ECONNREFUSED, PROTOCOL_CONNECTION_LOST, …).
  if (err.fatal || err.errno === undefined || /^E[A-Z]+$|^PROTOCOL_/.test(err.code ?? '')) return 'UNAVAILABLE';
  return 'UNKNOWN';
}

/**
 * The one place where a MySQL-protocol stream error becomes a {@link StreamError}.
 * A certificate that does not verify is status `TLS` (not retried), its message naming `address`.
 */
export function mysqlToStreamError(err: unknown, table?: string, address?: string): StreamError {
  if (err instanceof StreamError) return err;
  const e = (err ?? {}) as MysqlErrorLike;
  const status = mysqlErrorStatus(e);
  const detail = e.message ?? String(err);
  if (status === 'TLS') {
    return streamError(status, `TLS handshake with vtgate${address ? ` at ${address}` : ''} failed (check the CA, the server certificate and its host name): ${e.code}: ${detail}`, table, err);
  }
  return streamError(status, detail, table, err);
}
