import * as grpc from '@grpc/grpc-js';
import { InvalidOptionError } from '../../core/errors';
import { toMs, type Duration } from '../../core/time';
import type { StreamCall, StreamPacket, StreamRequest, StreamTransport } from '../transport';
import { checkNames } from '../option-names';
import { vitessServiceClient } from './proto';
import { readRowsPacket } from './rows-packet';
import { toStreamError } from './stream-error';

/**
 * vtgate enforces a minimum interval between client keepalive pings
 * (`--grpc-server-keepalive-enforcement-policy-min-time`, 10 s by default); a
 * client that pings faster is cut off with GOAWAY too_many_pings.
 */
export const MIN_KEEPALIVE_MS = 10_000;

/** Options of {@link VtgateGrpcTransport} (a subscriber's `grpc` option takes the same, without `address`). */
export interface VtgateGrpcOptions {
  /** vtgate's gRPC address, `host:port`. */
  readonly address: string;
  /** Channel credentials; default insecure (plaintext). Use `grpc.credentials.createSsl(...)` for TLS. */
  readonly credentials?: grpc.ChannelCredentials;
  /** Caller id sent with each call (vtgate's table ACLs see it). */
  readonly callerId?: { principal?: string; component?: string; subcomponent?: string };
  /** Adds per-call metadata, e.g. an auth token. Called for every new stream. */
  readonly metadata?: () => grpc.Metadata | Promise<grpc.Metadata>;
  /**
   * Interval of gRPC keepalive pings while a stream is open (milliseconds or
   * `'30s'`). Default 30 s; at least {@link MIN_KEEPALIVE_MS} (10 s), below
   * which vtgate closes the connection.
   */
  readonly keepalive?: Duration;
  /**
   * How long a keepalive ping may go unanswered before the connection counts
   * as dead (milliseconds or `'10s'`, above 0). Default 10 s.
   */
  readonly keepaliveTimeout?: Duration;
  /**
   * HTTP/2 flow-control window of the connection, in bytes: how much vtgate may
   * send that this client has not read yet. Default 65,535 (HTTP/2's initial
   * window): the smallest allowed, so a subscriber that stops reading holds back
   * vtgate soonest. A larger window can speed up draining over high-latency
   * links at the price of more messages buffered (already sent by the tablet,
   * their ack wait running) while the subscriber is full.
   */
  readonly flowControlWindowBytes?: number;
}

/** Every option name of {@link VtgateGrpcOptions}, for refusing misspelt ones. */
export const VTGATE_GRPC_OPTION_NAMES: readonly string[] = Object.freeze(['address', 'credentials', 'callerId', 'metadata', 'keepalive', 'keepaliveTimeout', 'flowControlWindowBytes']);

/** The gRPC channel options used for vtgate; pure, so a unit test pins them. */
export function vtgateChannelOptions(options: Pick<VtgateGrpcOptions, 'keepalive' | 'keepaliveTimeout' | 'flowControlWindowBytes'> = {}): grpc.ChannelOptions {
  const keepaliveMs = options.keepalive === undefined ? 30_000 : toMs(options.keepalive, 'keepalive', 'VtgateGrpcTransport');
  if (keepaliveMs < MIN_KEEPALIVE_MS) {
    throw new InvalidOptionError('VtgateGrpcTransport', 'keepalive', `must be at least ${MIN_KEEPALIVE_MS} ms (vtgate's keepalive enforcement minimum)`, options.keepalive);
  }
  const keepaliveTimeoutMs = options.keepaliveTimeout === undefined ? 10_000 : toMs(options.keepaliveTimeout, 'keepaliveTimeout', 'VtgateGrpcTransport');
  if (keepaliveTimeoutMs <= 0) throw new InvalidOptionError('VtgateGrpcTransport', 'keepaliveTimeout', 'must be above 0', options.keepaliveTimeout);
  const windowBytes = options.flowControlWindowBytes ?? 65_535;
  if (!Number.isInteger(windowBytes) || windowBytes < 65_535 || windowBytes > 2 ** 31 - 1) {
    throw new InvalidOptionError('VtgateGrpcTransport', 'flowControlWindowBytes', 'must be an integer from 65535 (HTTP/2 minimum) to 2^31-1', options.flowControlWindowBytes);
  }
  return {
    'grpc.keepalive_time_ms': keepaliveMs,
    'grpc-node.flow_control_window': windowBytes,
    'grpc.keepalive_timeout_ms': keepaliveTimeoutMs,
    'grpc.keepalive_permit_without_calls': 0,
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
  };
}

/**
 * How many messages the tablet may have sent beyond what a subscriber has taken
 * off a gRPC stream it stopped reading (already sent, ack wait running), with the
 * default 64 KB window. Measured here (vtcombo v0.24.4, 2 shards, a reader that
 * stops after its first packet, `bench/flow-control.ts`): 1 KB rows 400 messages
 * (≈ 390 KB), 100 B rows 1,000 (≈ 100 KB), ~50 B rows 2,200, ~40 B rows up to
 * 3,800 while draining. Those fit `4 × vt_batch_size + 160 KB / rowBytes`: a few
 * packets in vtgate's and the tablet's hands plus bytes in HTTP/2 windows and
 * socket buffers. An estimate from measurement, not a guarantee of Vitess's.
 */
