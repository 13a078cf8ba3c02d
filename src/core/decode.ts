/**
 * Decoding of streamed rows. vtgate sends each row as the non-NULL values
 * concatenated in MySQL's text form plus a list of lengths (-1 = NULL); the
 * column types come once, in the stream's first packet.
 */

import { VitessMessagesError } from './errors';

/**
 * A streamed row's column could not be read (decoded from the wire, or
 * hydrated into what a handler receives). Carries the column so a message
 * failed for it says which one.
 */
export class RowDecodeError extends VitessMessagesError {
  /** `'RowDecodeError'`, for logs; test the class with `instanceof`. */
  override readonly name: string = 'RowDecodeError';
  constructor(
    /** The column (its database name) whose value could not be read. */
    readonly column: string,
    options: { cause: unknown },
  ) {
    const cause = options.cause;
    super(`column ${column} could not be read: ${cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)}`, options);
  }
}

/** A column of a streamed result: its name and vtgate's type name (query.Type). */
export interface StreamField {
  /** The column name (its database name). */
  readonly name: string;
  /** vtgate's type name, e.g. `INT64`, `VARCHAR`, `JSON`: how the value is decoded. */
  readonly type: string;
}

/** A row as it comes off the wire. Lengths may arrive as strings (64-bit on the wire). */
export interface WireRow {
  /** Each column's byte length in `values`, in field order; -1 for NULL. */
  readonly lengths: ReadonlyArray<number | string>;
  /** The row's column values, concatenated (their text or binary form). */
  readonly values: Uint8Array;
}

export interface DecodeOptions {
  /**
   * How 64-bit integers (ids, bigint columns) are returned: decimal `'string'`
   * (the default, as TypeORM hydrates bigint columns) or `'bigint'`. Never a
   * lossy JS number.
   */
  readonly int64?: 'string' | 'bigint';
}

/** Splits a wire row into one Buffer (or null) per column. */
export function splitRow(row: WireRow): Array<Buffer | null> {
  const values = Buffer.from(row.values.buffer, row.values.byteOffset, row.values.byteLength);
  const out: Array<Buffer | null> = new Array(row.lengths.length);
  let offset = 0;
  for (let i = 0; i < row.lengths.length; i++) {
    const length = Number(row.lengths[i]);
    if (length < 0) {
      out[i] = null;
    } else {
      out[i] = values.subarray(offset, offset + length);
      offset += length;
    }
  }
  return out;
}

const SMALL_INTS = new Set(['INT8', 'UINT8', 'INT16', 'UINT16', 'INT24', 'UINT24', 'INT32', 'UINT32', 'YEAR']);
const INT64S = new Set(['INT64', 'UINT64']);
const FLOATS = new Set(['FLOAT32', 'FLOAT64']);
const TEXTS = new Set(['TEXT', 'VARCHAR', 'CHAR', 'ENUM', 'SET', 'DATE', 'TIME', 'DECIMAL', 'HEXNUM', 'HEXVAL', 'BITNUM']);
const DATETIMES = new Set(['DATETIME', 'TIMESTAMP']);

/** Decodes one value from its MySQL text form according to the column type. */
export function decodeValue(type: string, raw: Buffer | null, options: DecodeOptions = {}): unknown {
  if (raw === null || type === 'NULL_TYPE') return null;
  if (INT64S.has(type)) {
    const text = raw.toString('latin1');
    return options.int64 === 'bigint' ? BigInt(text) : text;
  }
  if (SMALL_INTS.has(type) || FLOATS.has(type)) return Number(raw.toString('latin1'));
  if (TEXTS.has(type)) return raw.toString('utf8');
  if (type === 'JSON') return JSON.parse(raw.toString('utf8'));
  if (DATETIMES.has(type)) return parseDateTime(raw.toString('latin1'));
  // BLOB, VARBINARY, BINARY, BIT, GEOMETRY, VECTOR and anything newer: raw bytes.
  return Buffer.from(raw);
}

/** A MySQL DATETIME/TIMESTAMP text ('2024-01-02 03:04:05.123456') as a local-time Date, as mysql2 does. */
export function parseDateTime(text: string): Date | string {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/.exec(text);
  // The zero date (or a zero month/day) is no instant: keep the text rather than invent one.
  if (!m || m[2] === '00' || m[3] === '00') return text;
  const ms = m[7] ? Math.floor(Number(m[7].padEnd(6, '0')) / 1000) : 0;
  return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), ms);
}

/** Decodes one column's bytes `values[start, end)`; chosen once per column from its type. */
type CellDecoder = (values: Buffer, start: number, end: number) => unknown;

/** The decoder of a column type, as {@link decodeValue} decodes it, reading straight from the row's bytes. */
function cellDecoder(type: string, int64: DecodeOptions['int64']): CellDecoder {
  if (type === 'NULL_TYPE') return () => null;
  if (INT64S.has(type)) return int64 === 'bigint' ? (v, s, e) => BigInt(v.toString('latin1', s, e)) : (v, s, e) => v.toString('latin1', s, e);
  if (SMALL_INTS.has(type) || FLOATS.has(type)) return (v, s, e) => Number(v.toString('latin1', s, e));
  if (TEXTS.has(type)) return (v, s, e) => v.toString('utf8', s, e);
  if (type === 'JSON') return (v, s, e) => JSON.parse(v.toString('utf8', s, e));
  if (DATETIMES.has(type)) return (v, s, e) => parseDateTime(v.toString('latin1', s, e));
  return (v, s, e) => Buffer.from(v.subarray(s, e)); // a copy: the packet's buffer is not kept alive
}

/** A stream's row decoding, worked out once per fields packet: each column's name and decoder. */
interface RowPlan {
  readonly names: readonly string[];
  readonly decoders: readonly CellDecoder[];
}

/**
 * Plans by fields array and int64 mode. A stream's fields come once and every
 * row of it is decoded with the same array, so the type of each column is
 * looked up once per stream, not once per cell.
 */
const plans = new WeakMap<readonly StreamField[], { string?: RowPlan; bigint?: RowPlan }>();

function rowPlan(fields: readonly StreamField[], int64: 'string' | 'bigint'): RowPlan {
  let byMode = plans.get(fields);
  if (!byMode) plans.set(fields, (byMode = {}));
  return (byMode[int64] ??= { names: fields.map((f) => f.name), decoders: fields.map((f) => cellDecoder(f.type, int64)) });
}

/** Decodes a wire row into a plain object keyed by field name; a value that cannot be decoded throws {@link RowDecodeError}. */
export function decodeRow(fields: readonly StreamField[], row: WireRow, options: DecodeOptions = {}): Record<string, unknown> {
  const { names, decoders } = rowPlan(fields, options.int64 === 'bigint' ? 'bigint' : 'string');
  const raw = row.values;
  const values = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const lengths = row.lengths;
  const out: Record<string, unknown> = {};
  let offset = 0;
  for (let i = 0; i < names.length; i++) {
    // A row with fewer lengths than fields: the missing cells are NULL.
    const length = i < lengths.length ? Number(lengths[i]) : -1;
    if (length < 0) {
      out[names[i]!] = null;
      continue;
    }
    const end = offset + length;
    try {
      out[names[i]!] = decoders[i]!(values, offset, Math.min(end, values.length));
    } catch (err) {
      throw new RowDecodeError(names[i]!, { cause: err });
    }
    offset = end;
  }
  return out;
}
