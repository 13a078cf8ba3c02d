/**
 * In-flight accounting: how many messages a subscriber holds unsettled, and a
 * wait for room below `maxInFlight`. Not pulling from the stream while full is
 * what holds vtgate and the tablet back.
 */
export class InFlight {
  #held = 0;
  #waiter: (() => void) | undefined;

  constructor(readonly max: number) {}

  /** Messages held now. */
  get held(): number {
    return this.#held;
  }

  get hasRoom(): boolean {
    return this.#held < this.max;
  }

  take(): void {
    this.#held++;
  }

  /** One message settled (or dropped): wakes a waiter once there is room. */
  release(): void {
    this.#held--;
    if (this.hasRoom) this.wake();
  }

  /** Resolves once there is room, or when {@link wake} is called (closing). */
  waitForRoom(): Promise<void> {
    if (this.hasRoom) return Promise.resolve();
    return new Promise((resolve) => (this.#waiter = resolve));
  }

  wake(): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.();
  }
}
