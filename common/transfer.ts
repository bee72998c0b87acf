// The client side of the data-transfer protocol (common/data-protocol.ts), shared by the SDK
// (writing and reading chunks) and by datanodes (forwarding down a pipeline, copying replicas):
// a chunk write stream with backpressure, and a chunk read as an async iterable. One TCP
// connection per transfer: on loopback and LANs a connect costs far less than a chunk.

import net, { type Socket } from 'node:net';
import { CairnError } from './errors.js';
import { FrameKind, errorFromFrame, frameHeader, jsonFrame, parseJson, readFrames, writeAll } from './data-protocol.js';
import type { Identity } from './rpc.js';
import type { WriteAck__Output } from '../proto/gen/cairn/WriteAck.js';
import type { WriteHeader } from '../proto/gen/cairn/WriteHeader.js';
import type { ReadRequest } from '../proto/gen/cairn/ReadRequest.js';

const endFrame = frameHeader(FrameKind.end, 0);
const idleTimeoutMs = 60_000;

export class DataTransferPool {
  private readonly open = new Set<Socket>();

  constructor(private readonly identity: Identity) {}

  /** Opens a chunk write to `address`; the header goes first. */
  openWrite(address: string, header: WriteHeader, deadlineMs: number): ChunkWriteStream {
    const socket = this.connect(address, deadlineMs);
    socket.write(jsonFrame(FrameKind.hello, { secret: this.identity.secret }));
    socket.write(jsonFrame(FrameKind.writeHeader, header));
    return new ChunkWriteStream(socket, address);
  }

  /** Reads a range of one replica; yields the verified bytes in order. */
  async *read(address: string, req: ReadRequest, deadlineMs: number): AsyncGenerator<Buffer> {
    const socket = this.connect(address, deadlineMs);
    try {
      socket.write(jsonFrame(FrameKind.hello, { secret: this.identity.secret }));
      socket.write(jsonFrame(FrameKind.readRequest, req));
      for await (const frame of readFrames(socket)) {
        if (frame.kind === FrameKind.data) yield frame.payload;
        else if (frame.kind === FrameKind.end) return;
        else if (frame.kind === FrameKind.error) throw errorFromFrame(frame, address);
        else throw new CairnError('EIO', `${address}: unexpected frame ${frame.kind}`);
      }
      throw new CairnError('EIO', `${address} closed the connection before the end of the chunk`);
    } catch (err) {
      throw toCairn(err, address);
    } finally {
      socket.destroy();
    }
  }

  /** Closes every connection still open. */
  close(): void {
    for (const socket of this.open) socket.destroy();
    this.open.clear();
  }

  private connect(address: string, deadlineMs: number): Socket {
    const at = address.lastIndexOf(':');
    const socket = net.connect({ host: address.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(address.slice(at + 1)), noDelay: true });
    this.open.add(socket);
    const timer = setTimeout(() => socket.destroy(new CairnError('ETIMEDOUT', `no answer from ${address} in time`)), deadlineMs);
    // A peer that stops moving bytes (hung, or cut off without a reset) fails the transfer
    // well before the overall deadline, so a pipeline can be rebuilt around it.
    socket.setTimeout(idleTimeoutMs, () => socket.destroy(new CairnError('ETIMEDOUT', `${address} stopped answering`)));
    socket.on('close', () => {
      clearTimeout(timer);
      this.open.delete(socket);
    });
    socket.on('error', () => undefined); // surfaced by whoever reads or writes the socket
    return socket;
  }
}

export class ChunkWriteStream {
  private readonly ack: Promise<WriteAck__Output>;
  private failure: CairnError | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly address: string,
  ) {
    this.ack = this.readAck();
    this.ack.catch((err: unknown) => {
      this.failure ??= toCairn(err, address);
      socket.destroy();
    });
  }

  get failed(): CairnError | undefined {
    return this.failure;
  }

  /** Sends one data frame, waiting while the socket's buffer is full. */
  async write(data: Buffer): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    try {
      await writeAll(this.socket, frameHeader(FrameKind.data, data.length), data);
    } catch (err) {
      throw this.failure ?? toCairn(err, this.address);
    }
  }

  /**
   * Ends the stream and waits for the acknowledgement of the whole pipeline below. Not async: it
   * returns the ack promise itself, which already has a handler, so a caller may await it later
   * (a datanode first waits for its own fsync) without an unhandled rejection, which would kill
   * the process, when the node below dies meanwhile.
   */
  finish(): Promise<WriteAck__Output> {
    if (this.failure === undefined) this.socket.write(endFrame);
    return this.ack;
  }

  abort(): void {
    this.failure ??= new CairnError('EIO', `write to ${this.address} aborted`);
    this.socket.destroy();
  }

  private async readAck(): Promise<WriteAck__Output> {
    try {
      for await (const frame of readFrames(this.socket)) {
        if (frame.kind === FrameKind.ack) {
          const ack = parseJson<WriteAck__Output>(frame, 'ack');
          this.socket.end();
          return ack;
        }
        if (frame.kind === FrameKind.error) throw errorFromFrame(frame, this.address);
        throw new CairnError('EIO', `${this.address}: unexpected frame ${frame.kind}`);
      }
    } catch (err) {
      throw toCairn(err, this.address);
    }
    throw this.failure ?? new CairnError('EIO', `${this.address} closed the connection before acknowledging`);
  }
}

function toCairn(err: unknown, address: string): CairnError {
  if (err instanceof CairnError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ECONNREFUSED') return new CairnError('ECONNREFUSED', `cannot reach ${address}`);
  if (e?.code === 'ECONNRESET' || e?.code === 'EPIPE') return new CairnError('EIO', `${address} dropped the connection`);
  return new CairnError('EIO', `${address}: ${e?.message ?? String(err)}`);
}
