/**
 * A SQL string literal for DDL text (comments, defaults, enum values), where
 * MySQL takes no placeholder: backslashes doubled and quotes doubled, so the
 * text reads back unchanged under MySQL's default sql_mode (without
 * NO_BACKSLASH_ESCAPES a lone backslash would start an escape: `\b` becomes a
 * backspace). TypeORM escapes its comments the same way.
 */
export function sqlStringLiteral(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}
