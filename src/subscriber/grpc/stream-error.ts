import { status, type ServiceError } from '@grpc/grpc-js';
import { StreamError } from '../../core/errors';

// Statuses that reopening the stream can cure: vtgate or a tablet restarting, a
// dropped connection, a deadline. Everything else (NOT_FOUND table or keyspace,
// FAILED_PRECONDITION "not a message table" / non-primary target, bad arguments,
// auth) is a mistake in the request: retrying would loop forever.
const RETRYABLE = new Set<number>([
  status.UNAVAILABLE,
  status.DEADLINE_EXCEEDED,
  status.ABORTED,
  status.RESOURCE_EXHAUSTED,
  status.INTERNAL,
  status.UNKNOWN,
]);

/** The one place where a gRPC error becomes a {@link StreamError}. */
export function toStreamError(err: unknown, table?: string): StreamError {
  if (err instanceof StreamError) return err;
  const e = err as Partial<ServiceError>;
  if (typeof e?.code === 'number') {
    const code = status[e.code] ?? String(e.code);
    return new StreamError(`vtgate stream${table ? ` of ${table}` : ''} failed: ${code}: ${e.details ?? e.message}`, code, RETRYABLE.has(e.code), table, { cause: err });
  }
  return new StreamError(`vtgate stream${table ? ` of ${table}` : ''} failed: ${(err as Error)?.message ?? String(err)}`, 'UNKNOWN', true, table, { cause: err });
}
