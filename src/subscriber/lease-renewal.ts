/**
 * `autoExtend`: a running handler's lease renewed on a timer, as BullMQ renews
 * a job's lock, so a handler longer than the ack wait needs no `ctx.extend`.
 */

/** What {@link renewLease} needs: the extend itself and where its outcome goes. */
export interface LeaseRenewal {
  /** Every this many ms (half the ack wait). */
  readonly everyMs: number;
  /** Pushes the lease out; true when it changed the row. */
  extend(): Promise<boolean>;
  /** True once the message is settled (or the subscriber closed): renewing ends. */
  done(): boolean;
  extended(): void;
  failed(err: unknown): void;
}

/**
 * Renews until `done()` or the returned stop function is called. One extend at
 * a time, the next timed from when the last returned. An extend that changes
 * no row does not end it: the tablet's own postpone (ack wait + backoff) may
 * reach further than ours, and ours only moves the lease later; a message sent
 * again meanwhile (its epoch moved on) just never matches again. A failed one
 * is reported and tried again at the next tick.
 */
export function renewLease(r: LeaseRenewal): () => void {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const next = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      if (stopped || r.done()) return;
      r.extend().then((changed) => {
        if (changed) r.extended();
        next();
      }, (err: unknown) => {
        r.failed(err);
        next();
      });
    }, Math.max(1, r.everyMs));
  };
  next();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
