/**
 * One classification of stream failures for every transport: each transport
 * names a failure with a status of gRPC's vocabulary, and this table alone says
 * whether reopening the stream can cure it.
 */
import { StreamError } from '../core/errors';

/**
 * Status name → retryable. Retryable: vtgate, a tablet or mysqld restarting, a
 * dropped or cancelled connection (the subscriber's own cancel never reaches
 * here: the transports end quietly on it), a deadline, a transient server
 * error. Not retryable: a mistake in the request that a new stream repeats (an
 * unknown table or keyspace, not a message table, a non-primary target, bad
 * credentials, `TLS`: a server certificate that does not verify), and `CLIENT`: an error that came from no transport at all (a
 * bug in a transport wrapper or a hydrator), which retrying would only repeat.
 */
export const STREAM_STATUS_RETRYABLE: Readonly<Record<string, boolean>> = Object.freeze({
  CANCELLED: true,
  UNKNOWN: true,
  DEADLINE_EXCEEDED: true,
  RESOURCE_EXHAUSTED: true,
  ABORTED: true,
  INTERNAL: true,
  UNAVAILABLE: true,
  INVALID_ARGUMENT: false,
  NOT_FOUND: false,
  ALREADY_EXISTS: false,
  PERMISSION_DENIED: false,
  FAILED_PRECONDITION: false,
  OUT_OF_RANGE: false,
  UNIMPLEMENTED: false,
  DATA_LOSS: false,
  UNAUTHENTICATED: false,
  TLS: false,
  CLIENT: false,
});

/** A {@link StreamError} for `status`, retryable as {@link STREAM_STATUS_RETRYABLE} says (an unknown status is not). */
export function streamError(status: string, detail: string, table: string | undefined, cause: unknown): StreamError {
  return new StreamError(`vtgate stream${table ? ` of ${table}` : ''} failed: ${status}: ${detail}`, status, STREAM_STATUS_RETRYABLE[status] ?? false, table, { cause });
}

/**
 * Any error that ended a stream, as a {@link StreamError}: a StreamError as it
 * is; a Node socket error (`ECONNRESET`, `ECONNREFUSED`, …) as `UNAVAILABLE`;
 * anything else as `CLIENT` (not retryable).
 */
export function asStreamError(err: unknown, table?: string): StreamError {
  if (err instanceof StreamError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  return streamError(typeof code === 'string' && /^E[A-Z]+$/.test(code) ? 'UNAVAILABLE' : 'CLIENT', message, table, err);
}