export function transportBufferBound(batchSize: number, rowBytes: number): number {
  return 4 * batchSize + Math.ceil((160 * 1024) / Math.max(1, rowBytes));
}

/** A {@link StreamTransport} over vtgate's gRPC `StreamExecute`. */
export class VtgateGrpcTransport implements StreamTransport {
  readonly #options: VtgateGrpcOptions;
  readonly #client: grpc.Client;

  constructor(options: VtgateGrpcOptions) {
    checkNames(options, VTGATE_GRPC_OPTION_NAMES, 'VtgateGrpcTransport');
    if (typeof options.address !== 'string' || options.address.length === 0) throw new InvalidOptionError('VtgateGrpcTransport', 'address', "is required (vtgate's gRPC host:port)", options.address);
    this.#options = options;
    const Client = vitessServiceClient();
    this.#client = new Client(options.address, options.credentials ?? grpc.credentials.createInsecure(), vtgateChannelOptions(options));
  }

  /** Opens one StreamExecute call on vtgate for `request`; its packets are read one per pull. */
  stream(request: StreamRequest): StreamCall {
    return new GrpcStreamCall(this.#client, this.#options, request);
  }

  /** Closes the gRPC channel; open calls end. */
  close(): void {
    this.#client.close();
  }
}

type StreamExecuteResponse = { result?: { fields?: StreamPacket['fields']; rows?: StreamPacket['rows'] } };

/**
 * One StreamExecute call on grpc-js's low-level call API, read one packet per
 * pull. (grpc-js's stream object buffers up to 16 packets — 1,600 rows at
 * vt_batch_size 100 — before it stops reading; here at most one packet waits
 * in JS, and the rest stays in the HTTP/2 window and on the server side.)
 */
class GrpcStreamCall implements StreamCall {
  #call: ReturnType<grpc.Channel['createCall']> | undefined;
  #cancelled = false;

  constructor(
    private readonly client: grpc.Client,
    private readonly options: VtgateGrpcOptions,
    private readonly request: StreamRequest,
  ) {}

  cancel(): void {
    this.#cancelled = true;
    this.#call?.cancelWithStatus(grpc.status.CANCELLED, 'cancelled by the subscriber');
  }

  async *[Symbol.asyncIterator](): AsyncIterator<StreamPacket> {
    const metadata = (await this.options.metadata?.()) ?? new grpc.Metadata();
    if (this.#cancelled) return;
    const method = (vitessServiceClient().service as grpc.ServiceDefinition).StreamExecute!;
    const call = this.client.getChannel().createCall(method.path, Infinity, null, null, null);
    this.#call = call;
    // One outstanding read at a time; `wake` hands the next event to the puller.
    const events: Array<{ message?: Buffer; status?: grpc.StatusObject }> = [];
    let wake: (() => void) | undefined;
    const push = (e: { message?: Buffer; status?: grpc.StatusObject }): void => {
      events.push(e);
      const w = wake;
      wake = undefined;
      w?.();
    };
    call.start(metadata, {
      onReceiveMetadata: () => undefined,
      onReceiveMessage: (message: Buffer) => push({ message }),
      onReceiveStatus: (status: grpc.StatusObject) => push({ status }),
    });
    call.sendMessageWithContext({}, method.requestSerialize({
      callerId: this.options.callerId ?? { principal: 'vitess-messages' },
      query: { sql: this.request.sql, bindVariables: {} },
      session: { targetString: this.request.target, autocommit: true, options: { includedFields: 'TYPE_AND_NAME', workload: 'OLAP' } },
    }));
    call.halfClose();
    let done = false;
    try {
      for (;;) {
        if (events.length === 0) {
          call.startRead();
          await new Promise<void>((resolve) => (wake = resolve));
        }
        const event = events.shift()!;
        if (event.status) {
          done = true;
          if (event.status.code === grpc.status.OK) return;
          if (this.#cancelled && event.status.code === grpc.status.CANCELLED) return;
          const err = Object.assign(new Error(`${event.status.code} ${grpc.status[event.status.code]}: ${event.status.details}`), event.status);
          throw toStreamError(err, this.request.table, this.options.address);
        }
        // Row packets (all but the first) on the fast path; the fields packet, and anything unusual, generically.
        const rows = readRowsPacket(event.message!);
        if (rows !== undefined) {
          if (rows.length > 0) yield { rows };
          continue;
        }
        const result = (method.responseDeserialize(event.message!) as StreamExecuteResponse).result;
        if (!result) continue; // the trailing session-only packet
        if (result.fields && result.fields.length > 0) yield { fields: result.fields };
        if (result.rows && result.rows.length > 0) yield { rows: result.rows };
      }
    } finally {
      if (!done && !this.#cancelled) call.cancelWithStatus(grpc.status.CANCELLED, 'stream closed by the reader');
    }
  }
}
