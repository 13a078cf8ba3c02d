/**
 * A subscriber's hooks: a `process` span (kind CONSUMER) per handler run,
 * linked to the producer's `send` span through the row's `traceparent`, the
 * `messaging.process.duration` histogram, and the consumed / acked / nacked /
 * failed / duplicates counters and the in-flight gauge. Each hook first asks
 * whether a provider is registered and does nothing otherwise.
 */
import type { Link } from '@opentelemetry/api';
import type { StreamField } from '../core/decode';
import { BOOKKEEPING, TELEMETRY_STREAMED, TRACEPARENT_COLUMN, type MessageTableSpec } from '../core/spec';
import { destinationName, errorType, operationAttributes, processAttributes, tableAttributes } from './attributes';
import { activeInstruments, activeTracer, addInFlightSource, removeInFlightSource, type InFlightSource } from './instruments';
import { parseTraceparent } from './traceparent';

/** What the telemetry columns of a streamed row (tables with `traceContext: true`) said. */
export interface RowTelemetry {
  /** The producer's W3C traceparent, if the row held one. */
  readonly traceparent?: string;
  /** When the message became due (Unix ns): `time_next` when above 0, else `enqueued_at`; absent when neither is known. */
  readonly dueAtNs?: bigint;
}

/** What a `process` span needs of a delivery. */
export interface ProcessedMessage {
  readonly idText: string;
  readonly attempt: number;
  readonly telemetry?: RowTelemetry | undefined;
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
   * Takes the telemetry cells (`time_next`, `enqueued_at`, `traceparent`) out
   * of a decoded row, so the handler's message does not carry them, and
   * returns what they said; `undefined` on a table without `traceContext`.
   */
  takeColumns(row: Record<string, unknown>): RowTelemetry | undefined {
    if (!this.#spec.traceContext) return undefined;
    const { [TELEMETRY_COLUMN.traceparent]: traceparent, [TELEMETRY_COLUMN.timeNext]: timeNext, [TELEMETRY_COLUMN.enqueuedAt]: enqueuedAt } = row;
    for (const c of TELEMETRY_STREAMED) delete row[c];
    const next = int64(timeNext);
    const due = next !== undefined && next > 0n ? next : int64(enqueuedAt);
    return {
      ...(typeof traceparent === 'string' ? { traceparent } : {}),
      ...(due !== undefined && due > 0n ? { dueAtNs: due } : {}),
    };
  }

  /** The stream's fields without the telemetry columns, for the hydrator (the same array while `fields` is). */
  visibleFields(fields: readonly StreamField[]): readonly StreamField[] {
    if (!this.#spec.traceContext) return fields;
    if (fields !== this.#fields) {
      this.#fields = fields;
      this.#visible = fields.filter((f) => !TELEMETRY_STREAMED.includes(f.name));
    }
    return this.#visible;
  }

  /**
   * A handler started on a message (or the iterator handed it out): records
   * `vitess_messages.lag`, now − when it became due, when the row said
   * (clamped at 0: the due time is on the database's, the tablet's or a
   * producer's clock, `now` on this host's).
   */
  started(message: ProcessedMessage): void {
    const due = message.telemetry?.dueAtNs;
    if (due === undefined) return;
    const instruments = activeInstruments();
    if (!instruments) return;
    const lagS = Math.max(0, Date.now() / 1000 - Number(due / 1_000_000n) / 1000);
    instruments.lag.record(lagS, tableAttributes(this.#spec));
  }

  /** Whether a tracer or meter provider is registered now (what {@link process} would record). */
  enabled(): boolean {
    return activeTracer() !== undefined || activeInstruments() !== undefined;
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
      const producer = parseTraceparent(message.telemetry?.traceparent);
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

const TELEMETRY_COLUMN = { timeNext: BOOKKEEPING.timeNext, enqueuedAt: BOOKKEEPING.enqueuedAt, traceparent: TRACEPARENT_COLUMN } as const;

/** A streamed 64-bit cell (decimal string or bigint, as `int64` says) as a bigint; undefined for NULL or anything else. */
function int64(value: unknown): bigint | undefined {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  return undefined;
}
