// The client side of the data-transfer protocol (common/data-protocol.ts), shared by the SDK
// (writing and reading chunks) and by datanodes (forwarding down a pipeline, copying replicas):
// a chunk write stream with backpressure, a chunk read as an async iterable, and a sync request.
//
// Connections are kept alive and reused, one operation at a time each: a random 4 KiB read or a
// small file would otherwise pay a TCP connect and the HELLO for a few kilobytes. A connection
// goes back to the pool only after an operation that ended cleanly (its END or ACK read); any
// failure destroys it. Idle connections are watched, so one the datanode closed (a restart) is
// dropped at once rather than handed out, and closed after `idleKeepMs`.

import type { Socket } from 'node:net';
import { CairnError } from './errors.js';
import { holders } from './once.js';
import { ReadSlabs } from './read-slabs.js';
import { FrameKind, connectTo, errorFromFrame, frameHeader, jsonFrame, parseJson, readFrames, writeBuffers, type Frame, type LocalReplica } from './data-protocol.js';
import type { Identity } from './rpc.js';
import type { WriteAck__Output } from '../proto/gen/cairn/WriteAck.js';
import type { WriteHeader } from '../proto/gen/cairn/WriteHeader.js';
import type { ReadRequest } from '../proto/gen/cairn/ReadRequest.js';
import type { SyncRequest } from '../proto/gen/cairn/SyncRequest.js';
import type { WriteEnd } from '../proto/gen/cairn/WriteEnd.js';

const endFrame = frameHeader(FrameKind.end, 0);
const syncEndFrame = jsonFrame(FrameKind.end, { sync: true } satisfies WriteEnd);
const idleTimeoutMs = 60_000;
/** An idle connection is closed after this long (datanodes drop theirs after 120 s). */
const idleKeepMs = 20_000;
/** Idle connections kept per datanode address. */
const idlePerAddressMax = 16;

/** One operation's use of a connection; `release` gives it back for reuse, `destroy` ends it. */
export interface Lease {
  socket: Socket;
  /** Whether the connection carried an operation before (it may have died while idle). */
  reused: boolean;
  release: () => void;
  destroy: (err?: Error) => void;
}

export class DataTransferPool {
  private readonly open = new Set<Socket>();
  private readonly idle = new Map<string, Array<{ socket: Socket; unwatch: () => void }>>();
  /** What the connections read into (common/read-slabs.ts): a chunk read's bytes are copied out and the slab used again. */
  private readonly slabs = new ReadSlabs();
  /** Connections opened and operations that reused a kept one (for tests and benchmarks). */
  readonly stats = { connects: 0, reuses: 0 };

  constructor(private readonly identity: Identity) {}

  /**
   * Opens a chunk write to `address`. The header goes with the first frame that follows it (data
   * or the end), in one write: for a small file, one system call and one wake-up of the
   * datanode fewer (the header alone used to leave at once, the data a moment later).
   */
  openWrite(address: string, header: WriteHeader, deadlineMs: number): ChunkWriteStream {
    const lease = this.acquire(address, deadlineMs);
    return new ChunkWriteStream(lease, address, this.slabs, jsonFrame(FrameKind.writeHeader, header));
  }

  /**
   * Opens a small new chunk's write to every node of its pipeline at once, the same frames to
   * each (`FanOutWriteStream`): no node forwards, so the upload's end waits for one hop instead
   * of two. Held until `finish` (the whole chunk leaves with its end).
   */
  openFanOut(pipeline: ReadonlyArray<{ id: string; address: string }>, header: WriteHeader, deadlineMs: number): FanOutWriteStream {
    const alone = { ...header, downstream: [] };
    return new FanOutWriteStream(pipeline.map((dn) => ({ id: dn.id, stream: this.openWrite(dn.address, alone, deadlineMs) })));
  }

  /**
   * Reads a range of one replica; yields the verified bytes in order. A yielded buffer is valid
   * until the loop asks for the next one or ends: its memory is then read into again.
   */
  async *read(address: string, req: ReadRequest, deadlineMs: number): AsyncGenerator<Buffer> {
    for (let fresh = false; ; fresh = true) {
      const lease = this.acquire(address, deadlineMs, fresh);
      let received = false;
      let ended = false;
      try {
        lease.socket.write(jsonFrame(FrameKind.readRequest, req));
        for await (const frame of readFrames(lease.socket, undefined, undefined, { slabs: this.slabs })) {
          received = true;
          if (frame.kind === FrameKind.data) {
            try {
              for (const piece of frame.pieces ?? []) yield piece;
            } finally {
              frame.release?.();
            }
          }
          else if (frame.kind === FrameKind.end) {
            ended = true;
            return;
          } else if (frame.kind === FrameKind.error) throw errorFromFrame(frame, address);
          else throw new CairnError('EIO', `${address}: unexpected frame ${frame.kind}`);
        }
        throw new CairnError('EIO', `${address} closed the connection before the end of the chunk`);
      } catch (err) {
        // A kept connection that died while idle: once more on a new one.
        if (lease.reused && !received) continue;
        throw toCairn(err, address);
      } finally {
        if (ended) lease.release();
        else lease.destroy();
      }
    }
  }

