/**
 * Whether a subscriber's stream is open, for `waitUntilReady()`: open once a
 * stream delivered its first packet; a bounded number of failed opens in a row
 * (or a final failure) answers the waiters with a {@link ConnectError} instead
 * of leaving them to wait while the subscriber retries silently.
 */
import { ConnectError } from '../core/errors';

export class Readiness {
  #open = false;
  #failedOpens = 0;
  #lastError: unknown;
  #waiters: Array<{ resolve: () => void; reject: (err: unknown) => void }> = [];

  constructor(
    private readonly table: string,
    /** What the error names: vtgate's address, or `'(transport)'`. */
    private readonly address: string,
    /** Failed opens in a row that reject the waiters (`connectAttempts`). */
    private readonly attempts: number,
  ) {}

  /** Resolves when open; rejects at once when the last `attempts` opens failed. */
  wait(): Promise<void> {
    if (this.#open) return Promise.resolve();
    if (this.#failedOpens >= this.attempts) return Promise.reject(this.#error());
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** A stream delivered its first packet. */
  opened(): void {
    this.#open = true;
    this.#failedOpens = 0;
    for (const w of this.#waiters.splice(0)) w.resolve();
  }

  /** A stream ended; `delivered` whether it had opened; `final` when no other follows. */
  down(delivered: boolean, error: unknown, final: boolean): void {
    this.#open = false;
    if (!delivered) this.#failedOpens++;
    if (!delivered || final) this.#lastError = error;
    if (final || this.#failedOpens >= this.attempts) this.rejectAll(this.#error());
  }

  /** Answers every waiter with `err` (closing). */
  rejectAll(err: unknown): void {
    for (const w of this.#waiters.splice(0)) w.reject(err);
  }

  #error(): ConnectError {
    return new ConnectError(this.table, this.address, this.#failedOpens, this.#lastError);
  }
}
