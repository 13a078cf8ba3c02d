/**
 * The dashboard's input rules: every value a request carries is checked here
 * before any statement runs, and a bad one is a 400 {@link DashboardRequestError}
 * naming the field. 64-bit ids stay decimal strings (never a JS number).
 */
import { checkIdentifier, checkKeyspace } from '../core/identifiers';
import { toMs } from '../core/time';
import { DashboardRequestError } from './request-error';

const MAX_ID = 9_223_372_036_854_775_807n;
/** Ids one retry request may name: one page of the failed list at most. */
export const MAX_IDS_PER_REQUEST = 1000;

function bad(field: string, rule: string, value: unknown): DashboardRequestError {
  const shown = typeof value === 'string' ? JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value) : typeof value;
  return new DashboardRequestError(400, `${field} ${rule} (got ${shown})`, field);
}

/**
 * A table as the dashboard names it, `keyspace.table` or `table`; both parts
 * checked by the identifier rules (the table must then be one the dashboard
 * serves, which the server checks).
 */
export function parseTableKey(value: unknown, field = 'table'): string {
  if (typeof value !== 'string' || value.length === 0) throw bad(field, 'is required: keyspace.table', value);
  const dot = value.lastIndexOf('.');
  try {
    if (dot >= 0) checkKeyspace(value.slice(0, dot));
    checkIdentifier(value.slice(dot + 1), 'table');
  } catch {
    throw bad(field, 'must be keyspace.table made of letters, digits, _ ($ in the table, - in the keyspace)', value);
  }
  return value;
}

/** A message id: a decimal string of a positive 64-bit integer, returned canonical. JSON numbers are refused (they lose digits above 2^53). */
export function parseMessageId(value: unknown, field = 'id'): string {
  if (typeof value !== 'string' || !/^[0-9]{1,19}$/.test(value)) throw bad(field, 'must be a positive 64-bit integer as a decimal string', value);
  const n = BigInt(value);
  if (n <= 0n || n > MAX_ID) throw bad(field, 'must be from 1 to 9223372036854775807', value);
  return n.toString();
}

/** A non-empty array of at most {@link MAX_IDS_PER_REQUEST} ids (decimal strings), without repeats. */
export function parseIdList(value: unknown, field = 'ids'): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_IDS_PER_REQUEST) {
    throw bad(field, `must be an array of 1 to ${MAX_IDS_PER_REQUEST} ids (decimal strings)`, Array.isArray(value) ? `array of ${value.length}` : value);
  }
  return [...new Set(value.map((v, i) => parseMessageId(v, `${field}[${i}]`)))];
}

/** A duration such as `'7d'` or `'12h'` (a string: the page sends what the user typed). */
export function parseDuration(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length > 32) throw bad(field, "must be a duration such as '30m', '12h' or '7d'", value);
  try {
    toMs(value as `${number}d`, field, 'dashboard');
  } catch {
    throw bad(field, "must be a duration such as '30m', '12h' or '7d' (units ms, s, m, h, d)", value);
  }
  return value;
}

/** An optional boolean body field; absent is `fallback`. */
export function parseBoolean(value: unknown, field: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw bad(field, 'must be true or false', value);
  return value;
}

/** A page size from a query string: 1 to 1000, `fallback` when absent. */
export function parseLimit(value: string | null, fallback: number, field = 'limit'): number {
  if (value === null) return fallback;
  if (!/^[0-9]{1,4}$/.test(value) || Number(value) < 1 || Number(value) > 1000) throw bad(field, 'must be an integer from 1 to 1000', value);
  return Number(value);
}

/** A JSON request body: an object, with no keys but `known`. */
export function parseBody(text: string, known: readonly string[]): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new DashboardRequestError(400, 'the body must be JSON', 'body');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new DashboardRequestError(400, 'the body must be a JSON object', 'body');
  for (const key of Object.keys(body)) {
    if (!known.includes(key)) throw new DashboardRequestError(400, `unknown field ${JSON.stringify(key.slice(0, 40))} (known: ${known.join(', ')})`, key);
  }
  return body as Record<string, unknown>;
}
