/**
 * A subscriber's hooks: a `process` span (kind CONSUMER) per handler run,
 * linked to the producer's `send` span through the row's `traceparent`, the
 * `messaging.process.duration` histogram, and the consumed / acked / nacked /
 * failed / duplicates counters and the in-flight gauge. Each hook first asks
 * whether a provider is registered and does nothing otherwise.
 */
import type { Link } from '@opentelemetry/api';
import type { StreamField } from '../core/decode';
import type { MessageTableSpec } from '../core/spec';
import { destinationName, errorType, operationAttributes, processAttributes, tableAttributes } from './attributes';
import { activeInstruments, activeTracer, addInFlightSource, removeInFlightSource, type InFlightSource } from './instruments';
import { parseTraceparent, TRACEPARENT_COLUMN } from './traceparent';

/** What a `process` span needs of a delivery. */
export interface ProcessedMessage {
  readonly idText: string;
  readonly attempt: number;
  /** The row's traceparent (tables with `traceContext: true`), if it held a valid one. */
  readonly traceparent?: string | undefined;
}

export type SettledHow = 'acked' | 'nacked' | 'failed';

export class SubscriberTelemetry {
  readonly #spec: MessageTableSpec;
  readonly #source: InFlightSource;
  #fields: readonly StreamField[] | undefined;
  #visible: readonly StreamField[] = [];

  constructor(spec: MessageTableSpec, held: () => number) {
    this.#spec = spec;
    this.#source = { attributes: tableAttributes(spec), held };
    addInFlightSource(this.#source);
  }

  /**
   * Takes the `traceparent` cell out of a decoded row (so the handler's
   * message does not carry it) and returns it; `undefined` on a table without
   * the column.
   */
  takeTraceparent(row: Record<string, unknown>): string | undefined {
    if (!this.#spec.traceContext || !(TRACEPARENT_COLUMN in row)) return undefined;
    const value = row[TRACEPARENT_COLUMN];
    delete row[TRACEPARENT_COLUMN];
    return typeof value === 'string' ? value : undefined;
  }

  /** The stream's fields without `traceparent`, for the hydrator (the same array while `fields` is). */
  visibleFields(fields: readonly StreamField[]): readonly StreamField[] {
    if (!this.#spec.traceContext) return fields;
    if (fields !== this.#fields) {
      this.#fields = fields;
      this.#visible = fields.filter((f) => f.name !== TRACEPARENT_COLUMN);
    }
    return this.#visible;
  }

  /** A message came off the stream. */
  consumed(): void {
    activeInstruments()?.consumed.add(1, operationAttributes(this.#spec, 'receive'));
  }

  /** `count` messages were acked, nacked or failed (the statement changed their rows). */
  settled(how: SettledHow, count = 1): void {
    if (count > 0) activeInstruments()?.[how].add(count, tableAttributes(this.#spec));
  }

  /** A delivery of an id the subscriber had already started. */
  duplicate(): void {
    activeInstruments()?.duplicates.add(1, tableAttributes(this.#spec));
  }

  /**
   * Runs `handler` inside a `process` span (the active span while it runs, so
   * its own spans are children) linked to the producer's context, and records
   * its duration. Without a provider it only calls `handler`.
   */
  process<R>(message: ProcessedMessage, handler: () => R | Promise<R>): R | Promise<R> {
    const tracing = activeTracer();
    const instruments = activeInstruments();
    if (!tracing && !instruments) return handler();
    const started = performance.now();
    let span: ReturnType<NonNullable<typeof tracing>['tracer']['startSpan']> | undefined;
    let run = handler;
    if (tracing) {
      const { api, tracer } = tracing;
      const producer = parseTraceparent(message.traceparent);
      const links: Link[] = producer ? [{ context: { ...producer, isRemote: true } }] : [];
      span = tracer.startSpan(`process ${destinationName(this.#spec)}`, {
        kind: api.SpanKind.CONSUMER,
        attributes: processAttributes(this.#spec, message.idText, message.attempt),
        links,
      });
      const ctx = api.trace.setSpan(api.context.active(), span);
      run = () => api.context.with(ctx, handler);
    }
    const finish = (error?: unknown) => {
      const type = error === undefined ? undefined : errorType(error);
      if (span) {
        if (type !== undefined) {
          span.recordException(error instanceof Error ? error : String(error));
          span.setStatus({ code: tracing!.api.SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
          span.setAttribute('error.type', type);
        }
        span.end();
      }
      instruments?.processDuration.record((performance.now() - started) / 1000, operationAttributes(this.#spec, 'process', type));
    };
    return (async () => {
      try {
        const result = await run();
        finish();
        return result;
      } catch (err) {
        finish(err);
        throw err;
      }
    })();
  }

  /** The subscriber closed: it leaves the in-flight gauge. */
  close(): void {
    removeInFlightSource(this.#source);
  }
}
