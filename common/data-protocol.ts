// The data-transfer protocol: chunk bytes on a plain framed TCP stream, as HDFS's data-transfer
// protocol does, because gRPC streams measured several times slower here (docs/PERFORMANCE.md).
// The control messages are the ones proto/cairn.proto defines (WriteHeader, WriteAck,
// ReadRequest), carried as JSON; file bytes are carried raw, never re-encoded.
//
// A frame is: kind (1 byte) | payload length (uint32 BE) | payload.
// A connection begins with HELLO {secret}, then carries operations one after another:
//   client: WRITE_HEADER WriteHeader  (DATA | DATA_AT)…  END [WriteEnd]   server: ACK WriteAck | ERROR
//   client: READ_REQUEST ReadRequest                       server: DATA… END | ERROR
//   client: SYNC_REQUEST SyncRequest                       server: ACK {} | ERROR
//   client: LOCAL_REQUEST ReadRequest (no range)           server: ACK LocalReplica | ERROR
//     (a client on the datanode's own machine asks where a replica's file is, to read it
//     itself: short-circuit reads, client/sdk/local-reads.ts)
// The server may answer ERROR at any point and close; the client stops at the first ERROR and
// never reuses that connection.

import net, { type Socket } from 'node:net';
import { CairnError, isErrorCode } from './errors.js';
import { limits } from './limits.js';
import { once } from './once.js';
import type { ReadSlabs } from './read-slabs.js';

export const FrameKind = {
  hello: 0,
  writeHeader: 1,
  data: 2,
  end: 3,
  ack: 4,
  error: 5,
  readRequest: 6,
  syncRequest: 7,
  /** DATA at an offset in the chunk: offset (uint64 BE) | bytes. The next DATA continues after it. */
  dataAt: 8,
  localRequest: 9,
} as const;

/** Where a replica's file is, for a client on the same machine (LOCAL_REQUEST's answer). */
export interface LocalReplica {
  /** Its bytes, then their checksums (common/replica-file.ts). */
  path: string;
  lengthBytes: number;
}

export type FrameKindValue = (typeof FrameKind)[keyof typeof FrameKind];

export interface Frame {
  kind: number;
  payload: Buffer;
  /**
   * With `readFrames(..., splitData)`, the bytes of a DATA frame (or of a DATA_AT frame after its
   * 8-byte offset, which stays in `payload`) as the socket delivered them, uncopied.
   */
  pieces?: Buffer[];
  /**
   * With `readFrames(..., { slabs })`, `pieces` are views of slabs the socket reads into again:
   * call this once, when nothing uses them any more (common/read-slabs.ts).
   */
  release?: () => void;
}

/** How readFrames hands out data frames: as `pieces`; with `slabs`, as views of them, to release. */
export interface SplitData {
  slabs?: ReadSlabs;
}

const headerBytes = 5;
const empty = Buffer.alloc(0);
const framePayloadBytesMax = limits.dataFrameBytes * 4;

/** A TCP connection to HOST:PORT (IPv6 hosts in brackets), Nagle off: frames go out at once. */
/** A connection to `address` ("host:port"); with `slabs`, it reads into them (common/read-slabs.ts). */
export function connectTo(address: string, slabs?: ReadSlabs): Socket {
  const at = address.lastIndexOf(':');
  const options = { host: address.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(address.slice(at + 1)), noDelay: true };
  return slabs === undefined ? net.connect(options) : slabs.connect(options);
}

export function frameHeader(kind: number, payloadBytes: number): Buffer {
  const header = Buffer.allocUnsafe(headerBytes);
  header.writeUInt8(kind, 0);
  header.writeUInt32BE(payloadBytes, 1);
  return header;
}

export function jsonFrame(kind: number, message: unknown): Buffer {
  const payload = Buffer.from(JSON.stringify(message));
  return Buffer.concat([frameHeader(kind, payload.length), payload]);
}

export function parseJson<T>(frame: Frame, what: string): T {
  try {
    return JSON.parse(frame.payload.toString('utf8')) as T;
  } catch {
    throw new CairnError('EINVAL', `malformed ${what} frame`);
  }
}

export function errorFrame(err: unknown): Buffer {
  const code = err instanceof CairnError ? err.code : 'EIO';
  const message = err instanceof CairnError ? err.message : `EIO: ${(err as Error)?.message ?? String(err)}`;
  return jsonFrame(FrameKind.error, { code, message });
}

export function errorFromFrame(frame: Frame, peer: string): CairnError {
  const { code, message } = parseJson<{ code: string; message: string }>(frame, 'error');
  const detail = String(message ?? '').replace(/^[A-Z]+: /, '');
  return new CairnError(isErrorCode(code) ? code : 'EIO', detail === '' ? `${peer} failed` : detail);
}

/**
 * Frames as they arrive on a socket. Backpressure comes from the consumer's pace (the socket is
 * paused while more than `bufferedBytesMax` wait). Unlike a for-await over the socket, leaving
 * this generator does not destroy the socket, so a server can still answer on it.
 *
 * With `splitData`, data frames come as `pieces`: the socket's own buffers, never copied into one
 * (a datanode writes them to its file with one writev and forwards them with another). With
 * `splitData.slabs`, every other byte is copied out of the slabs and released at once, so that
 * the pieces of data frames, released by their consumer, are the only views of slabs it hands out.
 */
