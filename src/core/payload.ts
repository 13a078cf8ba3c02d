/**
 * Payload checks before any SQL: every key must be a payload column of the
 * table, every value of a type its column takes. Values become driver
 * parameters here (JSON serialized, 64-bit integers as decimal strings), so no
 * object ever reaches a driver that would expand it into SQL.
 */
import { getMetadataStorage, validate } from 'class-validator';
import { PayloadValidationError, type PayloadProblem } from './errors';
import type { SqlParam } from './executor';
import type { MessageTableSpec, PayloadColumnSpec } from './spec';
import { DEFAULT_VALUE } from './sql/enqueue';
import { tableLabel } from './sql/target';

type Kind = 'json' | 'int' | 'decimal' | 'float' | 'bool' | 'string' | 'datetime' | 'binary' | 'other';

/** The kind of value a column takes, from its DDL type. */
export function columnKind(sqlType: string): Kind {
  const t = sqlType.trim().toLowerCase();
  if (t === 'json') return 'json';
  if (/^(bool|boolean|tinyint\s*\(\s*1\s*\)|bit\s*\(\s*1\s*\))/.test(t)) return 'bool';
  if (/^(tinyint|smallint|mediumint|int|integer|bigint)\b/.test(t)) return 'int';
  if (/^(decimal|numeric|dec|fixed)\b/.test(t)) return 'decimal';
  if (/^(float|double|real)\b/.test(t)) return 'float';
  if (/^(char|varchar|tinytext|text|mediumtext|longtext|enum|set)\b/.test(t)) return 'string';
  if (/^(datetime|timestamp|date|time|year)\b/.test(t)) return 'datetime';
  if (/^(binary|varbinary|tinyblob|blob|mediumblob|longblob|bit)\b/.test(t)) return 'binary';
  return 'other';
}

const INT_TEXT = /^-?[0-9]{1,20}$/;

/** True when `text` holds a surrogate without its pair: utf8mb4 cannot store it (mysql2 would send U+FFFD instead). */
export function hasLoneSurrogate(text: string): boolean {
  return /\p{Cs}/u.test(text);
}

const LONE_SURROGATE = 'must be well-formed Unicode (it holds a lone surrogate, which utf8mb4 cannot store)';

const INT_BITS: Record<string, bigint> = { tinyint: 8n, smallint: 16n, mediumint: 24n, int: 32n, integer: 32n, bigint: 64n };

/** The range of an integer column type, e.g. `int` → [-2^31, 2^31 - 1], `bigint unsigned` → [0, 2^64 - 1]. */
export function intRange(sqlType: string): readonly [bigint, bigint] | undefined {
  const m = /^(tinyint|smallint|mediumint|integer|int|bigint)\b/.exec(sqlType.trim().toLowerCase());
  if (!m) return undefined;
  const bits = INT_BITS[m[1]!]!;
  return /\b(unsigned|zerofill)\b/i.test(sqlType) ? [0n, (1n << bits) - 1n] : [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n];
}

/**
 * Vitess v0.24's binlog JSON decoder rejects an object whose empty key ends the
 * document (`{"": null}`) and vttablet panics on it: the message manager, which
 * watches the binlog of every message table, takes the whole tablet down
 * (seen here: vtcombo exited). Refused for every empty key, as the exact layout
 * is MySQL's to choose.
 */
const EMPTY_KEY = 'must not have an empty object key ("") in a message table: Vitess v0.24 crashes decoding it from the binlog';

/**
 * JSON text for a JSON column, or the reason the value would not come back as
 * given: JSON.stringify silently turns NaN and ±Infinity into null, a Map or
 * Set into {}, drops functions and symbols, and MySQL refuses lone surrogates.
 */
function jsonText(value: unknown): string | { problem: string } {
  let problem: string | undefined;
  const text = JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
    const original = this[key];
    if (problem !== undefined) return v;
    if (hasLoneSurrogate(key)) problem = `must not have a key with a lone surrogate (utf8mb4 cannot store it)`;
    else if (typeof v === 'number' && !Number.isFinite(v)) problem = `must not hold ${v} (JSON has no such number; it would be stored as null)`;
    else if (v instanceof Number && !Number.isFinite(v.valueOf())) problem = `must not hold ${v.valueOf()} (JSON has no such number)`;
    else if (typeof v === 'string' && hasLoneSurrogate(v)) problem = LONE_SURROGATE;
    else if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.prototype.hasOwnProperty.call(v, '')) problem = EMPTY_KEY;
    else if (typeof original === 'function' || typeof original === 'symbol') problem = `must not hold a ${typeof original} (JSON would drop it)`;
    else if (v === undefined && Array.isArray(this)) problem = 'must not hold undefined or holes in an array (JSON would store null)';
    else if (original instanceof Date && Number.isNaN(original.getTime())) problem = 'must not hold an invalid Date (JSON would store null)';
    else if (original instanceof Map || original instanceof Set || original instanceof WeakMap || original instanceof WeakSet) problem = `must not hold a ${original.constructor.name} (JSON would store {}): convert it to an object or array`;
    else if (original instanceof ArrayBuffer || (ArrayBuffer.isView(original) && !Buffer.isBuffer(original))) problem = 'must not hold a typed array or ArrayBuffer (JSON would store an object of indices)';
    return v;
  });
  return problem !== undefined ? { problem } : text;
}
const DECIMAL_TEXT = /^-?[0-9]{1,65}(\.[0-9]{1,30})?$/;

