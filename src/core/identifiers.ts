import { InvalidOptionError } from './errors';

// Table, keyspace and column names are never taken from values: they are checked
// against this pattern and then backquoted. Keyspaces may hold '-' (Vitess allows
// it); tables and columns follow MySQL's unquoted-identifier rules.
const NAME = /^[A-Za-z_][A-Za-z0-9_$]{0,63}$/;
const KEYSPACE = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;

/** Throws unless `name` is a safe MySQL identifier; returns it unchanged. */
export function checkIdentifier(name: string, what = 'identifier', subject = 'vitess-messages'): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new InvalidOptionError(subject, what, 'must match /^[A-Za-z_][A-Za-z0-9_$]{0,63}$/', name);
  }
  return name;
}

/** Throws unless `name` is a safe keyspace name; returns it unchanged. */
export function checkKeyspace(name: string, subject = 'vitess-messages'): string {
  if (typeof name !== 'string' || !KEYSPACE.test(name)) {
    throw new InvalidOptionError(subject, 'keyspace', 'must match /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/', name);
  }
  return name;
}

/** `name` checked and backquoted. */
export function quoteIdentifier(name: string): string {
  return '`' + checkIdentifier(name) + '`';
}

/** `keyspace`.`table`, or just `table` when no keyspace is given. */
export function quoteTable(table: string, keyspace?: string): string {
  const t = quoteIdentifier(table);
  return keyspace ? '`' + checkKeyspace(keyspace) + '`.' + t : t;
}
