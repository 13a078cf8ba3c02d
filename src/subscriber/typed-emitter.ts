import { EventEmitter } from 'node:events';

/** A map of event name → listener argument tuple. */
export type EventMap = { [event: string]: unknown[] };

/**
 * Node's EventEmitter with one typed event map. `error` is emitted only when
 * someone listens (an unheard `error` would otherwise throw out of the
 * subscriber's internals); unheard errors still show in the stats.
 */
export class TypedEmitter<E extends EventMap> {
  readonly #ee = new EventEmitter();

  on<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.#ee.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  once<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.#ee.once(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.#ee.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  listenerCount<K extends keyof E & string>(event: K): number {
    return this.#ee.listenerCount(event);
  }

  protected emit<K extends keyof E & string>(event: K, ...args: E[K]): boolean {
    if (event === 'error' && this.#ee.listenerCount('error') === 0) return false;
    return this.#ee.emit(event, ...args);
  }
}
