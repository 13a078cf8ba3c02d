/**
 * Span and metric attributes, after the OpenTelemetry messaging semantic
 * conventions: `messaging.system` (`vitess`, not a registered value: the
 * conventions allow others), `messaging.destination.name` (`keyspace.table`),
 * the operation, and per message its id and attempt. Pure: unit-tested.
 */
import type { Attributes } from '@opentelemetry/api';
import type { MessageTableSpec } from '../core/spec';
import { tableLabel } from '../core/sql/target';

export const MESSAGING_SYSTEM = 'vitess';

/** No semconv attribute counts deliveries in general: the library's own, 1 on the first delivery (epoch + 1). */
export const ATTEMPT_ATTRIBUTE = 'vitess_messages.attempt';

/** `messaging.destination.name`: `keyspace.table`, or the table alone for a spec without a keyspace (the label errors use too). */
export const destinationName: (spec: Pick<MessageTableSpec, 'table' | 'keyspace'>) => string = tableLabel;

const baseBySpec = new WeakMap<MessageTableSpec, Attributes>();

/** System and destination of a table: made once per spec, frozen (metric attributes). */
export function tableAttributes(spec: MessageTableSpec): Attributes {
  let base = baseBySpec.get(spec);
  if (!base) {
    base = Object.freeze({ 'messaging.system': MESSAGING_SYSTEM, 'messaging.destination.name': destinationName(spec) });
    baseBySpec.set(spec, base);
  }
  return base;
}

/**
 * A `send` span's attributes: one message's id (`firstId` when `count` is 1),
 * or a batch's size. Takes the count and first id, not the ids: an enqueue
 * of many rows need not copy them.
 */
export function sendAttributes(spec: MessageTableSpec, count: number, firstId: string | undefined): Attributes {
  return {
    ...tableAttributes(spec),
    'messaging.operation.name': 'send',
    'messaging.operation.type': 'send',
    ...(count === 1 && firstId !== undefined ? { 'messaging.message.id': firstId } : { 'messaging.batch.message_count': count }),
  };
}

/** A `process` span's attributes: the message id and its attempt (1 on the first delivery). */
export function processAttributes(spec: MessageTableSpec, id: string, attempt: number): Attributes {
  return {
    ...tableAttributes(spec),
    'messaging.operation.name': 'process',
    'messaging.operation.type': 'process',
    'messaging.message.id': id,
    [ATTEMPT_ATTRIBUTE]: attempt,
  };
}

/** A metric's attributes with the operation (and `error.type` when it failed). */
export function operationAttributes(spec: MessageTableSpec, operation: string, errorType?: string): Attributes {
  return {
    ...tableAttributes(spec),
    'messaging.operation.name': operation,
    ...(errorType !== undefined ? { 'error.type': errorType } : {}),
  };
}

/** `error.type` of a thrown value: its class name (semconv: low cardinality), `_OTHER` when it has none. */
export function errorType(err: unknown): string {
  return err instanceof Error ? err.constructor.name || err.name : '_OTHER';
}
