/**
 * A Prisma field → a column declaration of `defineMessageTable` (MySQL type,
 * nullability, default, name), following Prisma's own MySQL mapping so that
 * the table we create is the one `prisma migrate diff` expects: `String` →
 * `varchar(191)`, `DateTime` → `datetime(3)`, `Boolean` → `tinyint(1)`, … and
 * every `@db.*` native type. What Prisma fills in on the client side
 * (`@default(uuid())`, `@updatedAt`, …) is refused: enqueue writes rows with
 * its own INSERT, which never runs Prisma's client.
 */
import type { ColumnInput } from '../core/define';
import { sqlStringLiteral } from '../core/sql/string-literal';
import type { PrismaArg, PrismaEnum, PrismaField, PrismaValue } from './schema-parser';
import { PrismaSchemaError } from './prisma-schema-error';

/** Prisma's MySQL type of a scalar without a native type attribute. */
const DEFAULT_TYPES: Readonly<Record<string, string>> = {
  String: 'varchar(191)',
  Boolean: 'tinyint(1)',
  Int: 'int',
  BigInt: 'bigint',
  Float: 'double',
  Decimal: 'decimal(65,30)',
  DateTime: 'datetime(3)',
  Json: 'json',
  Bytes: 'longblob',
};

/** `@db.X` natives per scalar, and how many numeric arguments each takes (min, max). */
const NATIVE_TYPES: Readonly<Record<string, Readonly<Record<string, readonly [string, number, number]>>>> = {
  String: {
    VarChar: ['varchar', 1, 1], Char: ['char', 1, 1], TinyText: ['tinytext', 0, 0], Text: ['text', 0, 0],
    MediumText: ['mediumtext', 0, 0], LongText: ['longtext', 0, 0],
  },
  Int: {
    Int: ['int', 0, 0], UnsignedInt: ['int unsigned', 0, 0], SmallInt: ['smallint', 0, 0], UnsignedSmallInt: ['smallint unsigned', 0, 0],
    MediumInt: ['mediumint', 0, 0], UnsignedMediumInt: ['mediumint unsigned', 0, 0], TinyInt: ['tinyint', 0, 0],
    UnsignedTinyInt: ['tinyint unsigned', 0, 0], Year: ['year', 0, 0],
  },
  BigInt: { BigInt: ['bigint', 0, 0], UnsignedBigInt: ['bigint unsigned', 0, 0] },
  Float: { Float: ['float', 0, 0], Double: ['double', 0, 0] },
  Decimal: { Decimal: ['decimal', 2, 2] },
  Boolean: { TinyInt: ['tinyint', 1, 1], Bit: ['bit', 1, 1] },
  DateTime: { DateTime: ['datetime', 0, 1], Timestamp: ['timestamp', 0, 1], Date: ['date', 0, 0], Time: ['time', 0, 1] },
  Bytes: {
    Binary: ['binary', 1, 1], VarBinary: ['varbinary', 1, 1], TinyBlob: ['tinyblob', 0, 0], Blob: ['blob', 0, 0],
    MediumBlob: ['mediumblob', 0, 0], LongBlob: ['longblob', 0, 0], Bit: ['bit', 1, 1],
  },
  Json: { Json: ['json', 0, 0] },
};

/** Field attributes the payload mapping reads; `@unique` becomes an index (see message-models). */
const PAYLOAD_ATTRIBUTES = new Set(['map', 'default', 'unique']);

/** The column's name in the database: `@map("…")`, else the field's name. */
export function columnName(field: PrismaField, model: string): string {
  const map = field.attributes.find((a) => a.name === 'map');
  if (!map) return field.name;
  const v = map.args?.[0]?.value;
  if (v?.kind !== 'string') throw new PrismaSchemaError(`field ${field.name}: @map needs a string`, field.line, model);
  return v.value;
}

/** The `@db.*` attribute of a field, if any. */
export function nativeAttribute(field: PrismaField): { name: string; args: readonly PrismaArg[] } | undefined {
  const a = field.attributes.find((x) => x.name.startsWith('db.'));
  return a ? { name: a.name.slice(3), args: a.args ?? [] } : undefined;
}

/** The MySQL type of a scalar field, from its Prisma type and `@db.*` attribute. */
export function mysqlType(field: PrismaField, model: string): string {
  const native = nativeAttribute(field);
  if (!native) {
    const t = DEFAULT_TYPES[field.type];
    if (!t) throw new PrismaSchemaError(`field ${field.name}: type ${field.type} is not supported in a message table`, field.line, model);
    return t;
  }
  const entry = NATIVE_TYPES[field.type]?.[native.name];
  if (!entry) {
    const known = Object.keys(NATIVE_TYPES[field.type] ?? {}).map((n) => `@db.${n}`).join(', ') || 'none';
    throw new PrismaSchemaError(`field ${field.name}: @db.${native.name} is not supported for ${field.type} (supported: ${known})`, field.line, model);
  }
  const [sql, min, max] = entry;
  const nums = native.args.map((a) => (a.name === undefined && a.value.kind === 'number' && /^[0-9]+$/.test(a.value.value) ? a.value.value : undefined));
  if (nums.some((n) => n === undefined) || nums.length < min || nums.length > max) {
    throw new PrismaSchemaError(`field ${field.name}: @db.${native.name} takes ${min === max ? min : `${min} to ${max}`} integer argument(s)`, field.line, model);
  }
  return nums.length ? `${sql}(${nums.join(',')})` : sql;
}

