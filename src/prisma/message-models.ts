/**
 * Prisma models marked as message tables → `defineMessageTable` inputs and
 * specs. A model is a message table when its documentation comment holds
 * `@vitess.message(…)`:
 *
 * ```prisma
 * /// @vitess.message(ackWait: "1m", keyspace: "commerce")
 * model EmailJob {
 *   …the bookkeeping fields (PRISMA_BOOKKEEPING_SNIPPET)…
 *   recipient String @db.VarChar(320)
 *   body      Json?
 *   @@map("email_job")
 * }
 * ```
 */
import { defineMessageTable, type ColumnInput, type DefineMessageTableInput } from '../core/define';
import { InvalidOptionError } from '../core/errors';
import { TABLE_OPTION_NAMES } from '../core/options';
import type { MessageTableSpec } from '../core/spec';
import { checkBookkeepingFields } from './bookkeeping-fields';
import { columnName, payloadColumn } from './prisma-column';
import { PrismaSchemaError } from './prisma-schema-error';
import { parseArguments, parsePrismaSchema, type PrismaArg, type PrismaAttribute, type PrismaModel, type PrismaSchema, type PrismaValue } from './schema-parser';

/** The marker in a model's `///` documentation. */
export const MESSAGE_MARKER = '@vitess.message';

/** Marker arguments besides the table options (`ackWait`, `batchSize`, …). */
const MARKER_NAMES = ['keyspace', 'vindex', 'vindexType', 'streamedColumns'] as const;

/** One message model of a schema. */
export interface PrismaMessageTable {
  /** The model's name (`EmailJob`). */
  readonly model: string;
  /** Its Prisma client delegate name (`emailJob`): the export name of its spec and its key in `vitessMessages`. */
  readonly key: string;
  /** What `defineMessageTable` is given (the generated module writes exactly this). */
  readonly input: DefineMessageTableInput;
  /** `defineMessageTable(input)`: the table as the library uses it. */
  readonly spec: MessageTableSpec;
}

/** `EmailJob` → `emailJob`, as Prisma names a model's delegate. */
export function delegateName(model: string): string {
  return model.charAt(0).toLowerCase() + model.slice(1);
}

/**
 * The message tables of a `schema.prisma` text, in model order. Unmarked
 * models are left alone.
 *
 * @throws PrismaSchemaError for what it cannot read or support (with the line
 *   and model), bookkeeping fields that differ from the canonical ones, and
 *   bad options (wrapping the {@link InvalidOptionError}).
 */
export function messageTablesFromPrismaSchema(text: string): PrismaMessageTable[] {
  const schema = parsePrismaSchema(text);
  if (schema.provider !== undefined && schema.provider !== 'mysql') {
    throw new PrismaSchemaError(`the datasource provider is ${JSON.stringify(schema.provider)}; message tables need "mysql" (vtgate speaks the MySQL protocol)`);
  }
  return schema.models.filter(isMessageModel).map((m) => messageTable(m, schema));
}

function isMessageModel(model: PrismaModel): boolean {
  return model.documentation.some((d) => d.startsWith(MESSAGE_MARKER));
}

function markerArgs(model: PrismaModel): PrismaArg[] {
  const lines = model.documentation.filter((d) => d.startsWith(MESSAGE_MARKER));
  if (lines.length > 1) throw new PrismaSchemaError(`has ${MESSAGE_MARKER} twice`, model.line, model.name);
  const rest = lines[0]!.slice(MESSAGE_MARKER.length).trim();
  if (rest === '') return [];
  // The documentation line sits just above the model (or above other doc lines).
  return parseArguments(rest, model.line - 1);
}

function plain(v: PrismaValue, model: PrismaModel, option: string): string | number | boolean | string[] {
  if (v.kind === 'string') return v.value;
  if (v.kind === 'number') return Number(v.value);
  if (v.kind === 'name' && (v.value === 'true' || v.value === 'false')) return v.value === 'true';
  if (v.kind === 'array' && v.items.every((i) => i.kind === 'string')) return v.items.map((i) => (i as { value: string }).value);
  throw new PrismaSchemaError(`${MESSAGE_MARKER} option ${option} must be a string, a number, true/false or a list of strings`, model.line - 1, model.name);
}

function tableName(model: PrismaModel): string {
  const map = model.attributes.find((a) => a.name === 'map');
  if (!map) return model.name;
  const v = map.args?.[0]?.value;
  if (v?.kind !== 'string') throw new PrismaSchemaError('@@map needs a string', map.line, model.name);
  return v.value;
}

