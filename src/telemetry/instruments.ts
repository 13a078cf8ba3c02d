/**
 * The library's tracer and metric instruments, made only while the
 * application has registered a provider: without one (or without
 * `@opentelemetry/api`) these return `undefined` and the hooks do nothing —
 * no span objects, no attribute objects. The check is a global lookup and an
 * identity comparison, so a provider registered after the library loaded is
 * picked up, and one replaced gets fresh instruments.
 */
import type { Counter, Histogram, Meter, ObservableResult, Attributes, Tracer } from '@opentelemetry/api';
import { nothingRegistered, otelApi, type OtelApiModule } from './otel-api';

/** Instrumentation scope name of every span and metric. */
export const SCOPE = 'vitess-messages';

/** The metric instruments (names and units: docs/opentelemetry.md). */
export interface Instruments {
  /** `messaging.client.sent.messages`: messages enqueued (semconv). */
  readonly sent: Counter;
  /** `messaging.client.operation.duration`: an enqueue call's INSERTs, in seconds (semconv). */
  readonly sendDuration: Histogram;
  /** `messaging.client.consumed.messages`: messages delivered to a subscriber (semconv). */
  readonly consumed: Counter;
  /** `messaging.process.duration`: handler run time in seconds (semconv). */
  readonly processDuration: Histogram;
  /** `vitess_messages.acked` / `nacked` / `failed`: settlements written (no semconv name). */
  readonly acked: Counter;
  readonly nacked: Counter;
  readonly failed: Counter;
  /** `vitess_messages.duplicates`: deliveries of an id the subscriber had already started. */
  readonly duplicates: Counter;
  /** `vitess_messages.lag`: handler start − when the message became due, in seconds (tables with `traceContext`). */
  readonly lag: Histogram;
}

/** A subscriber's contribution to the `vitess_messages.in_flight` gauge. */
export interface InFlightSource {
  readonly attributes: Attributes;
  held(): number;
}

/**
 * Live subscribers by their attributes, observed by the in-flight gauge's
 * callback. A table whose last subscriber closed stays, observed as 0: a
 * cumulative reader would otherwise keep reporting its last value.
 */
const inFlightSources = new Map<string, { readonly attributes: Attributes; readonly sources: Set<InFlightSource> }>();

/** Keyed by destination: two specs of one table are one attribute set, observed once. */
const keyOf = (source: InFlightSource) => String(source.attributes['messaging.destination.name']);

export function addInFlightSource(source: InFlightSource): void {
  let entry = inFlightSources.get(keyOf(source));
  if (!entry) inFlightSources.set(keyOf(source), (entry = { attributes: source.attributes, sources: new Set() }));
  entry.sources.add(source);
}

export function removeInFlightSource(source: InFlightSource): void {
  inFlightSources.get(keyOf(source))?.sources.delete(source);
}

let tracerProvider: unknown;
let tracing: { readonly api: OtelApiModule; readonly tracer: Tracer } | undefined;
let noopTracerProvider: unknown;

/** The api and the library's tracer while a tracer provider is registered; otherwise `undefined`. */
export function activeTracer(): { readonly api: OtelApiModule; readonly tracer: Tracer } | undefined {
  if (nothingRegistered()) return undefined;
  const api = otelApi();
  if (!api) return undefined;
  let provider: unknown = api.trace.getTracerProvider();
  if (provider instanceof api.ProxyTracerProvider) provider = provider.getDelegate();
  // An empty proxy's delegate is the api's no-op provider.
  noopTracerProvider ??= new api.ProxyTracerProvider().getDelegate();
  if (provider === noopTracerProvider) return undefined;
  if (provider !== tracerProvider) {
    tracerProvider = provider;
    tracing = { api, tracer: (provider as { getTracer(name: string): Tracer }).getTracer(SCOPE) };
  }
  return tracing;
}

let meterProvider: unknown;
let instruments: Instruments | undefined;
let noopMeterClass: unknown;

/** The instruments while a meter provider is registered; otherwise `undefined`. */
export function activeInstruments(): Instruments | undefined {
  if (nothingRegistered()) return undefined;
  const api = otelApi();
  if (!api) return undefined;
  const provider = api.metrics.getMeterProvider();
  if (provider === meterProvider) return instruments;
  meterProvider = provider;
  const meter = provider.getMeter(SCOPE);
  noopMeterClass ??= api.createNoopMeter().constructor;
  instruments = meter.constructor === noopMeterClass ? undefined : createInstruments(meter);
  return instruments;
}

function createInstruments(meter: Meter): Instruments {
  const messages = (name: string, description: string) => meter.createCounter(name, { unit: '{message}', description });
  const inFlight = meter.createObservableUpDownCounter('vitess_messages.in_flight', {
    unit: '{message}',
    description: 'Messages a subscriber holds unsettled (queued, running, or settling)',
  });
  inFlight.addCallback((result: ObservableResult) => {
    for (const { attributes, sources } of inFlightSources.values()) {
      let held = 0;
      for (const s of sources) held += s.held();
      result.observe(held, attributes);
    }
  });
  return {
    sent: messages('messaging.client.sent.messages', 'Messages enqueued (written by an INSERT that succeeded)'),
    sendDuration: meter.createHistogram('messaging.client.operation.duration', { unit: 's', description: 'Duration of an enqueue call (its INSERTs)' }),
    consumed: messages('messaging.client.consumed.messages', 'Messages delivered to a subscriber by the stream'),
    processDuration: meter.createHistogram('messaging.process.duration', { unit: 's', description: 'Duration of a handler run' }),
    acked: messages('vitess_messages.acked', 'Messages acked by a subscriber'),
    nacked: messages('vitess_messages.nacked', 'Messages nacked by a subscriber (due again later)'),
    failed: messages('vitess_messages.failed', 'Messages failed (dead-lettered) by a subscriber'),
    duplicates: messages('vitess_messages.duplicates', 'Deliveries of a message the subscriber had already started'),
    lag: meter.createHistogram('vitess_messages.lag', { unit: 's', description: 'Time from when a message became due to when its handler started' }),
  };
}
