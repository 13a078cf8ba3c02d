/**
 * The OpenTelemetry SDK set up in-process for tests: a global tracer provider
 * exporting to memory, an async-hooks context manager (so `startActiveSpan`
 * really makes a span active across awaits), and a meter provider whose
 * reader is collected on demand.
 */
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MeterProvider, MetricReader, type DataPoint, type Histogram } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';

/** A reader that exports nothing by itself: the test calls `collect()`. */
class OnDemandReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export interface OtelHarness {
  readonly spans: InMemorySpanExporter;
  /** Finished spans whose `messaging.destination.name` is `destination`. */
  spansOf(destination: string): ReadableSpan[];
  /** Sum of a counter's data points (or a histogram's counts) whose destination is `destination`, by extra attributes. */
  metric(name: string, destination: string, where?: Record<string, unknown>): Promise<number | undefined>;
  /** A histogram's data points of `destination`, merged: count, min and max. */
  histogram(name: string, destination: string): Promise<{ count: number; min: number; max: number } | undefined>;
  shutdown(): Promise<void>;
}

export function registerOtel(): OtelHarness {
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(tracerProvider);
  const reader = new OnDemandReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  metrics.setGlobalMeterProvider(meterProvider);
  return {
    spans,
    spansOf: (destination) => spans.getFinishedSpans().filter((s) => s.attributes['messaging.destination.name'] === destination),
    async metric(name, destination, where = {}) {
      const { resourceMetrics } = await reader.collect();
      let total: number | undefined;
      for (const scope of resourceMetrics.scopeMetrics) {
        for (const m of scope.metrics) {
          if (m.descriptor.name !== name) continue;
          for (const p of m.dataPoints as Array<DataPoint<number | Histogram>>) {
            if (p.attributes['messaging.destination.name'] !== destination) continue;
            if (Object.entries(where).some(([k, v]) => p.attributes[k] !== v)) continue;
            total = (total ?? 0) + (typeof p.value === 'number' ? p.value : p.value.count);
          }
        }
      }
      return total;
    },
    async histogram(name, destination) {
      const { resourceMetrics } = await reader.collect();
      let out: { count: number; min: number; max: number } | undefined;
      for (const m of resourceMetrics.scopeMetrics.flatMap((s) => s.metrics)) {
        if (m.descriptor.name !== name) continue;
        for (const p of m.dataPoints as Array<DataPoint<Histogram>>) {
          if (p.attributes['messaging.destination.name'] !== destination) continue;
          out = { count: (out?.count ?? 0) + p.value.count, min: Math.min(out?.min ?? Infinity, p.value.min!), max: Math.max(out?.max ?? -Infinity, p.value.max!) };
        }
      }
      return out;
    },
    async shutdown() {
      await meterProvider.shutdown();
      await tracerProvider.shutdown();
      metrics.disable();
      trace.disable();
      context.disable();
    },
  };
}