export async function* readFrames(
  socket: Socket,
  bufferedBytesMax = 8 * 1024 * 1024,
  payloadBytesMax = framePayloadBytesMax,
  splitData: SplitData | undefined = undefined,
): AsyncGenerator<Frame> {
  const slabs = splitData?.slabs;
  const pending: Buffer[] = [];
  let pendingBytes = 0;
  let ended = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const onData = (chunk: Buffer): void => {
    pending.push(chunk);
    pendingBytes += chunk.length;
    if (pendingBytes > bufferedBytesMax) socket.pause();
    wake?.();
  };
  const onEnd = (): void => {
    ended = true;
    wake?.();
  };
  const onError = (err: Error): void => {
    failure = err;
    wake?.();
  };
  /** The next n bytes as the socket delivered them (no copy). */
  const takePieces = (n: number): Buffer[] => {
    const out: Buffer[] = [];
    for (let left = n; left > 0; ) {
      const piece = pending[0] as Buffer;
      if (piece.length <= left) {
        out.push(piece);
        pending.shift();
        left -= piece.length;
      } else {
        out.push(piece.subarray(0, left));
        pending[0] = piece.subarray(left);
        left = 0;
      }
    }
    pendingBytes -= n;
    if (pendingBytes <= bufferedBytesMax && socket.isPaused()) socket.resume();
    return out;
  };
  /** The next n bytes in one buffer: a view when they sit in one socket buffer, else a copy of just them. */
  const take = (n: number): Buffer => {
    const pieces = takePieces(n);
    if (slabs === undefined) return pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces, n);
    const copy = Buffer.concat(pieces, n);
    for (const piece of pieces) slabs.release(piece);
    return copy;
  };
  /** The bytes of a data frame, and with slabs the release of them (once). */
  const dataFrame = (kind: number, payload: Buffer, n: number): Frame => {
    const pieces = takePieces(n);
    if (slabs === undefined) return { kind, payload, pieces };
    const release = once(() => {
      for (const piece of pieces) slabs.release(piece);
    });
    return { kind, payload, pieces, release };
  };
  socket.on('data', onData);
  socket.on('end', onEnd);
  socket.on('close', onEnd);
  socket.on('error', onError);
  try {
    for (;;) {
      if (pendingBytes >= headerBytes) {
        const head = (pending[0] as Buffer).length >= headerBytes ? (pending[0] as Buffer) : Buffer.concat(pending.slice(0, headerBytes), headerBytes);
        const kind = head.readUInt8(0);
        const length = head.readUInt32BE(1);
        if (length > payloadBytesMax) throw new CairnError('EINVAL', `frame of ${length} bytes is too large`);
        if (pendingBytes >= headerBytes + length) {
          take(headerBytes);
          if (splitData !== undefined && kind === FrameKind.data) yield dataFrame(kind, empty, length);
          else if (splitData !== undefined && kind === FrameKind.dataAt && length >= 8) yield dataFrame(kind, take(8), length - 8);
          else yield { kind, payload: take(length) };
          continue;
        }
      }
      if (failure !== undefined) throw failure;
      if (ended) break;
      if (socket.isPaused()) socket.resume(); // a frame larger than the buffer limit must still arrive
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
    if (pendingBytes > 0) throw new CairnError('EIO', 'connection closed in the middle of a frame');
  } finally {
    if (slabs !== undefined) for (const piece of pending.splice(0)) slabs.release(piece); // bytes no frame got
    socket.off('data', onData);
    socket.off('end', onEnd);
    socket.off('close', onEnd);
    socket.off('error', onError);
  }
}

/** Writes, waiting while the socket's buffer is full; rejects if the socket fails meanwhile. */
export async function writeAll(socket: Socket, ...buffers: Buffer[]): Promise<void> {
  await writeBuffers(socket, buffers);
}

/**
 * writeAll, and `sent` is called once the buffers have left the process or the socket failed:
 * only then may their memory be reused (write() returning, or even 'drain', may come before).
 */
export async function writeBuffers(socket: Socket, buffers: Buffer[], sent?: () => void): Promise<void> {
  let full = false;
  // Corked, the buffers leave in one writev (a frame header alone would be a syscall and, with
  // Nagle off, a packet of its own).
  if (buffers.length > 1) socket.cork();
  try {
    // Writes complete in order: the last one's callback comes after all of them.
    for (const [i, buf] of buffers.entries()) full = !socket.write(buf, i === buffers.length - 1 ? sent : undefined) || full;
  } finally {
    if (buffers.length > 1) socket.uncork();
  }
  if (!full) return;
  await new Promise<void>((resolve, reject) => {
    const done = (err?: Error): void => {
      socket.off('drain', onDrain);
      socket.off('close', onClose);
      socket.off('error', done);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = (): void => done();
    const onClose = (): void => done(new CairnError('EIO', 'connection closed'));
    socket.on('drain', onDrain);
    socket.on('close', onClose);
    socket.on('error', done);
  });
}
