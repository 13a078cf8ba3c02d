import { status, type ServiceError } from '@grpc/grpc-js';
import type { StreamError } from '../../core/errors';
import { asStreamError, streamError } from '../stream-status';

/** The one place where a gRPC error becomes a {@link StreamError} (retryable per `STREAM_STATUS_RETRYABLE`). */
export function toStreamError(err: unknown, table?: string): StreamError {
  const e = err as Partial<ServiceError> | null;
  if (typeof e?.code === 'number') return streamError(status[e.code] ?? 'UNKNOWN', e.details ?? e.message ?? '', table, err);
  return asStreamError(err, table);
}
