/**
 * Streamed rows → entity instances, hydrated as TypeORM hydrates a `find()`:
 * each value is first brought to what mysql2 returns for that column (decode.ts
 * already does: 64-bit integers and decimals as strings, json parsed, datetime
 * as Date, binary as Buffer), then handed to the driver's own
 * `prepareHydratedValue` (booleans, dates, enums, simple-json, transformers).
 */
import type { DataSource, EntityMetadata } from 'typeorm';
import { RowDecodeError, type StreamField } from '../core/decode';
import type { Hydrator } from '../subscriber/hydrator';

/**
 * A {@link Hydrator} that builds instances of `entity` (without calling its
 * constructor, as TypeORM does) from decoded stream rows. The DataSource's
 * `timezone` and `dateStrings` options are honoured for DATETIME/TIMESTAMP.
 * A value TypeORM cannot hydrate throws {@link RowDecodeError} naming its column.
 */
export function entityHydrator<T>(entity: Function, dataSource: DataSource): Hydrator<T> {
  const metadata: EntityMetadata = dataSource.getMetadata(entity);
  const driver = dataSource.driver as unknown as { prepareHydratedValue(value: unknown, column: unknown): unknown };
  const options = dataSource.options as { timezone?: string; dateStrings?: boolean | string[] };
  const toDate = dateConverter(options.timezone, options.dateStrings);
  let columns: Array<ReturnType<EntityMetadata['findColumnWithDatabaseName']>> | undefined;
  let seenFields: readonly StreamField[] | undefined;
  return (row: Record<string, unknown>, fields: readonly StreamField[]): T => {
    if (fields !== seenFields) {
      seenFields = fields;
      columns = fields.map((f) => metadata.findColumnWithDatabaseName(f.name));
    }
    const instance = metadata.create(undefined, { fromDeserializer: true }) as T & object;
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i]!;
      const column = columns![i];
      let value = row[field.name];
      if (value instanceof Date && (field.type === 'DATETIME' || field.type === 'TIMESTAMP')) value = toDate(value, column?.type);
      if (!column) {
        (instance as Record<string, unknown>)[field.name] = value;
        continue;
      }
      try {
        column.setEntityValue(instance as object, driver.prepareHydratedValue(value, column));
      } catch (err) {
        // e.g. a simple-json column holding text that is not JSON, a transformer that throws
        throw new RowDecodeError(field.name, { cause: err });
      }
    }
    return instance;
  };
}

/**
 * decode.ts reads DATETIME as local time, as mysql2 does by default. A
 * DataSource with `timezone: 'Z'` or `'+hh:mm'` makes mysql2 read it in that
 * zone, and `dateStrings` keeps the text: follow it.
 */
function dateConverter(timezone: string | undefined, dateStrings: boolean | string[] | undefined): (local: Date, columnType: unknown) => unknown {
  const asText = (d: Date): string => {
    const p = (n: number, w = 2) => String(n).padStart(w, '0');
    const ms = d.getMilliseconds();
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}${ms ? `.${p(ms, 3)}` : ''}`;
  };
  let offsetMs: number | undefined;
  if (timezone === 'Z' || timezone === 'utc' || timezone === 'UTC') offsetMs = 0;
  else if (timezone && /^[+-]\d{2}:\d{2}$/.test(timezone)) {
    const sign = timezone[0] === '-' ? -1 : 1;
    offsetMs = sign * (Number(timezone.slice(1, 3)) * 60 + Number(timezone.slice(4, 6))) * 60_000;
  }
  return (local, columnType) => {
    if (dateStrings === true || (Array.isArray(dateStrings) && dateStrings.some((t) => String(t).toLowerCase() === String(columnType).toLowerCase()))) return asText(local);
    if (offsetMs === undefined) return local;
    const wall = Date.UTC(local.getFullYear(), local.getMonth(), local.getDate(), local.getHours(), local.getMinutes(), local.getSeconds(), local.getMilliseconds());
    return new Date(wall - offsetMs);
  };
}
