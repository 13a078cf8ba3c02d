/** How a decoded stream row becomes what a handler receives. */
import type { StreamField } from '../core/decode';
import type { MessageTableSpec } from '../core/spec';

/** Turns a decoded row (column name → value) into what handlers receive. */
export type Hydrator<T> = (row: Record<string, unknown>, fields: readonly StreamField[]) => T;

/** The default hydrator: `{ id, epoch, ...payload columns by property name }`. */
export function plainHydrator<T>(spec: MessageTableSpec): Hydrator<T> {
  const byColumn = new Map(spec.payload.map((c) => [c.name, c.property]));
  // Each row of a stream has its columns: their property names are looked up once per fields array.
  let planned: readonly StreamField[] | undefined;
  let columns: string[] = [];
  let properties: string[] = [];
  return (row, fields) => {
    if (fields !== planned) {
      planned = fields;
      // The row's columns are the fields' names (a name given twice holds one value).
      columns = [...new Set(fields.map((f) => f.name))];
      properties = columns.map((c) => (c === 'epoch' ? 'epoch' : (byColumn.get(c) ?? c)));
    }
    const out: Record<string, unknown> = {};
    for (let i = 0; i < columns.length; i++) {
      const column = columns[i]!;
      const value = row[column];
      if (value === undefined) continue; // not in this row (decoded cells are never undefined)
      out[properties[i]!] = column === 'epoch' ? Number(value) : value;
    }
    return out as T;
  };
}
