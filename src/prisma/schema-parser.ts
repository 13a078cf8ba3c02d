/**
 * A small reader of `schema.prisma`, for the subset message tables need:
 * `model` and `enum` blocks, fields (`name Type`, `?`, `[]`), field attributes
 * (`@id`, `@default(…)`, `@map("…")`, `@unique`, `@db.VarChar(320)`, …), block
 * attributes (`@@map`, `@@index`, `@@unique`, `@@fulltext`, …) and `///`
 * documentation comments. Other blocks (`generator`, `datasource`, `view`,
 * `type`) are skipped. It reads what is written; whether the generator
 * supports it is decided later (`message-models.ts`), with a clear refusal.
 * Prisma's own parser ships as WebAssembly inside the `prisma` CLI bundle, not
 * as an API; this keeps the generator free of it.
 */
import { PrismaSchemaError } from './prisma-schema-error';

/** A value in an attribute's arguments. */
export type PrismaValue =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'number'; readonly value: string }
  /** A name: `true`, `Desc`, an enum value, a field name. */
  | { readonly kind: 'name'; readonly value: string }
  | { readonly kind: 'array'; readonly items: readonly PrismaValue[] }
  /** `now()`, `timeNext(sort: Desc)`, `dbgenerated("…")`. */
  | { readonly kind: 'call'; readonly name: string; readonly args: readonly PrismaArg[] };

/** One argument: positional (`name` absent) or named (`map: "x"`). */
export interface PrismaArg {
  readonly name?: string;
  readonly value: PrismaValue;
}

/** `@default(0)`, `@db.VarChar(320)`, `@@index([a, b], map: "x")`: the name without `@`/`@@`. */
export interface PrismaAttribute {
  readonly name: string;
  /** Absent when written without parentheses (`@id`). */
  readonly args?: readonly PrismaArg[];
  readonly line: number;
}

export interface PrismaField {
  readonly name: string;
  /** The type name: `String`, `BigInt`, an enum's or a model's name, `Unsupported`. */
  readonly type: string;
  readonly optional: boolean;
  readonly list: boolean;
  readonly attributes: readonly PrismaAttribute[];
  /** `///` lines above the field, without the slashes. */
  readonly documentation: readonly string[];
  readonly line: number;
}

export interface PrismaModel {
  readonly name: string;
  readonly fields: readonly PrismaField[];
  readonly attributes: readonly PrismaAttribute[];
  /** `///` lines above the model, without the slashes. */
  readonly documentation: readonly string[];
  readonly line: number;
}

export interface PrismaEnum {
  readonly name: string;
  /** Each value's name and its database name (`@map`, else the name). */
  readonly values: ReadonlyArray<{ readonly name: string; readonly dbName: string }>;
  readonly line: number;
}

export interface PrismaSchema {
  readonly models: readonly PrismaModel[];
  readonly enums: readonly PrismaEnum[];
  /** `provider` of the `datasource` block, when there is one. */
  readonly provider?: string;
}

/** A cursor over one line's text (attributes never span lines in Prisma's grammar). */
class Cursor {
  pos = 0;
  constructor(readonly text: string, readonly line: number) {}

  fail(message: string): never {
    throw new PrismaSchemaError(`${message} (at column ${this.pos + 1}: ${JSON.stringify(this.text.trim())})`, this.line);
  }
  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }
  peek(): string {
    this.skipSpace();
    return this.text[this.pos] ?? '';
  }
  atEnd(): boolean {
    this.skipSpace();
    return this.pos >= this.text.length || this.text.startsWith('//', this.pos);
  }
  expect(ch: string): void {
    if (this.peek() !== ch) this.fail(`expected '${ch}'`);
    this.pos++;
  }
  /** A name, dots allowed (`db.VarChar`, `vitess.message`). */
  name(): string {
    this.skipSpace();
    const m = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*/.exec(this.text.slice(this.pos));
    if (!m) this.fail('expected a name');
    this.pos += m[0].length;
    return m[0];
  }
  string(): string {
    this.expect('"');
    let out = '';
    for (;;) {
      const ch = this.text[this.pos++];
      if (ch === undefined) this.fail('unterminated string');
      if (ch === '"') return out;
      if (ch === '\\') {
        const next = this.text[this.pos++];
        if (next === '"' || next === '\\') out += next;
        else if (next === 'n') out += '\n';
        else if (next === 't') out += '\t';
        else this.fail(`unsupported escape \\${next ?? ''} in a string`);
      } else {
        out += ch;
      }
    }
  }
  value(): PrismaValue {
    const ch = this.peek();
    if (ch === '"') return { kind: 'string', value: this.string() };
    if (ch === '[') {
      this.pos++;
      const items: PrismaValue[] = [];
      while (this.peek() !== ']') {
        items.push(this.value());
        if (this.peek() === ',') this.pos++;
        else if (this.peek() !== ']') this.fail("expected ',' or ']'");
      }
      this.pos++;
      return { kind: 'array', items };
    }
    const num = /^-?[0-9]+(?:\.[0-9]+)?/.exec(this.text.slice(this.pos));
    if (num) {
      this.pos += num[0].length;
      return { kind: 'number', value: num[0] };
    }
    const name = this.name();
    if (this.peek() === '(') return { kind: 'call', name, args: this.args() };
    return { kind: 'name', value: name };
  }
  /** `( [name:] value, … )` */
  args(): PrismaArg[] {
    this.expect('(');
    const args: PrismaArg[] = [];
    while (this.peek() !== ')') {
      const save = this.pos;
      let name: string | undefined;
      const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*:/.exec(this.text.slice(this.pos));
      if (m) {
        name = m[1];
        this.pos += m[0].length;
      } else {
        this.pos = save;
      }
      args.push(name !== undefined ? { name, value: this.value() } : { value: this.value() });
      if (this.peek() === ',') this.pos++;
      else if (this.peek() !== ')') this.fail("expected ',' or ')'");
    }
    this.pos++;
    return args;
  }
  /** `@name` / `@@name` with optional arguments; the `@`s already read. */
  attribute(): PrismaAttribute {
    const name = this.name();
    // No space between the name and its parentheses in Prisma's grammar, but be lenient.
    if (this.peek() === '(') return { name, args: this.args(), line: this.line };
    return { name, line: this.line };
  }
}

