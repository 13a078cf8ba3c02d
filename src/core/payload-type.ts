/**
 * The payload type a `defineMessageTable` spec infers from its column
 * declarations (type-level only: nothing here runs). It follows what enqueue
 * accepts at run time (`toColumnParam` in `payload.ts`), so a value the type
 * allows is one the library stores as given, and a decoded value of the
 * stream fits the same type.
 */
import type { ColumnInput } from './define';

/** Every value a column of an unrecognized type takes (`toColumnParam`'s fallback). */
type AnyColumnValue = string | number | boolean | bigint | Date | Buffer;

/** Types compared case-insensitively, as MySQL reads them. */
type Starts<T extends string, P extends string> = T extends `${P}${string}` ? true : false;

type ValueOfType<T extends string> =
  T extends 'json' ? unknown
  : Starts<T, 'bool' | 'tinyint(1)' | 'bit(1)'> extends true ? boolean
  // 64-bit integers as bigint or decimal string; numbers only up to 2^53 (checked when enqueued).
  : Starts<T, 'tinyint' | 'smallint' | 'mediumint' | 'int' | 'bigint'> extends true ? number | bigint | string
  : Starts<T, 'decimal' | 'numeric' | 'dec' | 'fixed'> extends true ? number | bigint | string
  : Starts<T, 'float' | 'double' | 'real'> extends true ? number
  : Starts<T, 'char' | 'varchar' | 'tinytext' | 'text' | 'mediumtext' | 'longtext' | 'enum' | 'set'> extends true ? string
  : Starts<T, 'year'> extends true ? number | string | Date
  : Starts<T, 'date' | 'time'> extends true ? Date | string
  : Starts<T, 'binary' | 'varbinary' | 'tinyblob' | 'blob' | 'mediumblob' | 'longblob' | 'bit'> extends true ? Buffer | Uint8Array
  : AnyColumnValue;

type TrimStart<S extends string> = S extends ` ${infer R}` ? TrimStart<R> : S;
/** A value that needs no unescaping (no quote, no backslash); anything else widens the enum to `string`. */
type PlainValue<V extends string> = V extends `${string}'${string}` | `${string}\\${string}` ? string : V;
/** `'a','b'` (spaces allowed after commas) → `'a' | 'b'`. */
type EnumValues<B extends string> =
  B extends `'${infer V}',${infer Rest}` ? PlainValue<V> | EnumValues<TrimStart<Rest>>
  : B extends `'${infer V}'` ? PlainValue<V>
  : string;
/** An `enum('a','b')` type's values as a union (stored as declared, MySQL refuses others); other types: never. */
type EnumOf<T extends string> = Lowercase<T> extends `enum${string}`
  ? T extends `${string}(${infer Body})` ? EnumValues<TrimStart<Body>> : string
  : never;

/**
 * The TypeScript type of a value for a column of SQL type `T`, e.g.
 * `'varchar(320)'` → `string`, `'json'` → `unknown`, `'bigint'` →
 * `number | bigint | string`, `'datetime(6)'` → `Date | string`,
 * `"enum('a','b')"` → `'a' | 'b'`.
 */
export type SqlTypeValue<T extends string> = string extends T
  ? unknown
  : [EnumOf<T>] extends [never] ? ValueOfType<Lowercase<T>> : EnumOf<T>;

type IsNullable<C> = C extends { readonly nullable: true } ? true : false;
/** Left out of a payload: a nullable column, or one with a DDL default. */
type IsOptional<C> = IsNullable<C> extends true ? true : C extends { readonly default: string } ? true : false;
/** Never part of a payload: MySQL computes it. */
type IsGenerated<C> = C extends { readonly asExpression: string } ? true : false;

/** The value type of one column declaration (`'varchar(320)'` or `{ type, nullable?, … }`). */
export type ColumnValue<C> = C extends string
  ? SqlTypeValue<C>
  : C extends { readonly type: infer T extends string }
    ? SqlTypeValue<T> | (IsNullable<C> extends true ? null : never)
    : unknown;

type RequiredKeys<Cols> = { [K in keyof Cols]-?: IsGenerated<Cols[K]> extends true ? never : IsOptional<Cols[K]> extends true ? never : K }[keyof Cols];
type OptionalKeys<Cols> = { [K in keyof Cols]-?: IsGenerated<Cols[K]> extends true ? never : IsOptional<Cols[K]> extends true ? K : never }[keyof Cols];

/**
 * The payload type of a table from its `columns`: NOT NULL columns without a
 * default are required, nullable ones (`| null`) and those with a default are
 * optional, generated columns (`asExpression`) are absent.
 */
export type InferPayload<Cols extends Readonly<Record<string, ColumnInput>>> = {
  -readonly [K in RequiredKeys<Cols> & string]: ColumnValue<Cols[K]>;
} & {
  -readonly [K in OptionalKeys<Cols> & string]?: ColumnValue<Cols[K]>;
} extends infer O ? { [K in keyof O]: O[K] } : never;
