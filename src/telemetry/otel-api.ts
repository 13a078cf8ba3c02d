/**
 * The one place `@opentelemetry/api` is loaded. It is an optional peer: a
 * user without it gets no spans and no metrics, and nothing else changes.
 * Loaded with `require` on first use (the build is CommonJS; the ESM entries
 * re-export it), never at import time, and only once.
 */
import type * as OtelApi from '@opentelemetry/api';

/** The parts of `@opentelemetry/api` the library uses. */
export type OtelApiModule = typeof OtelApi;

/** How a module is required: `require` itself, or a stand-in in tests. */
export type RequireLike = (id: string) => unknown;

/**
 * `@opentelemetry/api` through `load`, or `undefined` when it cannot be
 * required (not installed) or is not the api (no `trace`, `metrics` and
 * `context`). Exported for the unit test of the fallback.
 */
export function loadOtelApi(load: RequireLike): OtelApiModule | undefined {
  try {
    const api = load('@opentelemetry/api') as Partial<OtelApiModule> | undefined;
    return api && typeof api === 'object' && api.trace && api.metrics && api.context ? (api as OtelApiModule) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Where `@opentelemetry/api` 1.x keeps everything registered globally
 * (providers, context manager, propagator, diag logger). Absent: nothing is
 * registered, so there is no tracer, meter or active context to ask for —
 * the hooks' fast path (the api's own getters cost ≈ 0.3 µs each here).
 */
const API_GLOBAL = Symbol.for('opentelemetry.js.api.1');

/** True when nothing at all is registered with the api (or it is not installed): telemetry is off. */
export function nothingRegistered(): boolean {
  return (globalThis as Record<symbol, unknown>)[API_GLOBAL] === undefined;
}

let cached: OtelApiModule | null | undefined;

/** The api, loaded once; `undefined` without it. */
export function otelApi(): OtelApiModule | undefined {
  if (cached === undefined) cached = loadOtelApi(require) ?? null;
  return cached ?? undefined;
}
