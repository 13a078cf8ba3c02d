import { EventEmitter } from 'node:events';
import { VitessMessagesError } from '../core/errors';

/** A map of event name → listener argument tuple. */
export type EventMap = { [event: string]: unknown[] };

/**
 * Node's EventEmitter with one typed event map. `error` is emitted only when
 * someone listens (an unheard `error` would otherwise throw out of the
 * subscriber's internals); unheard errors still show in the stats.
 *
 * Listeners are guarded: one that throws (or returns a promise that rejects)
 * never unwinds into the emitter nor becomes an unhandled rejection. Its error
 * goes to the `error` listeners, or, from an `error` listener or with none, to
 * `process.emitWarning` — a listener's bug must not crash the process or cut a
 * stream.
 */
export class TypedEmitter<E extends EventMap> {
  readonly #ee = new EventEmitter();

  /** Adds `listener` for `event`, typed by the event map. Returns this emitter. */
  on<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.#ee.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** Adds `listener` for the next `event` only. Returns this emitter. */
  once<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.#ee.once(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** Removes `listener` from `event`. Returns this emitter. */
  off<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.#ee.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** How many listeners `event` has. */
  listenerCount<K extends keyof E & string>(event: K): number {
    return this.#ee.listenerCount(event);
  }

  /** @internal */
  protected emit<K extends keyof E & string>(event: K, ...args: E[K]): boolean {
    // Most events have no listener: skip the copy of the listener list (several emits per message).
    if (this.#ee.listenerCount(event) === 0) return false;
    // rawListeners: `once` wrappers remove themselves when called.
    const listeners = this.#ee.rawListeners(event) as Array<(...a: unknown[]) => unknown>;
    for (const listener of listeners) {
      try {
        const out = listener.apply(this, args);
        if (out !== null && typeof out === 'object' && typeof (out as PromiseLike<unknown>).then === 'function') {
          (out as PromiseLike<unknown>).then(undefined, (err: unknown) => this.#listenerFailed(event, err));
        }
      } catch (err) {
        this.#listenerFailed(event, err);
      }
    }
    return listeners.length > 0;
  }

  #listenerFailed(event: string, cause: unknown): void {
    const error = new VitessMessagesError(`a listener of '${event}' threw: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    if (event !== 'error' && this.#ee.listenerCount('error') > 0) this.emit('error' as keyof E & string, ...([error] as unknown as E[keyof E & string]));
    else process.emitWarning(error);
  }
}
