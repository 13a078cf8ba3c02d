/**
 * W3C Trace Context `traceparent` values (https://www.w3.org/TR/trace-context/):
 * formatted from a span context and parsed back, without a propagator, so the
 * optional peer stays `@opentelemetry/api` alone (its global propagator is a
 * no-op unless the application registers one). `tracestate` is not carried.
 */

// The column and its type (TRACEPARENT_COLUMN) are core's, in src/core/spec.ts: core never imports telemetry.

/** The parts of a span context a traceparent carries. */
export interface TraceparentParts {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceFlags: number;
}

const ALL_ZERO = /^0+$/;
const HEX = /^[0-9a-f]+$/;

/** `00-<trace id>-<span id>-<flags>`; `null` for an invalid context (zero or malformed ids). */
export function formatTraceparent(ctx: TraceparentParts): string | null {
  const { traceId, spanId, traceFlags } = ctx;
  if (traceId.length !== 32 || spanId.length !== 16 || !HEX.test(traceId) || !HEX.test(spanId) || ALL_ZERO.test(traceId) || ALL_ZERO.test(spanId)) return null;
  return `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

const VERSION_00 = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
// A later version may append fields after the flags (the spec: parse the first 55 characters).
const LATER_VERSION = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/**
 * The span context of a stored traceparent (marked remote by the caller), or
 * `undefined` for anything else: NULL, a malformed value, version `ff`, or an
 * all-zero id. Never throws: a bad value costs the link, not the message.
 */
export function parseTraceparent(value: unknown): TraceparentParts | undefined {
  if (typeof value !== 'string') return undefined;
  let m = VERSION_00.exec(value);
  let traceId: string, spanId: string, flags: string;
  if (m) [, traceId, spanId, flags] = m as unknown as [string, string, string, string];
  else {
    m = LATER_VERSION.exec(value);
    if (!m || m[1] === '00' || m[1] === 'ff') return undefined;
    [, , traceId, spanId, flags] = m as unknown as [string, string, string, string, string];
  }
  if (ALL_ZERO.test(traceId) || ALL_ZERO.test(spanId)) return undefined;
  return { traceId, spanId, traceFlags: parseInt(flags, 16) };
}
