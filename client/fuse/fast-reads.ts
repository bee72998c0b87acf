// Reads served on the fast path (fast-path.ts), by the thread that read the request from
// /dev/fuse, without the SDK.
//
// A READ through the SDK goes file system -> SDK -> pread in libuv's pool -> main thread -> reply:
// more wake-ups than the read itself costs on a busy 2-core machine, for a 4 KiB read. When the
// bytes are in a replica on this machine that short-circuit reads already opened
// (sdk/local-reads.ts), the thread that read the request answers it at once: pread the replica's
// file, verify its checksums and write the reply.
//
// That thread is the main thread itself by default, or one of the reader threads (device.ts);
// "reader" below means either. The main thread decides what a reader may serve, and tells every
// reader before answering whatever makes that stale:
// - after a read through the main thread, it offers the chunks that read found local, for that
//   file handle only, as that handle sees the file (its size and chunk versions at open: what the
//   main thread would have served it too);
// - it withdraws every handle of an inode before answering the open of a writer of that inode on
//   this mount, or a truncate through it (OpenFiles.bumpVersion), and a handle at its release.
// A reader takes in these messages (at once on the main thread; with receiveMessageOnPort, in
// order, in a reader thread) before it looks at a request, so a read the kernel sends after such
// an answer never finds a stale offer. Anything it
// cannot serve (no offer, a chunk not offered, a checksum mismatch, a file gone) goes to the main
// thread as before, which reads through the datanode and reports a corrupt replica.

import { closeSync, openSync } from 'node:fs';
import { namesFile, readTrailerSync, readVerifiedSync } from '../../common/replica-file.js';
import { SetIndex } from '../../common/set-index.js';
import { DirectReads, type DirectSource } from './direct-reads.js';
import type { FileHandle } from '../sdk/file-handle.js';
import { outHeaderBytes } from './protocol.js';

/** Messages from the main thread to the readers (the threads that read /dev/fuse). */
export type ReaderControl =
  | {
      kind: 'chunk';
      fh: number;
      index: number;
      chunkSizeBytes: number;
      fileSizeBytes: number;
      /** The replica's file: its bytes, then their checksums. */
      path: string;
      lengthBytes: number;
    }
  | { kind: 'drop'; fh: number };

/** The main thread's side: which handles' chunks the readers may serve. */
export class FastReads {
  /** fh -> its inode and the chunk indexes offered for it. */
  private readonly offered = new Map<number, { ino: number; indexes: Set<number> }>();
  private readonly fhsOf = new SetIndex<number, number>();

  constructor(private readonly post: (msg: ReaderControl) => void) {}

  /**
   * After `reader` (the handle of `fh`) served [start, end): offers the chunks it read locally,
   * as the handle sees the file (its size and chunk versions).
   */
  offer(fh: number, ino: number, reader: FileHandle, start: number, end: number): void {
    if (end <= start) return;
    const chunkSizeBytes = reader.chunkSizeBytes;
    let entry = this.offered.get(fh);
    for (let index = Math.floor(start / chunkSizeBytes); index * chunkSizeBytes < end; index++) {
      if (entry?.indexes.has(index) === true) continue;
      const local = reader.localChunk(index);
      if (local === undefined) continue;
      if (entry === undefined) {
        this.offered.set(fh, (entry = { ino, indexes: new Set() }));
        this.fhsOf.add(ino, fh);
      }
      entry.indexes.add(index);
      this.post({ kind: 'chunk', fh, index, chunkSizeBytes, fileSizeBytes: reader.sizeBytes, ...local });
    }
  }

  /** Withdraws every offer for `ino` (its contents change through this mount). */
  withdrawInode(ino: number): void {
    for (const fh of this.fhsOf.get(ino)) this.withdraw(fh);
  }

  /** Withdraws the offers for `fh` (released, or its reader replaced). */
  withdraw(fh: number): void {
    const entry = this.offered.get(fh);
    if (entry === undefined) return;
    this.offered.delete(fh);
    this.fhsOf.remove(entry.ino, fh);
    this.post({ kind: 'drop', fh });
  }
}

interface OfferedChunk extends DirectSource {
  fd?: number;
}

interface OfferedFile {
  fileSizeBytes: number;
  chunkSizeBytes: number;
  chunks: Map<number, OfferedChunk>;
  /** The chunk the last read of this handle here was in (`onChunk`). */
  lastIndex?: number;
}

/** Replica files a reader keeps open at most (the least recently read is closed first). */
const openChunksMax = 128;

/** A reader's side: the offers it holds, and serving reads from them (synchronously). */
export class ReaderFiles {
  private readonly files = new Map<number, OfferedFile>();
  /** Chunks whose file is open, least recently read first. */
  private readonly open = new Set<OfferedChunk>();
  /**
   * Replies and window reads reuse these (a reply is written before the next request is read):
   * a fresh 128 KiB buffer per READ is memory the kernel faults in page by page, which on a
   * virtual machine costs more than reading the bytes.
   */
  private replyBuf = Buffer.allocUnsafeSlow(0);
  private readonly scratch = { buf: Buffer.allocUnsafeSlow(0) };
  /** Large sequential reads past the page cache (made at the first one). */
  private direct: DirectReads | undefined;

