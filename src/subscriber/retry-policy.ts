/**
 * What becomes of a message whose handler failed: dead letter (an
 * {@link UnrecoverableError}, or the attempt limit reached), the delay a
 * {@link RetryLaterError} asks for, or the retry backoff from its epoch.
 */
import { RetryLaterError, UnrecoverableError } from '../core/errors';
import { backoffDelayMs, type Backoff } from './backoff';

export type AfterError = { readonly fail: string } | { readonly nackDelayMs: number };

/**
 * @param attempt which delivery failed (`epoch + 1`)
 * @param maxAttempts the attempt limit; 0 = unlimited
 */
export function afterHandlerError(err: unknown, attempt: number, maxAttempts: number, backoff: Backoff): AfterError {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  if (err instanceof UnrecoverableError) return { fail: text };
  if (maxAttempts > 0 && attempt >= maxAttempts) return { fail: `attempt ${attempt} of ${maxAttempts} failed: ${text}`.slice(0, 60_000) };
  if (err instanceof RetryLaterError) return { nackDelayMs: err.delayMs };
  return { nackDelayMs: backoffDelayMs(attempt - 1, backoff) };
}