/** Field names of an index's `[a, b]` list, refusing per-field options (length, sort) the DDL does not carry. */
function indexFields(attr: PrismaAttribute, model: PrismaModel): string[] {
  const fields = attr.args?.find((a) => a.name === undefined || a.name === 'fields')?.value;
  if (fields?.kind !== 'array') throw new PrismaSchemaError(`@@${attr.name} needs a list of fields`, attr.line, model.name);
  return fields.items.map((item) => {
    if (item.kind !== 'name') throw new PrismaSchemaError(`@@${attr.name}: per-field index options (length, sort) are not supported on payload indexes`, attr.line, model.name);
    const field = model.fields.find((f) => f.name === item.value);
    if (!field) throw new PrismaSchemaError(`@@${attr.name} names an unknown field ${item.value}`, attr.line, model.name);
    return columnName(field, model.name);
  });
}

/** Prisma's default index names on MySQL: `{table}_{columns}_key` (unique) or `_idx`. */
function indexName(attr: PrismaAttribute, table: string, columns: readonly string[], unique: boolean): string {
  const map = attr.args?.find((a) => a.name === 'map' || a.name === 'name')?.value;
  if (map?.kind === 'string') return map.value;
  return `${table}_${columns.join('_')}_${unique ? 'key' : 'idx'}`;
}

function messageTable(model: PrismaModel, schema: PrismaSchema): PrismaMessageTable {
  const bookkeeping = checkBookkeepingFields(model);
  const table = tableName(model);
  const models = new Set(schema.models.map((m) => m.name));
  const columns: Record<string, ColumnInput> = {};
  const indexes: Array<NonNullable<DefineMessageTableInput['indexes']>[number]> = [];
  for (const field of model.fields) {
    if (bookkeeping.has(field.name)) continue;
    columns[field.name] = payloadColumn(field, model.name, schema.enums, models);
    const unique = field.attributes.find((a) => a.name === 'unique');
    if (unique) {
      const column = columnName(field, model.name);
      indexes.push({ name: indexName(unique, table, [column], true), columns: [column], unique: true });
    }
  }
  for (const attr of model.attributes) {
    if (attr.name === 'map') continue;
    if (attr.name === 'index' || attr.name === 'unique' || attr.name === 'fulltext') {
      const args = attr.args ?? [];
      if (attr.name === 'index' && args.some((a) => a.name === 'map' && a.value.kind === 'string' && a.value.value === 'poller_idx')) continue;
      const extra = args.filter((a) => a.name !== undefined && !['fields', 'map', 'name'].includes(a.name));
      if (extra.length > 0) throw new PrismaSchemaError(`@@${attr.name}: argument ${extra[0]!.name} is not supported`, attr.line, model.name);
      const cols = indexFields(attr, model);
      const unique = attr.name === 'unique';
      indexes.push({ name: indexName(attr, table, cols, unique), columns: cols, ...(unique ? { unique: true } : {}), ...(attr.name === 'fulltext' ? { fulltext: true } : {}) });
      continue;
    }
    throw new PrismaSchemaError(`@@${attr.name} is not supported on a message model`, attr.line, model.name);
  }

  const input: Record<string, unknown> = { table };
  const options: Record<string, unknown> = {};
  for (const arg of markerArgs(model)) {
    if (arg.name === undefined) throw new PrismaSchemaError(`${MESSAGE_MARKER} takes named options only, e.g. (ackWait: "1m")`, model.line - 1, model.name);
    if (!(MARKER_NAMES as readonly string[]).includes(arg.name) && !TABLE_OPTION_NAMES.includes(arg.name)) {
      throw new PrismaSchemaError(`${MESSAGE_MARKER} has an unknown option ${arg.name} (known: ${[...MARKER_NAMES, ...TABLE_OPTION_NAMES].join(', ')})`, model.line - 1, model.name);
    }
    options[arg.name] = plain(arg.value, model, arg.name);
  }
  const { keyspace, vindex, vindexType, streamedColumns, ...tableOptions } = options;
  if (keyspace !== undefined) input.keyspace = keyspace;
  input.columns = columns;
  if (indexes.length > 0) input.indexes = indexes;
  if (streamedColumns !== undefined) input.streamedColumns = streamedColumns;
  if (vindex === false) input.vindex = false;
  else if (vindex !== undefined || vindexType !== undefined) {
    input.vindex = { ...(vindex !== undefined ? { column: vindex } : {}), ...(vindexType !== undefined ? { type: vindexType } : {}) };
  }
  Object.assign(input, tableOptions);

  let spec: MessageTableSpec;
  try {
    spec = defineMessageTable(input as unknown as DefineMessageTableInput);
  } catch (err) {
    if (err instanceof InvalidOptionError) throw new PrismaSchemaError(err.message, model.line, model.name, { cause: err });
    throw err;
  }
  return { model: model.name, key: delegateName(model.name), input: input as unknown as DefineMessageTableInput, spec };
}