  /** Asks a datanode to make replicas written without sync durable. */
  async sync(address: string, req: SyncRequest, deadlineMs: number): Promise<void> {
    await this.ask(address, FrameKind.syncRequest, req, deadlineMs);
  }

  /** Asks a datanode on this machine where a replica's files are (short-circuit reads). */
  async locate(address: string, req: ReadRequest, deadlineMs: number): Promise<LocalReplica> {
    return parseJson<LocalReplica>(await this.ask(address, FrameKind.localRequest, req, deadlineMs), 'local replica');
  }

  /** One request answered by one ACK frame (returned), on a kept connection when there is one. */
  private async ask(address: string, kind: number, req: unknown, deadlineMs: number): Promise<Frame> {
    for (let fresh = false; ; fresh = true) {
      const lease = this.acquire(address, deadlineMs, fresh);
      let received = false;
      try {
        lease.socket.write(jsonFrame(kind, req));
        for await (const frame of readFrames(lease.socket, undefined, undefined, { slabs: this.slabs })) {
          received = true;
          if (frame.kind === FrameKind.ack) {
            lease.release();
            return frame;
          }
          if (frame.kind === FrameKind.error) throw errorFromFrame(frame, address);
          throw new CairnError('EIO', `${address}: unexpected frame ${frame.kind}`);
        }
        throw new CairnError('EIO', `${address} closed the connection before answering`);
      } catch (err) {
        lease.destroy();
        if (lease.reused && !received) continue;
        throw toCairn(err, address);
      }
    }
  }

  /** Closes every connection still open. */
  close(): void {
    for (const socket of this.open) socket.destroy();
    this.open.clear();
    this.idle.clear();
  }

  /** A connection to `address` for one operation: a kept one when there is one (unless `fresh`). */
  private acquire(address: string, deadlineMs: number, fresh = false): Lease {
    let socket: Socket | undefined;
    let reused = false;
    const kept = fresh ? undefined : this.idle.get(address);
    while (socket === undefined && kept !== undefined && kept.length > 0) {
      const candidate = kept.pop() as { socket: Socket; unwatch: () => void };
      candidate.unwatch();
      if (!candidate.socket.destroyed && candidate.socket.writable) {
        socket = candidate.socket;
        reused = true;
      }
    }
    if (reused) this.stats.reuses++;
    socket ??= this.connect(address);
    const chosen = socket;
    const timer = setTimeout(() => chosen.destroy(new CairnError('ETIMEDOUT', `no answer from ${address} in time`)), deadlineMs);
    let done = false;
    return {
      socket: chosen,
      reused,
      release: () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.keep(address, chosen);
      },
      destroy: (err?: Error) => {
        if (done) return; // released: the connection may already carry someone else's operation
        done = true;
        clearTimeout(timer);
        chosen.destroy(err);
      },
    };
  }

  private connect(address: string): Socket {
    this.stats.connects++;
    const socket = connectTo(address, this.slabs);
    this.open.add(socket);
    // A peer that stops moving bytes (hung, or cut off without a reset) fails the transfer
    // well before the overall deadline, so a pipeline can be rebuilt around it.
    socket.setTimeout(idleTimeoutMs, () => socket.destroy(new CairnError('ETIMEDOUT', `${address} stopped answering`)));
    socket.on('close', () => this.open.delete(socket));
    socket.on('error', () => undefined); // surfaced by whoever reads or writes the socket
    socket.write(jsonFrame(FrameKind.hello, { secret: this.identity.secret }));
    return socket;
  }

  /** Keeps an idle connection, watching it: anything it says, or its end, drops it. */
  private keep(address: string, socket: Socket): void {
    if (socket.destroyed || !socket.writable) return;
    let list = this.idle.get(address);
    if (list === undefined) this.idle.set(address, (list = []));
    if (list.length >= idlePerAddressMax) return void socket.destroy();
    const drop = (): void => {
      entry.unwatch();
      const i = (list as typeof entry[]).indexOf(entry);
      if (i >= 0) (list as typeof entry[]).splice(i, 1);
      socket.destroy();
    };
    const timer = setTimeout(drop, idleKeepMs);
    timer.unref();
    const entry = {
      socket,
      unwatch: () => {
        clearTimeout(timer);
        socket.off('data', drop);
        socket.off('end', drop);
        socket.off('close', drop);
      },
    };
    socket.on('data', drop);
    socket.on('end', drop);
    socket.on('close', drop);
    if (socket.isPaused()) socket.resume();
    list.push(entry);
  }
}

