import * as grpc from '@grpc/grpc-js';
import { InvalidOptionError } from '../../core/errors';
import type { StreamCall, StreamPacket, StreamRequest, StreamTransport } from '../transport';
import { vitessServiceClient } from './proto';
import { toStreamError } from './stream-error';

/**
 * vtgate enforces a minimum interval between client keepalive pings
 * (`--grpc-server-keepalive-enforcement-policy-min-time`, 10 s by default); a
 * client that pings faster is cut off with GOAWAY too_many_pings.
 */
export const MIN_KEEPALIVE_MS = 10_000;

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
   * Interval of gRPC keepalive pings while a stream is open. Default 30 s; at
   * least {@link MIN_KEEPALIVE_MS} (10 s), below which vtgate closes the connection.
   */
  readonly keepaliveMs?: number;
  /** How long a keepalive ping may go unanswered before the connection counts as dead. Default 10 s. */
  readonly keepaliveTimeoutMs?: number;
}

/** The gRPC channel options used for vtgate; pure, so a unit test pins them. */
export function vtgateChannelOptions(options: Pick<VtgateGrpcOptions, 'keepaliveMs' | 'keepaliveTimeoutMs'> = {}): grpc.ChannelOptions {
  const keepaliveMs = options.keepaliveMs ?? 30_000;
  if (!Number.isFinite(keepaliveMs) || keepaliveMs < MIN_KEEPALIVE_MS) {
    throw new InvalidOptionError('VtgateGrpcTransport', 'keepaliveMs', `must be at least ${MIN_KEEPALIVE_MS} ms (vtgate's keepalive enforcement minimum)`, options.keepaliveMs);
  }
  return {
    'grpc.keepalive_time_ms': keepaliveMs,
    'grpc.keepalive_timeout_ms': options.keepaliveTimeoutMs ?? 10_000,
    'grpc.keepalive_permit_without_calls': 0,
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
  };
}

/** A {@link StreamTransport} over vtgate's gRPC `StreamExecute`. */
export class VtgateGrpcTransport implements StreamTransport {
  readonly #options: VtgateGrpcOptions;
  readonly #client: grpc.Client;

  constructor(options: VtgateGrpcOptions) {
    this.#options = options;
    const Client = vitessServiceClient();
    this.#client = new Client(options.address, options.credentials ?? grpc.credentials.createInsecure(), vtgateChannelOptions(options));
  }

  stream(request: StreamRequest): StreamCall {
    return new GrpcStreamCall(this.#client, this.#options, request);
  }

  close(): void {
    this.#client.close();
  }
}

class GrpcStreamCall implements StreamCall {
  #call: grpc.ClientReadableStream<unknown> | undefined;
  #cancelled = false;

  constructor(
    private readonly client: grpc.Client,
    private readonly options: VtgateGrpcOptions,
    private readonly request: StreamRequest,
  ) {}

  cancel(): void {
    this.#cancelled = true;
    this.#call?.cancel();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<StreamPacket> {
    const metadata = (await this.options.metadata?.()) ?? new grpc.Metadata();
    if (this.#cancelled) return;
    const call = (this.client as unknown as {
      streamExecute(req: unknown, md: grpc.Metadata): grpc.ClientReadableStream<unknown>;
    }).streamExecute(
      {
        callerId: this.options.callerId ?? { principal: 'vitess-messages' },
        query: { sql: this.request.sql, bindVariables: {} },
        session: { targetString: this.request.target, autocommit: true, options: { includedFields: 'TYPE_AND_NAME', workload: 'OLAP' } },
      },
      metadata,
    );
    this.#call = call;
    try {
      // Async iteration reads only as fast as the consumer pulls, so a slow
      // consumer leaves packets in HTTP/2 flow control and vtgate stops sending.
      for await (const response of call as AsyncIterable<{ result?: { fields?: StreamPacket['fields']; rows?: StreamPacket['rows'] } }>) {
        const result = response.result;
        if (!result) continue; // the trailing session-only packet
        if (result.fields && result.fields.length > 0) yield { fields: result.fields };
        if (result.rows && result.rows.length > 0) yield { rows: result.rows };
      }
    } catch (err) {
      if (this.#cancelled && (err as grpc.ServiceError).code === grpc.status.CANCELLED) return;
      throw toStreamError(err, this.request.table);
    } finally {
      if (!this.#cancelled) call.cancel();
    }
  }
}