/** A finite number in plain decimal notation (its shortest form, without an exponent: 1e-7 → 0.0000001). */
export function plainDecimal(n: number): string {
  const text = String(n);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!m) return text;
  const digits = m[2]! + (m[3] ?? '');
  const point = 1 + Number(m[4]);
  const body = point <= 0 ? `0.${'0'.repeat(-point)}${digits}` : point >= digits.length ? digits + '0'.repeat(point - digits.length) : `${digits.slice(0, point)}.${digits.slice(point)}`;
  return m[1] + body;
}

/**
 * Why a decimal text does not fit `decimal(p,s)`, or undefined. MySQL refuses
 * too many integer digits only after the statement was sent, and rounds extra
 * fraction digits silently (0.1 + 0.2 → 0.3000000000): both are refused here.
 */
function decimalMisfit(sqlType: string, text: string): string | undefined {
  const m = /^(?:decimal|numeric|dec|fixed)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?/i.exec(sqlType.trim());
  if (!m) return undefined;
  const precision = m[1] === undefined ? 10 : Number(m[1]);
  const scale = m[2] === undefined ? 0 : Number(m[2]);
  const [int = '', frac = ''] = text.replace(/^-/, '').split('.');
  const intDigits = int.replace(/^0+/, '').length;
  const fracDigits = frac.replace(/0+$/, '').length;
  if (fracDigits > scale) return `must have at most ${scale} digits after the point for ${sqlType} (MySQL would round it)`;
  if (intDigits > precision - scale) return `must have at most ${precision - scale} digits before the point for ${sqlType}`;
  return undefined;
}

/** A value as a driver parameter for a column, or the reason it does not fit. */
export function toColumnParam(column: PayloadColumnSpec, value: unknown): SqlParam | { problem: string } {
  if (value === null) return column.nullable ? null : { problem: 'must not be null (the column is NOT NULL)' };
  const kind = columnKind(column.sqlType);
  if (typeof value === 'string' && hasLoneSurrogate(value)) return { problem: LONE_SURROGATE };
  switch (kind) {
    case 'json': {
      if (typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint' || value === undefined) {
        return { problem: `must be JSON-serializable (got ${typeof value}; bigints: pass a decimal string)` };
      }
      try {
        const text = jsonText(value);
        return typeof text === 'string' ? text : { problem: text.problem };
      } catch (err) {
        return { problem: `must be JSON-serializable (${(err as Error).message})` };
      }
    }
    case 'int': {
      const ok = typeof value === 'bigint' || (typeof value === 'number' && Number.isSafeInteger(value)) || (typeof value === 'string' && INT_TEXT.test(value));
      if (!ok) return { problem: `must be an integer (a safe-integer number, a bigint or a decimal string) for ${column.sqlType}` };
      const n = BigInt(value as bigint | number | string);
      const range = intRange(column.sqlType);
      // Checked here: MySQL would refuse it only after the statement was sent.
      if (range && (n < range[0] || n > range[1])) return { problem: `must be from ${range[0]} to ${range[1]} for ${column.sqlType}` };
      return typeof value === 'bigint' ? value.toString() : (value as number | string);
    }
    case 'decimal': {
      const text = typeof value === 'number' && Number.isFinite(value) ? plainDecimal(value) : typeof value === 'bigint' ? value.toString() : typeof value === 'string' && DECIMAL_TEXT.test(value) ? value : undefined;
      if (text === undefined) return { problem: `must be a decimal number or a decimal string for ${column.sqlType}` };
      const misfit = decimalMisfit(column.sqlType, text);
      if (misfit) return { problem: misfit };
      return text; // exact decimal text: a JS number in exponent form (1e-7) would reach MySQL as an approximate double literal
    }
    case 'float':
      if (typeof value === 'number' && Number.isFinite(value)) return value;
      return { problem: `must be a finite number for ${column.sqlType}` };
    case 'bool':
      if (typeof value === 'boolean') return value;
      if (value === 0 || value === 1) return value;
      return { problem: `must be a boolean for ${column.sqlType}` };
    case 'string':
      if (typeof value === 'string') return value;
      return { problem: `must be a string for ${column.sqlType}` };
    case 'datetime':
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? { problem: 'must be a valid Date' } : value;
      if (typeof value === 'string') return value;
      if (column.sqlType.toLowerCase().startsWith('year') && typeof value === 'number' && Number.isInteger(value)) return value;
      return { problem: `must be a Date or a string for ${column.sqlType}` };
    case 'binary':
      if (Buffer.isBuffer(value)) return value;
      if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      return { problem: `must be a Buffer or Uint8Array for ${column.sqlType}` };
    default:
      if (typeof value === 'string' || typeof value === 'boolean' || Buffer.isBuffer(value) || value instanceof Date) return value;
      if (typeof value === 'number' && Number.isFinite(value)) return value;
      if (typeof value === 'bigint') return value.toString();
      return { problem: `must be a string, number, boolean, Date or Buffer for ${column.sqlType}` };
  }
}

