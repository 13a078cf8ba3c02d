/**
 * The payload contract, as the generated tests check it: a value either is
 * refused with a typed error before any SQL, or becomes a parameter that
 * carries it without loss. Written from the contract (what the column can hold
 * and read back), not from the implementation.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { defineMessageTable } from '../../src/core/define';
import { plainDecimal } from '../../src/core/payload';
import type { PayloadColumnSpec } from '../../src/core/spec';
import { anyId, anyValue, hasLoneSurrogate, hostileString, loneSurrogateString, notJsonText, oddBigInt, oddJson, oddNumber } from './generators';

/** The table of the generated payload tests: one column of each kind a payload can hit. */
export function generatedPayloadSpec(table: string, keyspace = 'commerce') {
  return defineMessageTable({
    table,
    keyspace,
    columns: {
      s: { type: 'varchar(32)', nullable: true },
      t: { type: 'text', nullable: true },
      j: { type: 'json', nullable: true },
      n: { type: 'bigint', nullable: true },
      i: { type: 'int', nullable: true },
      u: { type: 'bigint unsigned', nullable: true },
      d: { type: 'double', nullable: true },
      b: { type: 'blob', nullable: true },
      f: { type: 'tinyint(1)', nullable: true },
      m: { type: 'decimal(30,10)', nullable: true },
      // Hostile text in a DDL default: it must reach MySQL as one closed string literal.
      req: { type: 'varchar(64)', default: "'it''s `x` /* # \u202E;'" },
    },
    ackWait: '5m', // no redelivery while a test reads the stream
    pollerInterval: '500ms',
    batchSize: 100,
  });
}

/** What `req` holds when a payload leaves it out (the DDL default above). */
export const REQ_DEFAULT = "it's `x` /* # \u202E;";

const RANGES: Record<string, readonly [bigint, bigint]> = {
  n: [-(2n ** 63n), 2n ** 63n - 1n],
  i: [-(2n ** 31n), 2n ** 31n - 1n],
  u: [0n, 2n ** 64n - 1n],
};

/** Values for one payload column: mostly ones that fit it, often ones that do not. */
export function columnValue(property: string): fc.Arbitrary<unknown> {
  const fitting: Record<string, fc.Arbitrary<unknown>> = {
    s: hostileString(8),
    t: fc.oneof(hostileString(30), fc.constantFrom('x'.repeat(70_000), '😀'.repeat(16_384), '\0'.repeat(65_535))),
    j: fc.oneof(fc.jsonValue(), oddJson, notJsonText),
    n: fc.oneof(oddBigInt, fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String), fc.integer()),
    i: fc.oneof(oddBigInt, fc.integer(), fc.constantFrom(2 ** 31, -(2 ** 31), '2147483648', '-2147483648')),
    u: fc.oneof(oddBigInt, fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.constantFrom(-1, '-1', '18446744073709551615')),
    d: oddNumber,
    b: fc.oneof(fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)), fc.uint8Array({ maxLength: 8 }), fc.constant(Buffer.alloc(70_000, 7))),
    f: fc.oneof(fc.boolean(), fc.constantFrom(0, 1, 2, 'true')),
    m: fc.oneof(
      fc.tuple(fc.bigInt({ min: -(10n ** 22n), max: 10n ** 22n }), fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.integer({ min: 0, max: 12 })).map(([a, b, k]) => (k === 0 ? a.toString() : `${a}.${b.toString().padStart(k, '0').slice(0, k)}`)),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.constantFrom<unknown>('0.1', '-0.0000000001', '1.123456789012', '1.12345678900000', '99999999999999999999.9999999999', '100000000000000000000', 0.1 + 0.2, 1e-7, 1e-11, 1e21, 12.5, 10n ** 19n, 10n ** 20n, '1e5', '.5', '5.', '--1'),
    ),
    req: fc.oneof(hostileString(8), fc.constant(null)),
  };
  return fc.oneof({ weight: 8, arbitrary: fitting[property]! }, { weight: 1, arbitrary: loneSurrogateString }, { weight: 1, arbitrary: anyValue }, { weight: 1, arbitrary: fc.constant(undefined) });
}

/** The payload properties of {@link generatedPayloadSpec}, in table order. */
export const PAYLOAD_PROPERTIES = ['s', 't', 'j', 'n', 'i', 'u', 'd', 'b', 'f', 'm', 'req'] as const;

/** One enqueue call: a payload (up to three columns, or no object at all), maybe an id and a priority. */
export const payloadCase = fc.record({
  payload: fc.oneof(
    {
      // Up to three columns at a time, so that fitting payloads are common too.
      weight: 12,
      arbitrary: fc
        .tuple(fc.record(Object.fromEntries(PAYLOAD_PROPERTIES.map((p) => [p, columnValue(p)]))), fc.subarray([...PAYLOAD_PROPERTIES], { maxLength: 3 }))
        .map(([all, keys]) => Object.fromEntries(keys.map((k) => [k, all[k]])) as Record<string, unknown>),
    },
    { weight: 1, arbitrary: fc.dictionary(hostileString(3), fc.anything(), { maxKeys: 2 }) as fc.Arbitrary<unknown> }, // unknown keys
    { weight: 1, arbitrary: fc.constantFrom<unknown>(null, undefined, 5, 'payload', [], [{ s: 'x' }], new Map([['s', 'x']])) },
  ),
  id: fc.option(fc.oneof(anyId, fc.bigInt({ min: 1n, max: 2n ** 63n - 1n })), { nil: undefined, freq: 2 }),
  priority: fc.option(fc.oneof(fc.integer({ min: 0, max: 127 }), oddNumber, fc.constantFrom<unknown>('5', 5n, null)), { nil: undefined, freq: 2 }),
});

