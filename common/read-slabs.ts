// Socket reads into reused memory, for the data-transfer connections: the datanode's server
// (chunk bytes written to it) and the clients' pools (chunk bytes read from datanodes).
//
// Why: Node reads a socket into a fresh 64 KiB buffer each time. At the rate a datanode receives
// a chunk (hundreds of MiB/s), that is thousands of allocations a second, each of memory the
// kernel must fault in again, and the external memory they add up to triggers collections. A
// loopback receive of 2 GiB measured 1.96 s of CPU that way and 0.47-0.88 s reading into reused
// slabs, with 151,000 page faults against 7,000 (docs/PERFORMANCE.md, session 17).
//
// How: Node reads into memory the caller provides only for sockets it constructs with `onread`:
// a client connects with it (`connect`), and an accepted connection's handle is moved into such
// a socket (`adoptAccepted`; the server must create its sockets paused, `pauseOnConnect`, so
// that no read happened before). Each socket reads into the rest of its current slab; when less
// than `readBytesMin` is left, it takes another slab and retires the old one. The bytes read are handed on as views of the slab, as
// 'data' events, so readers of the socket see what they would see otherwise.
//
// The invariant that keeps data safe: a slab is reused only once it is retired and every byte
// read into it has been released, each exactly once, by whoever held it last (release(piece)).
// A byte never released only keeps its slab from being reused: the slab is then left to the
// garbage collector. So a holder that fails or forgets costs memory, never data; releasing too
// early is the one mistake that would corrupt. A datanode releases bytes once they are written
// to the disk and handed to every downstream socket's kernel buffer; a client once it has
// copied them into the caller's buffer (common/transfer.ts, DataTransferPool.read). Releases go
// through a frame's release, which counts once (data-protocol.ts); a slab released past what was
// read into it is never reused, but a piece released twice while another of the same size is
// still held would not be noticed: that is why nothing else calls release on a frame's pieces.
//
// Bytes that arrive while nobody listens for 'data' are released and the socket stops reading
// (as Node stops at its high-water mark), and whatever throws in the read callbacks destroys the
// socket: Node would otherwise read the next bytes over the ones just handed out. An idle socket
// keeps its slab (256 KiB, mostly pages never touched).

import net, { type Socket } from 'node:net';

/** A slab's size: a socket reads up to this much at once. */
const slabBytes = 256 * 1024;
/** A socket stops reading into a slab with less than this left (Node's own read size). */
const readBytesMin = 64 * 1024;
/** Free slabs kept for reuse; beyond that, returned slabs go to the garbage collector. */
const freeSlabsMax = 64;

interface Slab {
  buf: Buffer;
  /** Bytes read into it so far. */
  filled: number;
  /** Bytes of those released by their holders. */
  released: number;
  /** It is no socket's read target any more. */
  retired: boolean;
}

export class ReadSlabs {
  private readonly free: Slab[] = [];
  /** Where a socket that failed in a read callback reads its last bytes, read by nobody. */
  private readonly scratch = Buffer.allocUnsafeSlow(readBytesMin);
  private readonly slabOf = new WeakMap<ArrayBufferLike, Slab>();
  /** Slabs allocated, and reuses of a free one (for tests and benchmarks). */
  readonly stats = { allocated: 0, reused: 0, overReleased: 0 };

  /** A slab to read into: a free one, else a new one. */
  take(): Slab {
    const reused = this.free.pop();
    if (reused !== undefined) {
      this.stats.reused++;
      return reused;
    }
    this.stats.allocated++;
    const slab: Slab = { buf: Buffer.allocUnsafeSlow(slabBytes), filled: 0, released: 0, retired: false };
    this.slabOf.set(slab.buf.buffer, slab);
    return slab;
  }

  /** The slab stops being a read target; it is reused once its bytes are all released. */
  retire(slab: Slab): void {
    slab.retired = true;
    this.reuseIfDone(slab);
  }

  /** `piece`'s bytes are no longer needed by anyone. Pieces not read into a slab are ignored. */
  release(piece: Buffer): void {
    const slab = this.slabOf.get(piece.buffer);
    if (slab === undefined || piece.length === 0) return;
    slab.released += piece.length;
    this.reuseIfDone(slab);
  }

  private reuseIfDone(slab: Slab): void {
    if (slab.released > slab.filled) {
      // A holder released bytes twice: this slab's accounting can no longer be trusted, so it is
      // never reused (it goes to the garbage collector).
      this.stats.overReleased++;
      this.slabOf.delete(slab.buf.buffer);
      return;
    }
    if (!slab.retired || slab.released !== slab.filled) return;
    if (this.free.length >= freeSlabsMax) return;
    slab.filled = 0;
    slab.released = 0;
    slab.retired = false;
    this.free.push(slab);
  }

  /**
   * Moves an accepted connection (of a server created with `pauseOnConnect`) into a socket that
   * reads into slabs, and returns that socket. Its 'data' events carry views of slabs, each to
   * be released once.
   */
  adoptAccepted(accepted: Socket): Socket {
    const inner = accepted as unknown as { _handle: unknown };
    const socket = this.reading((onread) => new net.Socket({ handle: inner._handle, readable: true, writable: true, onread } as net.SocketConstructorOpts));
    // The accepted socket no longer owns the handle. Destroyed once the new one closes, it
    // tells its server that the connection is gone (server.close waits for that).
    inner._handle = null;
    socket.once('close', () => accepted.destroy());
    return socket;
  }

  /** net.connect, with the socket reading into slabs as adoptAccepted's does. */
  connect(options: net.TcpNetConnectOpts): Socket {
    return this.reading((onread) => net.connect({ ...options, onread }));
  }

  /** The socket `create` makes with the `onread` it is given: each read lands in the rest of its current slab. */
  private reading(create: (onread: net.OnReadOpts) => Socket): Socket {
    let current = this.take();
    const onread: net.OnReadOpts = {
      buffer: () => {
        try {
          if (current.buf.length - current.filled < readBytesMin) {
            this.retire(current);
            current = this.take();
          }
          return current.buf.subarray(current.filled);
        } catch (err) {
          socket.destroy(err as Error);
          return this.scratch;
        }
      },
      // Called only once create has returned: socket is set.
      callback: (bytes: number, buf: Uint8Array): boolean => {
        if (buf.buffer === this.scratch.buffer) return false;
        const piece = Buffer.from(buf.buffer, buf.byteOffset, bytes);
        current.filled += bytes;
        if (socket.listenerCount('data') === 0) {
          this.release(piece);
          return false; // stop reading until someone listens (Readable's on('data') resumes)
        }
        try {
          socket.emit('data', piece);
        } catch (err) {
          socket.destroy(err as Error);
        }
        return true;
      },
    };
    const socket = create(onread);
    socket.once('close', () => this.retire(current));
    return socket;
  }
}
