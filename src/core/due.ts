/**
 * Due times and waits as the producer operations and the subscriber's
 * `ctx.nack` / `ctx.extend` compute them, so that both read one option the
 * same way (milliseconds or a string like `'30s'`, see {@link toMs}).
 */
import { InvalidOptionError } from './errors';
import type { MessageTableSpec } from './spec';
import { msToNs, NEVER_NS, nowNs, toMs, type Duration } from './time';

/** When a message becomes due: one of these, or none for now. */
export interface DueInput {
  readonly deliverAt?: Date | number;
  readonly delay?: Duration;
  readonly deliverAtNs?: bigint | string;
}

/**
 * The due time as decimal Unix ns. For a new message "now" is `0`, which every
 * tablet treats as due whatever its clock says; a nack gets the real now (the
 * subscriber tells its own write from a pending postpone by it).
 */
export function dueNs(options: DueInput, subject: string, newMessage: boolean): string {
  const given = Number(options.deliverAt !== undefined) + Number(options.delay !== undefined) + Number(options.deliverAtNs !== undefined);
  if (given > 1) throw new InvalidOptionError(subject, 'deliverAt', "and 'delay' and 'deliverAtNs' are exclusive: give one of them");
  if (options.deliverAtNs !== undefined) {
    const ns = options.deliverAtNs;
    const ok = (typeof ns === 'bigint' && ns >= 0n && ns < NEVER_NS) || (typeof ns === 'string' && /^[0-9]{1,19}$/.test(ns) && BigInt(ns) < NEVER_NS);
    if (!ok) throw new InvalidOptionError(subject, 'deliverAtNs', 'must be Unix nanoseconds as a bigint or decimal string (below 2^63 - 1)', ns);
    return BigInt(ns).toString();
  }
  if (options.deliverAt !== undefined) {
    const at = options.deliverAt;
    const ms = at instanceof Date ? at.getTime() : at;
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw new InvalidOptionError(subject, 'deliverAt', 'must be a valid Date or Unix milliseconds', at);
    return futureNs(msToNs(ms), 'deliverAt', subject);
  }
  if (options.delay !== undefined) return futureNs(nowNs() + msToNs(toMs(options.delay, 'delay', subject)), 'delay', subject);
  return newMessage ? '0' : nowNs().toString();
}

/** Now + `by` as decimal Unix ns: the due time of a lease extension (`by` required, above 0). */
export function leaseNs(by: unknown, subject: string): string {
  if (by === undefined) throw new InvalidOptionError(subject, 'by', "is required (milliseconds or a string like '30s')");
  const ms = toMs(by as Duration, 'by', subject);
  if (ms <= 0) throw new InvalidOptionError(subject, 'by', 'must be above 0', by);
  return futureNs(nowNs() + msToNs(ms), 'by', subject);
}

/**
 * A due time as decimal ns, refused unless below the maximum: at it a message
 * would look failed (without a reason), and beyond int64 MySQL refuses the value.
 */
export function futureNs(ns: bigint, option: string, subject: string): string {
  if (ns >= NEVER_NS) throw new InvalidOptionError(subject, option, 'must come before 2^63 - 1 ns (year 2262)', ns);
  return ns.toString();
}

/** The `raceWait` of a nack/fail/extend in ms: as given, else the table's ack wait (30 s when unset). */
export function raceWaitMs(spec: MessageTableSpec, raceWait: Duration | undefined, subject: string): number {
  if (raceWait !== undefined) return toMs(raceWait, 'raceWait', subject);
  return spec.options.ackWaitMs > 0 ? spec.options.ackWaitMs : 30_000;
}
