/**
 * The MySQL error number behind a driver's error, read where each client keeps
 * it — never guessed from a bare number in the text (a payload value such as
 * `'1406'` travels in vtgate's error text, in `BindVars`).
 */

/** MySQL's "unknown error", which vtgate uses for errors of its own. */
const ER_UNKNOWN_ERROR = 1105;

/**
 * vtgate's own form, `… (errno 1406) (sqlstate 22001) (CallerID: …` (or at the
 * end of the text): the number and state come right after MySQL's message and
 * before the statement and its bind variables, so the first match is the
 * server's. (A value quoted inside MySQL's message comes earlier; it would
 * have to contain this whole form, CallerID included, to be misread.)
 */
const VTGATE_FORM = /\(errno (\d{1,5})\) \(sqlstate ([0-9A-Z]{5})\)(?= \(CallerID: |$)/;

/**
 * The MySQL error number of `err`, or undefined when it carries none:
 * - mysql2 and TypeORM: `errno` (TypeORM's QueryFailedError copies it, and
 *   keeps mysql2's error as `driverError`);
 * - Prisma with a driver adapter: `meta.driverAdapterError.cause.originalCode`;
 * - otherwise, or when the driver says only 1105 (vtgate wrapping an error of a
 *   tablet), vtgate's anchored text form.
 */
export function driverErrorCode(err: unknown): number | undefined {
  const seen = new Set<unknown>();
  let fromDriver: number | undefined;
  for (let e: unknown = err; e !== null && typeof e === 'object' && !seen.has(e); ) {
    seen.add(e);
    const o = e as { errno?: unknown; driverError?: unknown; meta?: { driverAdapterError?: { cause?: { originalCode?: unknown } } }; cause?: unknown };
    const code = asCode(o.errno) ?? asCode(o.meta?.driverAdapterError?.cause?.originalCode);
    if (code !== undefined) {
      fromDriver = code;
      break;
    }
    e = o.driverError ?? o.cause;
  }
  if (fromDriver !== undefined && fromDriver !== ER_UNKNOWN_ERROR) return fromDriver;
  for (const message of messagesOf(err)) {
    const code = vtgateErrorCode(message);
    if (code !== undefined) return code;
  }
  return fromDriver;
}

/** The errno of vtgate's anchored text form in `message`, if there is one. */
export function vtgateErrorCode(message: string): number | undefined {
  const m = VTGATE_FORM.exec(message);
  return m ? Number(m[1]) : undefined;
}

function asCode(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v;
  if (typeof v === 'string' && /^[0-9]{1,5}$/.test(v)) return Number(v);
  return undefined;
}

/** The messages of `err` and of the errors it wraps (`driverError`, `cause`). */
function messagesOf(err: unknown): string[] {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  for (let e: unknown = err; e !== null && e !== undefined && !seen.has(e); ) {
    seen.add(e);
    if (e instanceof Error) parts.push(e.message);
    else if (typeof e === 'string') parts.push(e);
    const o = e as { driverError?: unknown; cause?: unknown };
    e = typeof e === 'object' ? (o.driverError ?? o.cause) : undefined;
  }
  return parts;
}
