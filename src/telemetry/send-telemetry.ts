/**
 * The enqueue hook: a `send` span (kind PRODUCER) around an enqueue's
 * INSERTs, the `messaging.client.sent.messages` counter, and — on a table
 * with `traceContext: true` — the `traceparent` cell of each row: the send
 * span's context, or without a tracer the active span's, or NULL.
 *
 * With no provider registered and no trace column, {@link sendTelemetry} is
 * one boolean test and two global lookups, and returns `undefined`.
 */
import type { Span } from '@opentelemetry/api';
import type { SqlParam } from '../core/executor';
import { TRACEPARENT_COLUMN, type MessageTableSpec } from '../core/spec';
import { DEFAULT_VALUE } from '../core/sql/enqueue';
import { destinationName, errorType, operationAttributes, sendAttributes } from './attributes';
import { activeInstruments, activeTracer, type Instruments } from './instruments';
import { nothingRegistered, otelApi } from './otel-api';
import { formatTraceparent } from './traceparent';

/** What an enqueue records once its INSERTs ended. */
export interface SendTelemetry {
  /** The INSERTs succeeded (`count` messages written or repeated) or threw `error`. */
  end(error?: unknown): void;
}

/** A row as the hook sees it: its id and its cells in `columns` order. */
interface RowLike {
  readonly id: string;
  readonly values: ReadonlyArray<SqlParam | typeof DEFAULT_VALUE>;
}

/**
 * Starts what an enqueue of `rows` records, and fills their `traceparent`
 * cells (left to the column default by the payload check, unless the payload
 * set one). `undefined` when there is nothing to record.
 */
export function sendTelemetry(spec: MessageTableSpec, columns: readonly string[], rows: readonly RowLike[]): SendTelemetry | undefined {
  const tracing = activeTracer();
  const span = tracing?.tracer.startSpan(`send ${destinationName(spec)}`, {
    kind: tracing.api.SpanKind.PRODUCER,
    attributes: sendAttributes(spec, rows.length, rows[0]?.id),
  });
  if (spec.traceContext) fillTraceparents(columns, rows, span);
  const instruments = activeInstruments();
  if (!span && !instruments) return undefined;
  const started = performance.now();
  return { end: (error) => endSend(spec, rows.length, span, instruments, started, error) };
}

function endSend(spec: MessageTableSpec, count: number, span: Span | undefined, instruments: Instruments | undefined, started: number, error: unknown): void {
  const type = error === undefined ? undefined : errorType(error);
  if (span) {
    if (type !== undefined) {
      const api = otelApi()!;
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: api.SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      span.setAttribute('error.type', type);
    }
    span.end();
  }
  if (instruments) {
    const attributes = operationAttributes(spec, 'send', type);
    instruments.sent.add(count, attributes);
    instruments.sendDuration.record((performance.now() - started) / 1000, attributes);
  }
}

/** The traceparent of `span`, else of the active context's span, else null. */
function currentTraceparent(span: Span | undefined): string | null {
  if (span) return formatTraceparent(span.spanContext());
  if (nothingRegistered()) return null; // no context manager: no active span
  const api = otelApi();
  const active = api?.trace.getSpanContext(api.context.active());
  return active ? formatTraceparent(active) : null;
}

function fillTraceparents(columns: readonly string[], rows: readonly RowLike[], span: Span | undefined): void {
  const at = columns.indexOf(TRACEPARENT_COLUMN);
  if (at < 0) return;
  const traceparent = currentTraceparent(span);
  if (traceparent === null) return;
  for (const row of rows) {
    // The payload check left the cell to the column default (NULL) unless the payload gave one.
    if (row.values[at] === DEFAULT_VALUE) (row.values as Array<SqlParam | typeof DEFAULT_VALUE>)[at] = traceparent;
  }
}
