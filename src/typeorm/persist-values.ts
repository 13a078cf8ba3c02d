/**
 * An entity payload → the values of its columns, converted exactly as
 * `manager.save` converts them: the column's `transformer`s and then the
 * driver's own `preparePersistentValue` (booleans, dates, `simple-json`,
 * `simple-array`, `enum`, `set`, …). Core's payload check then runs on the
 * converted values, as for every other executor.
 */
import type { DataSource, EntityMetadata } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import type { EmbeddedMetadata } from 'typeorm/metadata/EmbeddedMetadata';
import { ApplyValueTransformers } from 'typeorm/util/ApplyValueTransformers';
import { PayloadValidationError, type PayloadProblem } from '../core/errors';
import { BOOKKEEPING_COLUMNS } from '../core/define';

const BOOKKEEPING_PROPERTIES = new Set(BOOKKEEPING_COLUMNS.map((c) => c.property));

interface DriverLike {
  preparePersistentValue(value: unknown, column: ColumnMetadata): unknown;
}

/** Converts payloads of one entity; built once per (DataSource, entity). */
export type PersistValues = (payload: unknown, table: string, index?: number) => Record<string, unknown>;

/** The payload columns of an entity as `getMessageTableSpec` lists them. */
export function payloadColumns(metadata: EntityMetadata): ColumnMetadata[] {
  return metadata.columns.filter((c) => !BOOKKEEPING_PROPERTIES.has(c.propertyName) && !c.isVirtual && !c.isVirtualProperty);
}

/**
 * A converter of payloads of `entity`, shaped like the entity (embedded
 * columns nested: `{ address: { city } }`), into a flat record keyed by each
 * column's `propertyPath` (`address.city`), the key core's spec uses.
 *
 * Left out (or `undefined`) stays left out, so the column gets its default.
 * `json` columns get their transformers only: core serializes them with
 * `JSON.stringify`, exactly as the driver would. A boolean that reaches the
 * driver as a boolean (a `boolean`/`bool` column) becomes 1 / 0, the value
 * MySQL stores for the `TRUE` / `FALSE` mysql2 would write.
 *
 * @throws PayloadValidationError for keys that are no payload property, a
 *   function (TypeORM would splice its result into the SQL), a non-boolean for a
 *   boolean column, and conversions that throw (a transformer, a cycle).
 */
export function persistValues(entity: Function, dataSource: DataSource): PersistValues {
  const metadata = dataSource.getMetadata(entity);
  const driver = dataSource.driver as unknown as DriverLike;
  const columns = payloadColumns(metadata);
  const topColumns = new Set(columns.filter((c) => !c.embeddedMetadata).map((c) => c.propertyName));
  const topEmbeddeds = metadata.embeddeds;

  return (payload, table, index) => {
    if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
      throw new PayloadValidationError(table, [{ property: '(payload)', constraints: ['must be a plain object of payload properties'] }], index);
    }
    const problems: PayloadProblem[] = [];
    unknownKeys(payload as Record<string, unknown>, topColumns, topEmbeddeds, '', table, problems);
    const out: Record<string, unknown> = {};
    for (const column of columns) {
      const value = column.getEntityValue(payload);
      if (value === undefined) continue;
      const property = column.propertyPath;
      if (typeof value === 'function') {
        problems.push({ property, constraints: ['must be a value, not a function (SQL expressions are not taken)'] });
        continue;
      }
      if (isBooleanColumn(column) && value !== null && typeof value !== 'boolean' && value !== 0 && value !== 1) {
        problems.push({ property, constraints: [`must be a boolean for a ${String(typeNameOf(column))} column`] });
        continue;
      }
      try {
        // 0 / 1 mean false / true (the driver would turn a 1 into 0 for a `Boolean`-typed column).
        out[property] = convert(column, isBooleanColumn(column) && typeof value === 'number' ? value === 1 : value, driver);
      } catch (err) {
        problems.push({ property, constraints: [`cannot be converted as TypeORM persists it: ${(err as Error)?.message ?? String(err)}`] });
      }
    }
    if (problems.length > 0) throw new PayloadValidationError(table, problems, index);
    return out;
  };
}

function convert(column: ColumnMetadata, value: unknown, driver: DriverLike): unknown {
  if (column.type === 'json') {
    // The driver would JSON.stringify after the transformers; core does the same
    // for a json column (a string handed over here would be serialized twice).
    return column.transformer ? ApplyValueTransformers.transformTo(column.transformer, value) : value;
  }
  const prepared = driver.preparePersistentValue(value, column);
  return typeof prepared === 'boolean' ? (prepared ? 1 : 0) : prepared;
}

function isBooleanColumn(column: ColumnMetadata): boolean {
  return !column.transformer && (column.type === Boolean || column.type === 'boolean' || column.type === 'bool');
}

function typeNameOf(column: ColumnMetadata): string {
  return typeof column.type === 'function' ? column.type.name.toLowerCase() : String(column.type);
}

/** Keys of the payload (and of its embedded objects) that name no payload property. */
function unknownKeys(
  record: Record<string, unknown>,
  columns: ReadonlySet<string>,
  embeddeds: readonly EmbeddedMetadata[],
  prefix: string,
  table: string,
  problems: PayloadProblem[],
): void {
  // Only an error message needs the list of known names.
  const known = (): string => [...columns, ...embeddeds.map((e) => e.propertyName)].join(', ') || 'none';
  for (const key of Object.keys(record)) {
    const value = record[key];
    if (value === undefined) continue;
    const embedded = embeddeds.find((e) => e.propertyName === key);
    if (embedded) {
      if (value === null) continue;
      if (typeof value !== 'object' || Array.isArray(value)) {
        problems.push({ property: `${prefix}${key}`, constraints: ['must be an object of the embedded columns'] });
        continue;
      }
      const inner = new Set(embedded.columns.filter((c) => c.embeddedMetadata === embedded).map((c) => c.propertyName));
      unknownKeys(value as Record<string, unknown>, inner, embedded.embeddeds, `${prefix}${key}.`, table, problems);
      continue;
    }
    if (!columns.has(key)) {
      problems.push({ property: `${prefix}${key}`, constraints: [`is not a payload column of ${table} (known: ${known()})`] });
    }
  }
}
