import type { StreamField, WireRow } from '../core/decode';

/**
 * The seam between a subscriber and the wire: "give me the packets of this
 * streaming statement". vtgate's gRPC StreamExecute is one implementation.
 */
export interface StreamTransport {
  /** Starts `sql` (e.g. `stream * from ks.t`) on `target` and returns its packets. */
  stream(request: StreamRequest): StreamCall;
  /** Releases the transport's connections; open calls are cancelled. */
  close(): void;
}

/** What a subscriber asks a {@link StreamTransport} to stream. */
export interface StreamRequest {
  /** The streaming statement, e.g. `stream * from ks.t`. */
  readonly sql: string;
  /** vtgate target: `keyspace@primary`, or `keyspace:shard@primary` for one shard. */
  readonly target: string;
  /** For error messages. */
  readonly table?: string;
}

/**
 * One open stream. Iterating pulls packets; not iterating holds the stream back
 * (the transport stops reading, so vtgate stops sending once buffers are full).
 * Errors surface from the iterator as {@link StreamError}.
 */
export interface StreamCall extends AsyncIterable<StreamPacket> {
  /** Ends the stream; a pending iteration then finishes without error. */
  cancel(): void;
}

/** The first packet carries `fields`, later ones `rows`. */
export interface StreamPacket {
  /** The columns of the rows to come (first packet only). */
  readonly fields?: readonly StreamField[];
  /** Rows: messages that became due, in the fields' order. */
  readonly rows?: readonly WireRow[];
  /**
   * `Date.now()` when the packet came off the connection, for a transport that
   * queues packets in JS before they are pulled (the MySQL one reads ahead).
   * Default: when the pull returned it.
   */
  readonly receivedAt?: number;
}
