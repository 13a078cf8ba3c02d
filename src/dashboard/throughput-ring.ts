/**
 * The dashboard's sparkline data: the last few count samples of a table and
 * the ack rates between them. Each sample carries the acks since the one
 * before (counted by `time_acked`, see `CountsOptions.ackedAfterNs`), not the
 * acked count: the tablet purges acked rows, so on a busy table the acked
 * count can stay flat or fall while messages are acked.
 */

/** One poll of a table's counts. */
export interface CountSample {
  /** When the counts were read (Unix ms, this process's clock). */
  readonly atMs: number;
  /** Messages acked since the previous sample's read. */
  readonly acks: number;
  readonly due: number;
}

/** One point of the sparkline: the interval ending at `atMs`. */
export interface ThroughputPoint {
  readonly atMs: number;
  /** Messages acked in the interval. */
  readonly acks: number;
  /** Acks per second over the interval. */
  readonly ackedPerSec: number;
  /** Due messages at `atMs`. */
  readonly due: number;
}

/** A fixed number of the latest samples; older ones are dropped. */
export class ThroughputRing {
  readonly #samples: CountSample[] = [];
  constructor(readonly capacity: number) {}

  push(sample: CountSample): void {
    const last = this.#samples[this.#samples.length - 1];
    // Two reads in the same millisecond (a refresh after a retry) say nothing about a rate:
    // the later one stands for both, with the acks of both.
    if (last && sample.atMs <= last.atMs) {
      this.#samples.pop();
      sample = { ...sample, acks: sample.acks + last.acks };
    }
    this.#samples.push(sample);
    if (this.#samples.length > this.capacity) this.#samples.shift();
  }

  /** One point per interval between consecutive samples, oldest first. */
  points(): ThroughputPoint[] {
    const out: ThroughputPoint[] = [];
    for (let i = 1; i < this.#samples.length; i++) {
      const a = this.#samples[i - 1]!;
      const b = this.#samples[i]!;
      out.push({ atMs: b.atMs, acks: b.acks, ackedPerSec: (b.acks * 1000) / (b.atMs - a.atMs), due: b.due });
    }
    return out;
  }
}