/** JSON-representable: JSON.stringify keeps it (no NaN/±Infinity, lone surrogate, Map, Set, function, typed array, invalid Date) and Vitess can decode it (no empty key). */
export function jsonRepresentable(value: unknown, inArray = false, seen = new Set<unknown>()): boolean {
  if (value === undefined) return !inArray;
  if (value === null || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value === 'string') return !hasLoneSurrogate(value);
  if (typeof value !== 'object') return false; // bigint, function, symbol
  if (seen.has(value)) return false; // circular
  if (value instanceof Date) return !Number.isNaN(value.getTime());
  if (Buffer.isBuffer(value)) return true; // its own toJSON
  if (value instanceof Map || value instanceof Set || value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return false;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return true;
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      for (let k = 0; k < value.length; k++) if (!(k in value) || !jsonRepresentable(value[k], true, seen)) return false;
      return true;
    }
    // An empty key: Vitess v0.24's binlog decoder crashes the tablet on `{"": null}`.
    return Object.keys(value).every((k) => k !== '' && !hasLoneSurrogate(k) && jsonRepresentable((value as Record<string, unknown>)[k], false, seen));
  } finally {
    seen.delete(value);
  }
}

/** Why a value can never be stored as given in this column (a typed error is owed), or undefined. */
export function mustRefuse(column: PayloadColumnSpec, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (value === null) return column.nullable ? undefined : 'null in a NOT NULL column';
  if (typeof value === 'number' && !Number.isFinite(value)) return 'a non-finite number';
  if (typeof value === 'string' && hasLoneSurrogate(value)) return 'a lone surrogate';
  const range = RANGES[column.property];
  if (range) {
    if (typeof value === 'number' && !Number.isSafeInteger(value)) return 'not a safe integer';
    if (typeof value === 'bigint' || typeof value === 'number' || (typeof value === 'string' && /^-?[0-9]+$/.test(value))) {
      const n = BigInt(value as string);
      if (n < range[0] || n > range[1]) return 'out of the column range';
    }
  }
  if (column.sqlType === 'json' && !jsonRepresentable(value)) return 'not representable as JSON';
  if (column.property === 'm') {
    const text = decimalText(value);
    if (text !== undefined) {
      const [int = '', frac = ''] = normalDecimal(text).replace(/^-/, '').split('.');
      if (frac.length > 10) return 'more fraction digits than decimal(30,10) keeps';
      if (int.replace(/^0$/, '').length > 20) return 'more integer digits than decimal(30,10) holds';
    }
  }
  return undefined;
}

/** A decimal value as text, when it is one (a finite number, a bigint, a plain decimal string). */
export function decimalText(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return plainDecimal(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string' && /^-?[0-9]+(\.[0-9]+)?$/.test(value)) return value;
  return undefined;
}

/** A decimal text in one canonical form: no leading or trailing zeros, no negative zero (`-001.50` → `-1.5`). */
export function normalDecimal(text: string): string {
  const negative = text.startsWith('-');
  let [int = '', frac = ''] = text.replace(/^-/, '').split('.');
  int = int.replace(/^0+/, '') || '0';
  frac = frac.replace(/0+$/, '');
  const body = frac ? `${int}.${frac}` : int;
  return negative && body !== '0' ? `-${body}` : body;
}

/** Asserts that `param` carries `value` for `column` without loss (the column would give the value back). */
export function assertLossless(column: PayloadColumnSpec, value: unknown, param: unknown): void {
  const what = `${column.property} ← ${describe(value)} as ${describe(param)}`;
  if (value === null) {
    assert.equal(param, null, what);
    return;
  }
  switch (column.property) {
    case 's':
    case 't':
    case 'req':
      assert.equal(typeof value, 'string', what);
      assert.equal(param, value, what);
      return;
    case 'j':
      assert.ok(jsonRepresentable(value), what);
      assert.equal(param, JSON.stringify(value), what);
      return;
    case 'n':
    case 'i':
    case 'u': {
      assert.ok(typeof value === 'bigint' || (typeof value === 'number' && Number.isSafeInteger(value)) || typeof value === 'string', what);
      assert.ok(typeof param === 'string' || typeof param === 'number', what);
      assert.equal(BigInt(param as string), BigInt(value as string), what);
      const [lo, hi] = RANGES[column.property]!;
      assert.ok(BigInt(param as string) >= lo && BigInt(param as string) <= hi, what);
      return;
    }
    case 'd':
      assert.ok(typeof value === 'number' && Number.isFinite(value), what);
      assert.equal(param, value, what);
      return;
    case 'b':
      assert.ok(value instanceof Uint8Array && Buffer.isBuffer(param), what);
      assert.ok(Buffer.from(value.buffer, value.byteOffset, value.byteLength).equals(param as Buffer), what);
      return;
    case 'f':
      assert.ok(value === true || value === false || value === 0 || value === 1, what);
      assert.equal(param, value, what);
      return;
    case 'm':
      assert.ok(decimalText(value) !== undefined && typeof param === 'string', what);
      assert.equal(normalDecimal(param as string), normalDecimal(decimalText(value)!), what);
      return;
    default:
      assert.fail(`no contract for column ${column.property}`);
  }
}

/** A short printable form of any value, for assertion messages. */
export function describe(value: unknown): string {
  try {
    if (typeof value === 'bigint') return `${value}n`;
    if (typeof value === 'symbol' || typeof value === 'function') return String(value);
    return (JSON.stringify(value) ?? String(value)).slice(0, 120);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
