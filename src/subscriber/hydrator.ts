/** How a decoded stream row becomes what a handler receives. */
import type { StreamField } from '../core/decode';
import type { MessageTableSpec } from '../core/spec';

/** Turns a decoded row (column name → value) into what handlers receive. */
export type Hydrator<T> = (row: Record<string, unknown>, fields: readonly StreamField[]) => T;

/** The default hydrator: `{ id, epoch, ...payload columns by property name }`. */
export function plainHydrator<T>(spec: MessageTableSpec): Hydrator<T> {
  const byColumn = new Map(spec.payload.map((c) => [c.name, c.property]));
  return (row) => {
    const out: Record<string, unknown> = {};
    for (const [column, value] of Object.entries(row)) {
      out[column === 'epoch' ? 'epoch' : (byColumn.get(column) ?? column)] = column === 'epoch' ? Number(value) : value;
    }
    return out as T;
  };
}