/** Reads the `@vitess.message(…)`-style arguments of a documentation line: `(ackWait: "1m", keyspace: "commerce")`. */
export function parseArguments(text: string, line: number): PrismaArg[] {
  const c = new Cursor(text, line);
  const args = c.args();
  if (!c.atEnd()) c.fail('unexpected text after the arguments');
  return args;
}

const BLOCK = /^(model|enum|generator|datasource|view|type)\s+([A-Za-z_][A-Za-z0-9_]*)\s*\{\s*(?:\/\/.*)?$/;

/**
 * Parses `schema.prisma` text. Throws {@link PrismaSchemaError} (with the line)
 * on what it cannot read.
 */
export function parsePrismaSchema(text: string): PrismaSchema {
  const lines = text.split(/\r?\n/);
  const models: PrismaModel[] = [];
  const enums: PrismaEnum[] = [];
  let provider: string | undefined;
  let docs: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const trimmed = raw.trim();
    const lineNo = i + 1;
    if (trimmed.startsWith('///')) {
      docs.push(trimmed.slice(3).trim());
      continue;
    }
    if (trimmed === '' || trimmed.startsWith('//')) {
      if (trimmed === '') docs = [];
      continue;
    }
    const block = BLOCK.exec(trimmed);
    if (!block) throw new PrismaSchemaError(`expected a block (model, enum, generator, datasource, view, type), got ${JSON.stringify(trimmed)}`, lineNo);
    const [, kind, name] = block as unknown as [string, string, string];
    const body: Array<{ text: string; line: number }> = [];
    let closed = false;
    for (i++; i < lines.length; i++) {
      const t = lines[i]!.trim();
      if (t === '}' || /^\}\s*\/\//.test(t)) {
        closed = true;
        break;
      }
      body.push({ text: lines[i]!, line: i + 1 });
    }
    if (!closed) throw new PrismaSchemaError(`${kind} ${name} is not closed with '}'`, lineNo);
    if (kind === 'model') models.push(parseModel(name, body, docs, lineNo));
    else if (kind === 'enum') enums.push(parseEnum(name, body, lineNo));
    else if (kind === 'datasource') {
      const p = body.map((b) => /^\s*provider\s*=\s*"([^"]*)"/.exec(b.text)).find(Boolean);
      if (p) provider = p[1];
    }
    docs = [];
  }
  return { models, enums, ...(provider !== undefined ? { provider } : {}) };
}

function parseModel(name: string, body: ReadonlyArray<{ text: string; line: number }>, documentation: readonly string[], line: number): PrismaModel {
  const fields: PrismaField[] = [];
  const attributes: PrismaAttribute[] = [];
  let docs: string[] = [];
  for (const { text, line: lineNo } of body) {
    const t = text.trim();
    if (t.startsWith('///')) {
      docs.push(t.slice(3).trim());
      continue;
    }
    if (t === '' || t.startsWith('//')) continue;
    const c = new Cursor(text, lineNo);
    if (t.startsWith('@@')) {
      c.skipSpace();
      c.pos += 2;
      attributes.push(c.attribute());
      if (!c.atEnd()) c.fail('unexpected text after a block attribute');
      docs = [];
      continue;
    }
    const fieldName = c.name();
    const type = c.name();
    let list = false;
    let optional = false;
    if (type === 'Unsupported' && c.peek() === '(') c.args();
    if (c.text.startsWith('[]', c.pos)) {
      list = true;
      c.pos += 2;
    }
    if (c.text[c.pos] === '?') {
      optional = true;
      c.pos++;
    }
    const fieldAttributes: PrismaAttribute[] = [];
    while (!c.atEnd()) {
      if (c.peek() !== '@' || c.text[c.pos + 1] === '@') c.fail('expected a field attribute (@…)');
      c.pos++;
      fieldAttributes.push(c.attribute());
    }
    fields.push({ name: fieldName, type, optional, list, attributes: fieldAttributes, documentation: docs, line: lineNo });
    docs = [];
  }
  return { name, fields, attributes, documentation, line };
}

function parseEnum(name: string, body: ReadonlyArray<{ text: string; line: number }>, line: number): PrismaEnum {
  const values: Array<{ name: string; dbName: string }> = [];
  for (const { text, line: lineNo } of body) {
    const t = text.trim();
    if (t === '' || t.startsWith('//')) continue;
    const c = new Cursor(text, lineNo);
    if (t.startsWith('@@')) {
      c.skipSpace();
      c.pos += 2;
      const attr = c.attribute();
      if (attr.name !== 'map') c.fail(`enum attribute @@${attr.name} is not supported`);
      continue; // an enum's own database name does not reach MySQL (its values are inlined)
    }
    const valueName = c.name();
    let dbName = valueName;
    while (!c.atEnd()) {
      c.expect('@');
      const attr = c.attribute();
      const arg = attr.args?.[0]?.value;
      if (attr.name !== 'map' || arg?.kind !== 'string') return c.fail(`enum value attribute @${attr.name} is not supported (only @map("…"))`);
      dbName = arg.value;
    }
    values.push({ name: valueName, dbName });
  }
  return { name, values, line };
}
