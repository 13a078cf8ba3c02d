/**
 * The receiving half of the seed-compatible `Queue` (`open` / `get` / `close`):
 * a {@link MessageStream} read one message per `get()`, where messages are
 * settled by the Queue's own `ack` / `nack` / `fail` (on the caller's executor,
 * possibly in a transaction) rather than through the delivery.
 */
import { InvalidOptionError, VitessMessagesError } from '../core/errors';
import type { Executor } from '../core/executor';
import { checkKeyspace } from '../core/identifiers';
import type { MessageTableSpec } from '../core/spec';
import type { Duration } from '../core/time';
import type { VtgateGrpcOptions } from './grpc/vtgate-grpc-transport';
import type { Delivery, ElsewhereOutcome } from './delivery';
import type { SubscriberStats } from './events';
import { MessageStream } from './message-stream';

/** A message as `Queue.get()` returns it. */
export interface QueueMessage {
  /** Decimal id. */
  readonly id: string;
  /** Earlier deliveries (0 on the first). */
  readonly epoch: number;
  /** The queue's fields by name. */
  readonly fields: Readonly<Record<string, unknown>>;
  /** The queue's fields in `fieldNames` order (the seed's `Get(ctx, dest...)`). */
  readonly values: readonly unknown[];
}

/** Options of `Queue.open`. */
export interface QueueOpenOptions {
  /**
   * Where `close()` nacks messages received but never handed out by `get()`, so
   * they come back at once (the seed's TODO). Without it they come back after
   * the ack wait.
   */
  readonly executor?: Executor;
  /**
   * Messages held at once: received and not yet acked/nacked/failed through the
   * Queue (the seed's "max concurrent"). When reached, `get()` still returns what
   * is held, but nothing more is read from vtgate. Default 100.
   */
  readonly maxConcurrent?: number;
  /** gRPC options (TLS, caller id, metadata hook, keepalive). */
  readonly grpc?: Omit<VtgateGrpcOptions, 'address'>;
}

/** Options of `Queue.get`. */
export interface QueueGetOptions {
  /** Gives up waiting when aborted (rejects with the signal's reason); no message is lost by it. */
  readonly signal?: AbortSignal;
}

// An executor for a queue opened without one: close() has nothing to nack with.
const NO_EXECUTOR: Executor = {
  query() {
    return Promise.reject(new VitessMessagesError('Queue.open was given no executor; unstarted messages come back after the ack wait'));
  },
};

export class QueueReceiver {
  readonly #stream: MessageStream<Record<string, unknown>>;
  readonly #iterator: AsyncIterator<Delivery<Record<string, unknown>>>;
  readonly #outstanding = new Map<string, Delivery<Record<string, unknown>>>();
  #next: Promise<IteratorResult<Delivery<Record<string, unknown>>>> | undefined;

  constructor(spec: MessageTableSpec, private readonly fieldNames: readonly string[], address: string, target: string, options: QueueOpenOptions = {}) {
    const m = /^([^:@/]+)(?::([^@]+))?(?:@primary)?$/.exec(target ?? '');
    if (!m) throw new InvalidOptionError('Queue.open', 'target', "must be 'keyspace', 'keyspace@primary' or 'keyspace:shard@primary' (streams run on primaries only)", target);
    checkKeyspace(m[1]!, 'Queue.open');
    this.#stream = new MessageStream<Record<string, unknown>>({ ...spec, keyspace: m[1]! }, {
      executor: options.executor ?? NO_EXECUTOR,
      address,
      ...(m[2] ? { shard: m[2] } : {}),
      ...(options.grpc ? { grpc: options.grpc } : {}),
      maxInFlight: options.maxConcurrent ?? 100,
      concurrency: 1,
    });
    this.#iterator = this.#stream[Symbol.asyncIterator]() as AsyncIterator<Delivery<Record<string, unknown>>>;
  }

  async get(options: QueueGetOptions = {}): Promise<QueueMessage> {
    const { signal } = options;
    signal?.throwIfAborted();
    // A get() given up on leaves its pending read for the next one: nothing is dropped.
    const next = (this.#next ??= this.#iterator.next());
    let onAbort: (() => void) | undefined;
    const aborted = signal
      ? new Promise<never>((_, reject) => {
          onAbort = () => reject(signal.reason);
          signal.addEventListener('abort', onAbort, { once: true });
        })
      : undefined;
    try {
      const result = await (aborted ? Promise.race([next, aborted]) : next);
      this.#next = undefined;
      if (result.done) throw new VitessMessagesError('Queue is closed');
      const d = result.value;
      // The tablet sent an id again while its first copy is still out (its ack
      // wait passed): the Queue settles by id, so the newer copy stands for
      // both and the older one frees its place now.
      this.#outstanding.get(d.idText)?.settledElsewhere('superseded');
      this.#outstanding.set(d.idText, d);
      const fields: Record<string, unknown> = {};
      for (const f of this.fieldNames) fields[f] = d.message[f];
      return { id: d.idText, epoch: d.epoch, fields, values: this.fieldNames.map((f) => fields[f]) };
    } finally {
      if (onAbort) signal!.removeEventListener('abort', onAbort);
    }
  }

  /** The streamed epoch of a message handed out by get(), for race-safe nack/fail. */
  epochOf(id: string): number | undefined {
    return this.#outstanding.get(id)?.epoch;
  }

  /**
   * The Queue settled `id` with its own statement (or tried: `missed` when it
   * changed no row, `errored` when it failed and the message comes back after
   * its ack wait): free its place either way.
   */
  settled(id: string, outcome: ElsewhereOutcome): void {
    const d = this.#outstanding.get(id);
    if (!d) return;
    this.#outstanding.delete(id);
    d.settledElsewhere(outcome);
  }

  /** Stops receiving, nacks what was received but not handed out, waits for handed-out messages up to `timeout`. */
  async close(timeout?: Duration): Promise<void> {
    await this.#stream.close(timeout === undefined ? {} : { timeout });
  }

  stats(): SubscriberStats {
    return this.#stream.stats();
  }
}