/**
 * Checks a payload against the table's payload columns and returns one parameter
 * per column (in `spec.payload` order): {@link DEFAULT_VALUE} for a column the
 * payload leaves out that is nullable, has a default or is generated. Keys are property names
 * (the entity's), and `undefined` counts as left out.
 *
 * @throws PayloadValidationError listing every problem; nothing is written.
 */
export function payloadParams(spec: MessageTableSpec, payload: unknown, index?: number): Array<SqlParam | typeof DEFAULT_VALUE> {
  const table = tableLabel(spec);
  // A Map, Set, Date, … keeps its data outside its own properties: every column would silently take its default.
  const builtIn = payload instanceof Map || payload instanceof Set || payload instanceof WeakMap || payload instanceof WeakSet || payload instanceof Date || payload instanceof RegExp || payload instanceof Promise || payload instanceof ArrayBuffer || ArrayBuffer.isView(payload);
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload) || builtIn) {
    throw new PayloadValidationError(table, [{ property: '(payload)', constraints: ['must be a plain object of payload properties'] }], index);
  }
  const record = payload as Record<string, unknown>;
  const byProperty = new Map(spec.payload.map((c) => [c.property, c]));
  const problems: PayloadProblem[] = [];
  for (const key of Object.keys(record)) {
    if (!byProperty.has(key) && record[key] !== undefined) {
      problems.push({ property: key, constraints: [`is not a payload column of ${table} (known: ${[...byProperty.keys()].join(', ') || 'none'})`] });
    }
  }
  const out: Array<SqlParam | typeof DEFAULT_VALUE> = [];
  for (const column of spec.payload) {
    const value = record[column.property];
    if (column.generated) {
      // MySQL computes it; DEFAULT is the only value an INSERT may give.
      if (value === undefined) out.push(DEFAULT_VALUE);
      else problems.push({ property: column.property, constraints: ['is a generated column (asExpression); leave it out'] });
      continue;
    }
    if (value === undefined) {
      if (column.nullable || column.default !== undefined) out.push(DEFAULT_VALUE);
      else problems.push({ property: column.property, constraints: ['is required (NOT NULL without a default)'] });
      continue;
    }
    const param = toColumnParam(column, value);
    if (param !== null && typeof param === 'object' && 'problem' in param) {
      problems.push({ property: column.property, constraints: [param.problem] });
    } else {
      out.push(param as SqlParam);
    }
  }
  if (problems.length > 0) throw new PayloadValidationError(table, problems, index);
  return out;
}

/**
 * Runs class-validator on a payload as an instance of `target` (the entity
 * class). Imported statically: core's option checks load class-validator
 * anyway, and a dynamic `import()` per enqueue went through Node's ESM loader
 * (resolution, a file URL) on every call, the largest cost of ours on the
 * TypeORM enqueue path.
 *
 * @throws PayloadValidationError carrying the constraint messages.
 */
export async function validateWithClass(table: string, target: Function, payload: object, index?: number): Promise<void> {
  const instance = Object.assign(Object.create(target.prototype as object) as object, payload);
  // Only the payload's own properties are checked: bookkeeping (id, epoch, …) is the library's.
  const errors = await validate(instance, { skipUndefinedProperties: true, forbidUnknownValues: false });
  if (errors.length === 0) return;
  const problems: PayloadProblem[] = [];
  const walk = (list: typeof errors, prefix: string): void => {
    for (const e of list) {
      const property = prefix ? `${prefix}.${e.property}` : e.property;
      if (e.constraints) problems.push({ property, constraints: Object.values(e.constraints) });
      if (e.children && e.children.length > 0) walk(e.children, property);
    }
  };
  walk(errors, '');
  throw new PayloadValidationError(table, problems, index);
}

/** Whether class-validator has any rule registered for `target`. Synchronous: asked on every enqueue of an entity. */
export function hasValidationRules(target: Function): boolean {
  return getMetadataStorage().getTargetValidationMetadatas(target, '', true, false).length > 0;
}