export class ChunkWriteStream {
  private readonly ack: Promise<WriteAck__Output>;
  private failure: CairnError | undefined;
  /** The acknowledgement came and the connection went back to the pool. */
  private acknowledged = false;
  /** Frames held for `finish` (`hold`), and what to tell once they left. */
  private held: { buffers: Buffer[]; sent: Array<() => void> } | undefined;
  private readonly socket: Socket;

  constructor(
    private readonly lease: Lease,
    private readonly address: string,
    private readonly slabs: ReadSlabs,
    /** The header frame, until it leaves with the first frame after it. */
    private header?: Buffer,
  ) {
    this.socket = lease.socket;
    this.ack = this.readAck();
    this.ack.catch((err: unknown) => {
      this.failure ??= toCairn(err, address);
      lease.destroy();
    });
  }

  get failed(): CairnError | undefined {
    return this.failure;
  }

  /**
   * Sends one data frame (its bytes in one buffer or several), waiting while the socket's buffer
   * is full. `sent` is called once, when the bytes have left the process or never will.
   */
  async write(data: Buffer | Buffer[], sent?: () => void): Promise<void> {
    const pieces = Array.isArray(data) ? data : [data];
    await this.send([frameHeader(FrameKind.data, byteLength(pieces)), ...pieces], sent);
  }

  /** Sends one data frame that lands at `offset` in the chunk (later frames continue after it); `sent` as for write. */
  async writeAt(offset: number, data: Buffer | Buffer[], sent?: () => void): Promise<void> {
    const pieces = Array.isArray(data) ? data : [data];
    const at = Buffer.allocUnsafe(8);
    at.writeBigUInt64BE(BigInt(offset), 0);
    await this.send([frameHeader(FrameKind.dataAt, 8 + byteLength(pieces)), at, ...pieces], sent);
  }

  /** Sends the header now, alone (a node below starts on it: an update copies its base). */
  sendHeader(): void {
    if (this.header === undefined || this.failure !== undefined) return;
    this.socket.write(this.header);
    this.header = undefined;
  }

  /** From now until `finish`, frames are held, to leave with the end in one write (a small upload). */
  hold(): void {
    this.held ??= { buffers: [], sent: [] };
  }

  /** One frame's buffers, unless the stream failed (then `sent` at once: they will never leave). */
  private async send(buffers: Buffer[], sent: (() => void) | undefined): Promise<void> {
    if (this.failure !== undefined) {
      sent?.();
      throw this.failure;
    }
    if (this.held !== undefined) {
      this.held.buffers.push(...buffers);
      if (sent !== undefined) this.held.sent.push(sent);
      return;
    }
    const header = this.header;
    this.header = undefined;
    try {
      await writeBuffers(this.socket, header !== undefined ? [header, ...buffers] : buffers, sent);
    } catch (err) {
      throw this.failure ?? toCairn(err, this.address);
    }
  }

  /**
   * Ends the stream and waits for the acknowledgement of the whole pipeline below. Not async: it
   * returns the ack promise itself, which already has a handler, so a caller may await it later
   * (a datanode first waits for its own fsync) without an unhandled rejection, which would kill
   * the process, when the node below dies meanwhile. With `sync`, every replica is on disk
   * before the ack.
   */
  finish(sync = false): Promise<WriteAck__Output> {
    const held = this.held;
    this.held = undefined;
    const heldSent = (): void => held?.sent.splice(0).forEach((sent) => sent());
    if (this.failure !== undefined) {
      heldSent(); // they will never leave
      return this.ack;
    }
    const end = sync ? syncEndFrame : endFrame;
    const out = [...(this.header !== undefined ? [this.header] : []), ...(held?.buffers ?? []), end];
    this.header = undefined;
    // A failure shows in the acknowledgement (the connection closes).
    writeBuffers(this.socket, out, heldSent).catch(() => heldSent());
    return this.ack;
  }

