import { status, type ServiceError } from '@grpc/grpc-js';
import type { StreamError } from '../../core/errors';
import { asStreamError, streamError } from '../stream-status';

/**
 * What grpc-js says (in an UNAVAILABLE status's details) when the TLS
 * handshake failed: the server's certificate did not verify against the CA
 * given, names another host, or the server spoke no TLS. Retrying cannot fix a
 * wrong certificate, so these fail closed at once.
 */
const TLS_FAILURE = /certificate|CERT_|self[- ]signed|SSL routines|TLS|handshake|wrong version number|altnames/i;

/**
 * The one place where a gRPC error becomes a {@link StreamError} (retryable per
 * `STREAM_STATUS_RETRYABLE`). A failed TLS handshake is status `TLS`, not
 * retryable, its message naming `address`: a wrong certificate never turns
 * into an endless UNAVAILABLE retry (and never into plaintext).
 */
export function toStreamError(err: unknown, table?: string, address?: string): StreamError {
  const e = err as Partial<ServiceError> | null;
  if (typeof e?.code === 'number') {
    const details = e.details ?? e.message ?? '';
    if (e.code === status.UNAVAILABLE && TLS_FAILURE.test(details)) {
      return streamError('TLS', `TLS handshake with vtgate${address ? ` at ${address}` : ''} failed (check the CA, the server certificate and its host name): ${details}`, table, err);
    }
    return streamError(status[e.code] ?? 'UNKNOWN', details, table, err);
  }
  return asStreamError(err, table);
}
