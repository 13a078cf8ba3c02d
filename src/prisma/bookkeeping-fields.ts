/**
 * The bookkeeping fields a Prisma message model declares, so that Prisma's own
 * diff (`prisma migrate dev`, `db pull`) sees the table as we create it and
 * keeps its columns and `poller_idx`. The generator checks them against these
 * and refuses a model whose fields differ.
 */
import { BOOKKEEPING_COLUMNS } from '../core/define';
import { BOOKKEEPING, POLLER_INDEX } from '../core/spec';
import { columnName, mysqlType } from './prisma-column';
import { PrismaSchemaError } from './prisma-schema-error';
import type { PrismaField, PrismaModel, PrismaValue } from './schema-parser';

/** What users paste into a message model: the same columns as `BOOKKEEPING_COLUMNS`, in Prisma's words. */
export const PRISMA_BOOKKEEPING_SNIPPET = `  id            BigInt  @id
  priority      Int     @default(50) @db.TinyInt
  epoch         BigInt  @default(0)
  timeNext      BigInt? @default(0) @map("time_next")
  timeAcked     BigInt? @map("time_acked")
  failureReason String? @map("failure_reason") @db.Text
  enqueuedAt    BigInt? @map("enqueued_at")
  failedAt      BigInt? @map("failed_at")

  @@index([timeAcked, priority, timeNext(sort: Desc)], map: "${POLLER_INDEX}")`;

interface Expected {
  readonly column: string;
  readonly type: 'BigInt' | 'Int' | 'String';
  readonly optional: boolean;
  /** The MySQL type Prisma gives it (`@db.*` or the default). */
  readonly sqlType: string;
  readonly default?: string;
  readonly id?: true;
}

/** The Prisma scalar type of each SQL type the bookkeeping columns use. */
const PRISMA_TYPE: Readonly<Record<string, Expected['type']>> = { bigint: 'BigInt', tinyint: 'Int', text: 'String' };

/** `BOOKKEEPING_COLUMNS` in Prisma's words: its types, nullability and defaults are the ones checked. */
const EXPECTED: readonly Expected[] = BOOKKEEPING_COLUMNS.map((c) => {
  const type = PRISMA_TYPE[c.sqlType];
  if (type === undefined) throw new Error(`no Prisma type for the bookkeeping column ${c.name} (${c.sqlType})`);
  return {
    column: c.name,
    type,
    optional: c.nullable,
    sqlType: c.sqlType,
    // A DDL default (`'50'`) as Prisma writes it (`@default(50)`).
    ...(c.default !== undefined ? { default: c.default.replace(/^'(.*)'$/, '$1') } : {}),
    ...(c.name === BOOKKEEPING.id ? { id: true as const } : {}),
  };
});

/** Column names of the bookkeeping fields. */
export const BOOKKEEPING_COLUMN_NAMES: ReadonlySet<string> = new Set(EXPECTED.map((e) => e.column));

function describeExpected(e: Expected): string {
  return `${e.type}${e.optional ? '?' : ''}${e.id ? ' @id' : ''}${e.default !== undefined ? ` @default(${e.default})` : ''} (${e.sqlType})`;
}

function numberDefault(field: PrismaField): string | undefined {
  const v: PrismaValue | undefined = field.attributes.find((a) => a.name === 'default')?.args?.[0]?.value;
  return v?.kind === 'number' ? v.value : v ? '?' : undefined;
}

/**
 * Checks the model's bookkeeping fields (found by column name) against the
 * canonical ones: Prisma type, `?`, MySQL type, default and `@id`, plus the
 * `poller_idx` index. Returns the names of the fields it checked.
 *
 * @throws PrismaSchemaError naming the field and what differs, with the snippet to paste.
 */
export function checkBookkeepingFields(model: PrismaModel): Set<string> {
  const byColumn = new Map(model.fields.map((f) => [columnName(f, model.name), f]));
  const fail = (message: string, line = model.line): never => {
    throw new PrismaSchemaError(`${message}. A message model declares these bookkeeping fields, exactly:\n${PRISMA_BOOKKEEPING_SNIPPET}`, line, model.name);
  };
  const checked = new Set<string>();
  for (const e of EXPECTED) {
    const f = byColumn.get(e.column);
    if (!f) return fail(`has no field for the bookkeeping column ${e.column}`);
    const got = {
      type: f.type,
      optional: f.optional,
      sqlType: f.type === e.type && !f.list ? mysqlType(f, model.name) : '?',
      default: numberDefault(f),
      id: f.attributes.some((a) => a.name === 'id'),
    };
    const others = f.attributes.filter((a) => !['map', 'default', 'id'].includes(a.name) && !a.name.startsWith('db.'));
    if (
      got.type !== e.type || f.list || got.optional !== e.optional || got.sqlType !== e.sqlType ||
      got.default !== e.default || got.id !== (e.id === true) || others.length > 0
    ) {
      fail(`field ${f.name} (column ${e.column}) differs from the bookkeeping column: expected ${describeExpected(e)}, got ${f.type}${f.list ? '[]' : ''}${f.optional ? '?' : ''}${f.attributes.map((a) => ` @${a.name}`).join('')} (${got.sqlType})`, f.line);
    }
    checked.add(f.name);
  }
  for (const a of model.attributes) {
    if (a.name === 'id') fail('declares @@id; the primary key of a message table is its id field', a.line);
  }
  if (!model.attributes.some((a) => a.name === 'index' && isPollerIndex(a.args ?? [], model, byColumn))) {
    fail(`has no @@index([timeAcked, priority, timeNext(sort: Desc)], map: "${POLLER_INDEX}") on the bookkeeping fields`);
  }
  return checked;
}

/** Whether `@@index(args)` is poller_idx: (time_acked, priority, time_next DESC), named poller_idx. */
function isPollerIndex(args: readonly { name?: string; value: PrismaValue }[], model: PrismaModel, byColumn: Map<string, PrismaField>): boolean {
  const fields = args.find((a) => a.name === undefined || a.name === 'fields')?.value;
  const map = args.find((a) => a.name === 'map' || a.name === 'name')?.value;
  if (fields?.kind !== 'array' || map?.kind !== 'string' || map.value !== POLLER_INDEX) return false;
  const want: Array<[string, boolean]> = [[BOOKKEEPING.timeAcked, false], [BOOKKEEPING.priority, false], [BOOKKEEPING.timeNext, true]];
  if (fields.items.length !== want.length) return false;
  return fields.items.every((item, i) => {
    const [column, desc] = want[i]!;
    const name = item.kind === 'name' ? item.value : item.kind === 'call' ? item.name : undefined;
    const field = name === undefined ? undefined : model.fields.find((f) => f.name === name);
    if (!field || byColumn.get(column) !== field) return false;
    const sort = item.kind === 'call' ? item.args.find((a) => a.name === 'sort')?.value : undefined;
    const extra = item.kind === 'call' ? item.args.filter((a) => a.name !== 'sort') : [];
    return extra.length === 0 && (desc ? sort?.kind === 'name' && sort.value === 'Desc' : sort === undefined || (sort.kind === 'name' && sort.value === 'Asc'));
  });
}
