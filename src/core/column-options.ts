/**
 * Checks of the column and index options beyond name, type, null and default
 * (comment, generated expression, ON UPDATE, FULLTEXT/SPATIAL): what
 * `defineMessageTable()` and `@MessageTable` entities share, so a bad value is an
 * {@link InvalidOptionError} when the table is defined, never broken DDL.
 */
import { InvalidOptionError } from './errors';
import type { IndexSpec, PayloadColumnSpec } from './spec';

/** MySQL's limit for a column comment, in characters (longer fails in strict mode). */
export const MAX_COLUMN_COMMENT = 1024;

/** Throws unless `comment` can be a column comment: text without NUL or emoji, at most 1024 characters. */
export function checkColumnComment(comment: unknown, option: string, subject: string): string {
  if (typeof comment !== 'string') throw new InvalidOptionError(subject, option, 'must be a string', comment);
  // NUL cannot be stored in a comment; TypeORM drops it silently, we say so instead.
  if (comment.includes('\u0000')) throw new InvalidOptionError(subject, option, 'may not contain a NUL character', comment);
  // The data dictionary keeps comments in utf8mb3: MySQL turns an emoji into '?'.
  if (/[\u{10000}-\u{10FFFF}]/u.test(comment)) {
    throw new InvalidOptionError(subject, option, 'may not contain characters outside the Basic Multilingual Plane such as emoji (MySQL stores comments as utf8mb3 and would turn them into ?)', comment);
  }
  if ([...comment].length > MAX_COLUMN_COMMENT) {
    throw new InvalidOptionError(subject, option, `must be at most ${MAX_COLUMN_COMMENT} characters (MySQL's limit)`, `${[...comment].length} characters`);
  }
  return comment;
}

// Outside quoted strings and backquoted names: words, numbers, operators and
// parentheses; never `;`, comments (`--`, `#`, `/*`) or a backslash.
const EXPRESSION_REST = /^[A-Za-z0-9_\s(),.+\-*/%<>=!&|^~$:]*$/;
const STRINGS = /'(?:[^'\\]|'')*'|`[^`]*`/g;

/**
 * Throws unless `expression` is a plain SQL expression for `AS (…)`: quoted
 * strings and backquoted names allowed, parentheses balanced (so it cannot close
 * the `AS (` it is wrapped in), no statement separator and no comment.
 */
export function checkGeneratedExpression(expression: unknown, option: string, subject: string): string {
  const rule = 'must be a plain SQL expression (balanced parentheses, quoted strings; no `;`, comments or backslashes)';
  if (typeof expression !== 'string' || expression.trim() === '') throw new InvalidOptionError(subject, option, rule, expression);
  const rest = expression.replace(STRINGS, ' x ');
  if (!EXPRESSION_REST.test(rest) || /--|\/\*|\*\/|#/.test(rest)) throw new InvalidOptionError(subject, option, rule, expression);
  let depth = 0;
  for (const ch of rest) {
    if (ch === '(') depth++;
    else if (ch === ')' && --depth < 0) throw new InvalidOptionError(subject, option, rule, expression);
  }
  if (depth !== 0) throw new InvalidOptionError(subject, option, rule, expression);
  return expression.trim();
}

// MySQL accepts only CURRENT_TIMESTAMP and its synonyms (with an optional fsp) in ON UPDATE.
const ON_UPDATE = /^[A-Za-z_]+(?:\(\s*[0-6]?\s*\))?$/;

/** Throws unless `onUpdate` is a function call like `CURRENT_TIMESTAMP(6)`. */
export function checkOnUpdate(onUpdate: unknown, option: string, subject: string): string {
  if (typeof onUpdate !== 'string' || !ON_UPDATE.test(onUpdate.trim())) {
    throw new InvalidOptionError(subject, option, 'must be CURRENT_TIMESTAMP or a synonym, with an optional precision, e.g. CURRENT_TIMESTAMP(6)', onUpdate);
  }
  return onUpdate.trim();
}

/** Checks a payload column's comment, generated expression and ON UPDATE, and how they combine. */
export function checkColumnExtras(c: PayloadColumnSpec, subject: string): void {
  const where = `column ${c.property}`;
  if (c.comment !== undefined) checkColumnComment(c.comment, `${where} comment`, subject);
  if (c.onUpdate !== undefined) checkOnUpdate(c.onUpdate, `${where} onUpdate`, subject);
  if (c.generated !== undefined) {
    checkGeneratedExpression(c.generated.expression, `${where} asExpression`, subject);
    if (typeof c.generated.stored !== 'boolean') throw new InvalidOptionError(subject, `${where} generatedType`, "must be 'VIRTUAL' or 'STORED'", c.generated.stored);
    // MySQL refuses both on a generated column; say which option to drop.
    if (c.default !== undefined) throw new InvalidOptionError(subject, `${where} default`, 'is not allowed on a generated column (asExpression)', c.default);
    if (c.onUpdate !== undefined) throw new InvalidOptionError(subject, `${where} onUpdate`, 'is not allowed on a generated column (asExpression)', c.onUpdate);
  }
}

const PARSER = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Checks an index's FULLTEXT/SPATIAL kind and parser. */
export function checkIndexKind(ix: IndexSpec, subject: string): void {
  const where = `index ${ix.name}`;
  if (ix.kind !== undefined && ix.kind !== 'fulltext' && ix.kind !== 'spatial') {
    throw new InvalidOptionError(subject, `${where} kind`, "must be 'fulltext' or 'spatial'", ix.kind);
  }
  if (ix.kind && ix.unique) throw new InvalidOptionError(subject, `${where} unique`, `cannot be combined with ${ix.kind} (MySQL has no unique ${ix.kind} index)`, true);
  if (ix.kind === 'spatial' && ix.columns.length !== 1) throw new InvalidOptionError(subject, where, 'a spatial index takes exactly one column', ix.columns);
  if (ix.parser !== undefined) {
    if (ix.kind !== 'fulltext') throw new InvalidOptionError(subject, `${where} parser`, 'applies only to a fulltext index', ix.parser);
    if (typeof ix.parser !== 'string' || !PARSER.test(ix.parser)) throw new InvalidOptionError(subject, `${where} parser`, 'must be a parser plugin name like ngram', ix.parser);
  }
}

const COLUMN_INPUT_KEYS = ['type', 'nullable', 'default', 'name', 'comment', 'onUpdate', 'asExpression', 'generatedType'];
const INDEX_INPUT_KEYS = ['name', 'columns', 'unique', 'fulltext', 'spatial', 'parser'];

/** Throws on a key a column or index definition does not know: a misspelt `commnet` would otherwise vanish from the DDL. */
export function checkDefinitionKeys(input: object, what: 'column' | 'index', option: string, subject: string): void {
  const known = what === 'column' ? COLUMN_INPUT_KEYS : INDEX_INPUT_KEYS;
  for (const key of Object.keys(input)) {
    if (!known.includes(key)) throw new InvalidOptionError(subject, `${option} ${key}`, `is not an option of ${what === 'index' ? 'an' : 'a'} ${what} (known: ${known.join(', ')})`);
  }
}
