/**
 * What becomes of a message whose handler failed: dead letter (an
 * {@link UnrecoverableError}, or the attempt limit reached), the delay a
 * {@link RetryLaterError} asks for, or the retry backoff from its epoch.
 */
import { RetryLaterError, UnrecoverableError } from '../core/errors';
import { clipReason } from '../core/reason';
import { backoffDelayMs, type Backoff } from './backoff';

/** Fail (the reason already cut to fit `failure_reason`), or nack after a delay. */
export type AfterError = { readonly fail: string } | { readonly nackDelayMs: number };

/**
 * @param attempt which delivery failed (`epoch + 1`)
 * @param maxAttempts the attempt limit; 0 = unlimited
 */
export function afterHandlerError(err: unknown, attempt: number, maxAttempts: number, backoff: Backoff): AfterError {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  if (err instanceof UnrecoverableError) return { fail: clipReason(text) };
  if (maxAttempts > 0 && attempt >= maxAttempts) return { fail: clipReason(`attempt ${attempt} of ${maxAttempts} failed: ${text}`) };
  if (err instanceof RetryLaterError) return { nackDelayMs: err.delayMs };
  return { nackDelayMs: backoffDelayMs(attempt - 1, backoff) };
}