function sqlString(text: string, field: PrismaField, model: string): string {
  // The DDL default is checked as a plain fragment: no backslash, no line break.
  if (/[\\\n\r\u0000]/.test(text)) throw new PrismaSchemaError(`field ${field.name}: a default with a backslash or a line break is not supported`, field.line, model);
  return sqlStringLiteral(text);
}

/** `@default(…)` as a DDL default expression, or undefined when there is none. */
function ddlDefault(field: PrismaField, model: string, sqlType: string, enumType: PrismaEnum | undefined): string | undefined {
  const attr = field.attributes.find((a) => a.name === 'default');
  if (!attr) return undefined;
  const v: PrismaValue | undefined = attr.args?.find((a) => a.name === undefined || a.name === 'value')?.value;
  const refuse = (why: string): never => {
    throw new PrismaSchemaError(`field ${field.name}: @default ${why}`, field.line, model);
  };
  if (!v) return refuse('needs a value');
  if (field.type === 'Json') return refuse('on a Json field is not supported (MySQL needs an expression default there)');
  if (v.kind === 'call') {
    if (v.name === 'now' && field.type === 'DateTime') {
      const m = /^(?:datetime|timestamp)(?:\((\d)\))?$/.exec(sqlType);
      if (!m) return refuse('(now()) is supported on datetime and timestamp columns only');
      return m[1] && m[1] !== '0' ? `CURRENT_TIMESTAMP(${m[1]})` : 'CURRENT_TIMESTAMP';
    }
    return refuse(`(${v.name}()) is not supported: Prisma computes it in its client, and enqueue writes rows with its own INSERT`);
  }
  if (enumType) {
    if (v.kind !== 'name') return refuse('must be one of the enum values');
    const value = enumType.values.find((e) => e.name === v.value);
    if (!value) return refuse(`names no value of enum ${enumType.name}`);
    return sqlString(value.dbName, field, model);
  }
  if (v.kind === 'string' && field.type === 'String') return sqlString(v.value, field, model);
  if (v.kind === 'number' && ['Int', 'BigInt', 'Float', 'Decimal'].includes(field.type)) return v.value;
  if (v.kind === 'name' && field.type === 'Boolean' && (v.value === 'true' || v.value === 'false')) return v.value === 'true' ? '1' : '0';
  return refuse(`value does not fit a ${field.type} field, or is not supported`);
}

/**
 * The `defineMessageTable` column of a payload field. Refuses lists, relations,
 * `Unsupported(…)`, client-side defaults and attributes other than `@map`,
 * `@default`, `@unique` and `@db.*`.
 */
export function payloadColumn(field: PrismaField, model: string, enums: readonly PrismaEnum[], models: ReadonlySet<string>): ColumnInput {
  const where = `field ${field.name}`;
  if (models.has(field.type)) throw new PrismaSchemaError(`${where}: relation fields are not supported in a message table (store the related id in a scalar field)`, field.line, model);
  if (field.list) throw new PrismaSchemaError(`${where}: list fields are not supported (MySQL has no scalar lists; use Json)`, field.line, model);
  if (field.type === 'Unsupported') throw new PrismaSchemaError(`${where}: Unsupported(…) fields are not supported`, field.line, model);
  for (const a of field.attributes) {
    if (!PAYLOAD_ATTRIBUTES.has(a.name) && !a.name.startsWith('db.')) {
      const why = a.name === 'updatedAt' ? ' (Prisma sets it in its client; enqueue writes rows with its own INSERT)' : a.name === 'id' ? ' (the id of a message table is the bookkeeping field id)' : '';
      throw new PrismaSchemaError(`${where}: @${a.name} is not supported on a payload field${why}`, field.line, model);
    }
  }
  const enumType = enums.find((e) => e.name === field.type);
  let sqlType: string;
  if (enumType) {
    if (nativeAttribute(field)) throw new PrismaSchemaError(`${where}: an enum field takes no @db.* type`, field.line, model);
    sqlType = `enum(${enumType.values.map((v) => sqlString(v.dbName, field, model)).join(',')})`;
  } else {
    sqlType = mysqlType(field, model);
  }
  const name = columnName(field, model);
  const dflt = ddlDefault(field, model, sqlType, enumType);
  // A NOT NULL column with nothing else is written as its bare type, as users write it.
  if (!field.optional && dflt === undefined && name === field.name) return sqlType;
  return {
    type: sqlType,
    ...(field.optional ? { nullable: true } : {}),
    ...(dflt !== undefined ? { default: dflt } : {}),
    ...(name !== field.name ? { name } : {}),
  };
}