  /** Ends a stream not acknowledged yet (its socket destroyed); nothing for one that was. */
  abort(): void {
    const held = this.held;
    this.held = undefined;
    held?.sent.forEach((sent) => sent()); // they will never leave
    if (this.acknowledged) return; // every upload's finish aborts its stream: no error to build then
    this.failure ??= new CairnError('EIO', `write to ${this.address} aborted`);
    this.lease.destroy();
  }

  private async readAck(): Promise<WriteAck__Output> {
    try {
      for await (const frame of readFrames(this.socket, undefined, undefined, { slabs: this.slabs })) {
        if (frame.kind === FrameKind.ack) {
          const ack = parseJson<WriteAck__Output>(frame, 'ack');
          if (this.failure === undefined) {
            this.acknowledged = true;
            this.lease.release();
          }
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

/** What an upload writes a chunk through: a pipeline (ChunkWriteStream), or each node of it directly (FanOutWriteStream). */
export type ChunkSink = Pick<ChunkWriteStream, 'write' | 'writeAt' | 'hold' | 'finish' | 'abort'>;

/**
 * One chunk write sent to several datanodes side by side, each storing its own replica (a
 * header without downstream nodes), rather than to the first, which forwards: the client
 * fans out, as HDFS's and MooseFS's clients do not, but only for a small new chunk held until
 * its finish (chunk-io.ts), where the second hop's wake-ups cost more than the bytes sent twice
 * more. The acknowledgement is the pipeline's, as the first node would have built it: the nodes
 * that answered in order, and those that failed, for the writer to exclude and retry.
 */
export class FanOutWriteStream {
  constructor(private readonly streams: ReadonlyArray<{ id: string; stream: ChunkWriteStream }>) {}

  hold(): void {
    for (const { stream } of this.streams) stream.hold();
  }

  async write(data: Buffer | Buffer[], sent?: () => void): Promise<void> {
    await this.each((stream, done) => stream.write(data, done), sent);
  }

  async writeAt(offset: number, data: Buffer | Buffer[], sent?: () => void): Promise<void> {
    await this.each((stream, done) => stream.writeAt(offset, data, done), sent);
  }

  /**
   * Sends to every stream not failed yet; a stream that fails now shows in the acknowledgement.
   * `sent` once every stream is done with the bytes. Throws only when every stream has failed.
   */
  private async each(send: (stream: ChunkWriteStream, done: () => void) => Promise<void>, sent: (() => void) | undefined): Promise<void> {
    const done = holders(this.streams.length, sent);
    const results = await Promise.allSettled(this.streams.map(({ stream }, i) => send(stream, done[i] as () => void)));
    if (results.length > 0 && results.every((r) => r.status === 'rejected')) throw (results[0] as PromiseRejectedResult).reason;
  }

  /** Ends every stream; the acknowledgement once all have answered or failed. Fails when none holds the chunk. */
  async finish(sync = false): Promise<WriteAck__Output> {
    const acks = await Promise.allSettled(this.streams.map(({ stream }) => stream.finish(sync)));
    const datanodeIds: string[] = [];
    const failed: string[] = [];
    let lengthBytes: number | undefined;
    let firstError: unknown;
    acks.forEach((settled, i) => {
      const { id } = this.streams[i] as { id: string };
      if (settled.status === 'rejected') {
        firstError ??= settled.reason;
        failed.push(id);
        return;
      }
      const ack = settled.value;
      lengthBytes ??= ack.lengthBytes;
      // Each node got the same frames; one that stored another length is not a replica of this version.
      if (ack.lengthBytes !== lengthBytes) failed.push(id);
      else datanodeIds.push(...ack.datanodeIds);
      failed.push(...ack.failed);
    });
    if (datanodeIds.length === 0) throw firstError ?? new CairnError('EIO', 'no datanode acknowledged the chunk');
    return { datanodeIds, failed, lengthBytes: lengthBytes as number };
  }

  abort(): void {
    for (const { stream } of this.streams) stream.abort();
  }
}

export function byteLength(pieces: readonly Buffer[]): number {
  let n = 0;
  for (const piece of pieces) n += piece.length;
  return n;
}

function toCairn(err: unknown, address: string): CairnError {
  if (err instanceof CairnError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ECONNREFUSED') return new CairnError('ECONNREFUSED', `cannot reach ${address}`);
  if (e?.code === 'ECONNRESET' || e?.code === 'EPIPE') return new CairnError('EIO', `${address} dropped the connection`);
  return new CairnError('EIO', `${address}: ${e?.message ?? String(err)}`);
}
