/**
 * `autoExtend`: a running handler's lease renewed on a timer, as BullMQ renews
 * a job's lock, so a handler longer than the ack wait needs no `ctx.extend`.
 */

/** What a {@link LeaseRenewer} needs: the extend itself and where its outcome goes, per key (a delivery). */
export interface LeaseRenewal<K> {
  /** Every this many ms (half the ack wait). */
  readonly everyMs: number;
  /** Pushes `key`'s lease out; true when it changed the row. */
  extend(key: K): Promise<boolean>;
  /** True once `key` is settled (or the subscriber closed): renewing it ends. */
  done(key: K): boolean;
  extended(key: K): void;
  failed(key: K, err: unknown): void;
}

/**
 * Renews the leases of running handlers on one timer for all of them, not a
 * timer per message: most handlers end long before their first renewal (half
 * the ack wait), and arming and clearing a timer per message cost more than
 * the rest of a no-op delivery's bookkeeping.
 *
 * Each key is renewed every `everyMs` until `done(key)` or {@link stop}: one
 * extend at a time, the next timed from when the last returned. An extend that
 * changes no row does not end it: the tablet's own postpone (ack wait +
 * backoff) may reach further than ours, and ours only moves the lease later; a
 * message sent again meanwhile (its epoch moved on) just never matches again.
 * A failed one is reported and tried again at the next tick.
 */
export class LeaseRenewer<K> {
  readonly #r: LeaseRenewal<K>;
  readonly #everyMs: number;
  /** Keys waiting for their next renewal → when it is due (`Date.now()` ms). Insertion order is due order: every wait is `everyMs`. */
  readonly #waiting = new Map<K, number>();
  /** Keys whose extend is running. */
  readonly #extending = new Set<K>();
  #timer: NodeJS.Timeout | undefined;

  constructor(renewal: LeaseRenewal<K>) {
    this.#r = renewal;
    this.#everyMs = Math.max(1, renewal.everyMs);
  }

  /** Starts renewing `key`'s lease: the first extend after `everyMs`. */
  start(key: K): void {
    this.#waiting.delete(key); // a restart goes to the back, in due order
    this.#waiting.set(key, Date.now() + this.#everyMs);
    this.#arm();
  }

  /** Stops renewing `key` (an extend running finishes, and is not followed by another). */
  stop(key: K): void {
    this.#waiting.delete(key);
    this.#extending.delete(key);
    if (this.#waiting.size === 0 && this.#timer !== undefined) {
      // Nothing left to renew: no timer may hold the process open.
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  #arm(): void {
    if (this.#timer !== undefined) return;
    const first = this.#waiting.values().next();
    if (first.done) return;
    this.#timer = setTimeout(() => this.#tick(), Math.max(1, first.value - Date.now()));
  }

  #tick(): void {
    this.#timer = undefined;
    const now = Date.now();
    for (const [key, dueAt] of this.#waiting) {
      if (dueAt > now) break;
      this.#waiting.delete(key);
      if (this.#r.done(key)) continue;
      this.#extending.add(key);
      this.#r.extend(key).then((changed) => {
        if (changed) this.#r.extended(key);
        this.#again(key);
      }, (err: unknown) => {
        this.#r.failed(key, err);
        this.#again(key);
      });
    }
    this.#arm();
  }

  /** An extend returned: the next one `everyMs` from now, unless stopped meanwhile. */
  #again(key: K): void {
    if (!this.#extending.delete(key)) return;
    this.#waiting.set(key, Date.now() + this.#everyMs);
    this.#arm();
  }
}