  /**
   * `onDirect`: told of each read served past the page cache (for the mount's counts); without
   * it, every read goes through the page cache. `onChunk`: told when the reads of a handle move
   * into another chunk (the main thread then locates the ones after it).
   */
  constructor(
    private readonly onDirect?: () => void,
    private readonly onChunk?: (fh: number, index: number) => void,
  ) {}

  apply(msg: ReaderControl): void {
    if (msg.kind === 'drop') {
      const file = this.files.get(msg.fh);
      this.files.delete(msg.fh);
      for (const chunk of file?.chunks.values() ?? []) this.close(chunk);
      return;
    }
    let file = this.files.get(msg.fh);
    if (file === undefined) {
      this.files.set(msg.fh, (file = { fileSizeBytes: msg.fileSizeBytes, chunkSizeBytes: msg.chunkSizeBytes, chunks: new Map() }));
    }
    const old = file.chunks.get(msg.index);
    if (old !== undefined) this.close(old);
    file.chunks.set(msg.index, { path: msg.path, lengthBytes: msg.lengthBytes });
  }

  /**
   * The reply buffer (header space, then the bytes) for a read of `size` bytes at `offset` of
   * `fh`, or undefined when this thread cannot serve it alone. It is valid until the next call.
   */
  serve(fh: number, offset: number, size: number): Buffer | undefined {
    const file = this.files.get(fh);
    if (file === undefined) return undefined;
    const end = Math.min(offset + size, file.fileSizeBytes);
    const replyBytes = outHeaderBytes + Math.max(0, end - offset);
    if (this.replyBuf.length < replyBytes) this.replyBuf = Buffer.allocUnsafeSlow(replyBytes);
    const out = this.replyBuf.subarray(0, replyBytes);
    const cs = file.chunkSizeBytes;
    for (let at = offset; at < end; ) {
      const index = Math.floor(at / cs);
      const inChunk = at - index * cs;
      const take = Math.min(end - at, cs - inChunk);
      const chunk = file.chunks.get(index);
      if (chunk === undefined) return undefined;
      if (this.onChunk !== undefined && index !== file.lastIndex) {
        file.lastIndex = index;
        this.onChunk(fh, index);
      }
      const ok = this.readChunk(chunk, inChunk, take, out, outHeaderBytes + (at - offset));
      this.used(chunk);
      if (!ok) {
        this.close(chunk);
        file.chunks.delete(index); // the main thread reads it (and reports it if corrupt)
        return undefined;
      }
      at += take;
    }
    return out;
  }

  /** Keeps `chunk` last in the open set, closing the least recently read beyond the limit. */
  private used(chunk: OfferedChunk): void {
    this.open.delete(chunk);
    if (chunk.fd === undefined) return;
    this.open.add(chunk);
    if (this.open.size <= openChunksMax) return;
    const oldest = this.open.values().next().value as OfferedChunk;
    this.close(oldest); // reopened at its next read
  }

  private close(chunk: OfferedChunk): void {
    this.open.delete(chunk);
    this.direct?.drop(chunk);
    closeChunk(chunk);
  }

  /**
   * Reads [inChunk, inChunk + length) of a chunk into `out` at `at`, verified; zeros past its
   * stored bytes. A large read of a large replica goes past the page cache (direct-reads.ts);
   * otherwise whole windows are read straight into `out`, others through the kept scratch buffer.
   */
  private readChunk(chunk: OfferedChunk, inChunk: number, length: number, out: Buffer, at: number): boolean {
    const stored = Math.max(0, Math.min(length, chunk.lengthBytes - inChunk));
    out.fill(0, at + stored, at + length);
    if (stored === 0) return true;
    try {
      // Opened again after the thread closed it to stay within openChunksMax: the path names this
      // version alone (a newer version is another file), and a deleted one fails to open.
      chunk.fd ??= openSync(chunk.path, 'r');
      if (chunk.sums === undefined) {
        const sums = readTrailerSync(chunk.fd, chunk.lengthBytes);
        // Deleted meanwhile, its file perhaps another replica's by now (common/replica-file.ts).
        if (!namesFile(chunk.path, chunk.fd)) return false;
        chunk.sums = sums;
      }
      if (this.onDirect !== undefined && DirectReads.wants(chunk, inChunk, stored)) {
        this.direct ??= new DirectReads();
        try {
          const ok = this.direct.read(chunk, inChunk, stored, out, at);
          if (ok) this.onDirect?.();
          return ok;
        } catch {
          // Refused (a file system without O_DIRECT) or failed: this replica goes through the page cache.
          this.direct.drop(chunk);
          chunk.dfd = -1;
        }
      }
      return readVerifiedSync(chunk.fd, chunk.lengthBytes, chunk.sums, inChunk, stored, out, at, this.scratch);
    } catch {
      return false;
    }
  }
}

function closeChunk(chunk: OfferedChunk): void {
  if (chunk.fd === undefined) return;
  try {
    closeSync(chunk.fd);
  } catch {
    // already closed
  }
  chunk.fd = undefined;
}
