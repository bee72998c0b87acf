// The client side of DataTransfer, shared by the SDK (writing and reading chunks) and by
// datanodes (forwarding down a pipeline): a pool of channels per datanode address, a chunk
// write stream with backpressure, and a chunk read as an async iterable.

import { once } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { CairnError } from './errors.js';
import { cairnProto, callMetadata, channelOptions, fromServiceError, type Identity } from './rpc.js';
import type { DataTransferClient } from '../proto/gen/cairn/DataTransfer.js';
import type { WriteAck__Output } from '../proto/gen/cairn/WriteAck.js';
import type { WriteFrame } from '../proto/gen/cairn/WriteFrame.js';
import type { WriteHeader } from '../proto/gen/cairn/WriteHeader.js';
import type { ReadFrame__Output } from '../proto/gen/cairn/ReadFrame.js';
import type { ReadRequest } from '../proto/gen/cairn/ReadRequest.js';

export class DataTransferPool {
  private readonly clients = new Map<string, DataTransferClient>();

  constructor(private readonly identity: Identity) {}

  client(address: string): DataTransferClient {
    let client = this.clients.get(address);
    if (client === undefined) {
      const Ctor = cairnProto().cairn.DataTransfer;
      client = new Ctor(address, grpc.credentials.createInsecure(), channelOptions);
      this.clients.set(address, client);
    }
    return client;
  }

  /** Opens a chunk write to `address`; the header goes first. */
  openWrite(address: string, header: WriteHeader, deadlineMs: number): ChunkWriteStream {
    return new ChunkWriteStream(this.client(address), address, header, callMetadata(this.identity), deadlineMs);
  }

  /** Reads a range of one replica; yields the verified bytes in order. */
  async *read(address: string, req: ReadRequest, deadlineMs: number): AsyncGenerator<Buffer> {
    const call = this.client(address).ReadChunk(req, callMetadata(this.identity), { deadline: Date.now() + deadlineMs });
    try {
      for await (const frame of call as AsyncIterable<ReadFrame__Output>) yield frame.data;
    } catch (err) {
      throw toCairn(err, address);
    } finally {
      call.cancel();
    }
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }
}

export class ChunkWriteStream {
  private readonly call: grpc.ClientWritableStream<WriteFrame>;
  private readonly ack: Promise<WriteAck__Output>;
  /** Settles when the call ends; rejects on failure (observed, so never an unhandled rejection). */
  private readonly ended: Promise<void>;
  private failure: CairnError | undefined;

  constructor(client: DataTransferClient, private readonly address: string, header: WriteHeader, metadata: grpc.Metadata, deadlineMs: number) {
    let resolveAck!: (ack: WriteAck__Output) => void;
    let rejectAck!: (err: CairnError) => void;
    this.ack = new Promise((resolve, reject) => {
      resolveAck = resolve;
      rejectAck = reject;
    });
    this.ack.catch(() => undefined); // observed through write() or finish()
    this.ended = this.ack.then(() => undefined);
    this.ended.catch(() => undefined);
    this.call = client.WriteChunk(metadata, { deadline: Date.now() + deadlineMs }, (err, ack) => {
      if (err !== null || ack === undefined) {
        this.failure = toCairn(err, address);
        rejectAck(this.failure);
      } else resolveAck(ack);
    });
    this.call.on('error', () => undefined); // surfaced through the callback
    this.call.write({ header });
  }

  get failed(): CairnError | undefined {
    return this.failure;
  }

  /** Sends one data frame, waiting while the stream's buffer is full. */
  async write(data: Buffer): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if (!this.call.write({ data })) {
      const abort = new AbortController();
      try {
        await Promise.race([once(this.call, 'drain', { signal: abort.signal }), this.ended]);
      } finally {
        abort.abort();
      }
    }
  }

  /** Ends the stream and waits for the acknowledgement of the whole pipeline below. */
  async finish(): Promise<WriteAck__Output> {
    if (this.failure === undefined) this.call.end();
    return this.ack;
  }

  abort(): void {
    this.call.cancel();
  }

  toString(): string {
    return `write stream to ${this.address}`;
  }
}

function toCairn(err: unknown, address: string): CairnError {
  if (err instanceof CairnError) return err;
  if (err !== null && typeof err === 'object' && 'code' in err && 'details' in err) {
    return fromServiceError(err as grpc.ServiceError, address);
  }
  return new CairnError('EIO', `${address}: ${(err as Error)?.message ?? String(err)}`);
}
