/**
 * The dashboard's sparkline data: the last few count samples of a table and
 * the rates between them. The acked count only grows by acks and only falls by
 * the tablet's purge, so the rise between two samples over the time between
 * them is the ack rate; an interval where it fell (a purge ran) has no known
 * rate.
 */

/** One poll of a table's counts. */
export interface CountSample {
  /** When the counts were read (Unix ms, this process's clock). */
  readonly atMs: number;
  readonly acked: number;
  readonly due: number;
}

/** One point of the sparkline: the interval ending at `atMs`. */
export interface ThroughputPoint {
  readonly atMs: number;
  /** Acks per second over the interval; null when a purge made the acked count fall. */
  readonly ackedPerSec: number | null;
  /** Due messages at `atMs`. */
  readonly due: number;
}

/** A fixed number of the latest samples; older ones are dropped. */
export class ThroughputRing {
  readonly #samples: CountSample[] = [];
  constructor(readonly capacity: number) {}

  push(sample: CountSample): void {
    const last = this.#samples[this.#samples.length - 1];
    // Two reads in the same millisecond (a refresh after a retry) say nothing about a rate.
    if (last && sample.atMs <= last.atMs) this.#samples.pop();
    this.#samples.push(sample);
    if (this.#samples.length > this.capacity) this.#samples.shift();
  }

  /** One point per interval between consecutive samples, oldest first. */
  points(): ThroughputPoint[] {
    const out: ThroughputPoint[] = [];
    for (let i = 1; i < this.#samples.length; i++) {
      const a = this.#samples[i - 1]!;
      const b = this.#samples[i]!;
      const rise = b.acked - a.acked;
      out.push({ atMs: b.atMs, ackedPerSec: rise < 0 ? null : (rise * 1000) / (b.atMs - a.atMs), due: b.due });
    }
    return out;
  }
}
