// Buffers a datanode reads replica ranges into for sending: to a client reading a chunk
// (transfer-service.ts) or to a node it copies a replica to (replicator.ts).

import { limits } from '../common/limits.js';

/** A send buffer holds one data frame (a chunk read's step); at most this many are kept free. */
const sendBufferBytes = limits.dataFrameBytes;
const sendBuffersKeptMax = 16;

/**
 * Buffers a chunk read is read into for sending, used again once their bytes have left the
 * process (the socket write's callback): a fresh buffer for every MiB sent costs its page faults
 * and a share of the collector's work, as a fresh one for every read did (common/read-slabs.ts).
 * Only a buffer this pool gave out comes back to it, and only once.
 */
export class SendBuffers {
  private readonly free: ArrayBuffer[] = [];
  private readonly out = new WeakSet<ArrayBufferLike>();

  take(bytes: number): Buffer {
    if (bytes > sendBufferBytes) return Buffer.allocUnsafe(bytes);
    const memory = this.free.pop() ?? Buffer.allocUnsafeSlow(sendBufferBytes).buffer;
    this.out.add(memory);
    return Buffer.from(memory, 0, bytes);
  }

  give(buf: Buffer): void {
    if (!this.out.delete(buf.buffer)) return;
    if (this.free.length < sendBuffersKeptMax) this.free.push(buf.buffer as ArrayBuffer);
  }
}

