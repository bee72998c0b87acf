// The bulk of a large new replica written with O_DIRECT, past the page cache, as storage
// daemons do for data they will not read back soon (HDFS drops its page cache behind writes).
// Buffered, every byte of a replica is first copied into a page-cache page: three copies of each
// byte written, one per replica, and on a virtual machine whose free memory is handed back to its
// host, filling fresh pages measured ~2 s of kernel time per GiB in each datanode, which made a
// sequential write CPU-bound (docs/PERFORMANCE.md, session 11). Direct, the bytes are copied once
// into a staging buffer and go to the disk from there.
//
// A replica's first `directFromBytes` stay buffered (small files never leave the page cache, where
// they are read again soon), and so does whatever is not a whole block at the end: only aligned
// blocks of a sequential write go direct. The kernel keeps both views coherent, the file is
// fsynced as before when the write asks for sync, and a file system that refuses O_DIRECT (at
// open, or EINVAL on a write) just keeps every write buffered.

import { closeSync, constants as fsConstants, openSync, write as writeCallback } from 'node:fs';
import { promisify } from 'node:util';
import { alignedBuffer, directAlignBytes } from '../common/aligned.js';
import { writeAllSync } from '../common/write-all.js';

export { directAlignBytes };
/** One direct write: the staging buffer's size. */
const directWriteBytes = 1024 * 1024;
/** A new replica's bytes before this offset are written through the page cache. */
export const directFromBytes = directWriteBytes;

const writeFd = promisify(writeCallback);
/** Staging buffers kept for the next large replica (1 MiB each). */
const stagingKeptMax = 8;
const stagingKept: Buffer[] = [];

function takeStaging(): Buffer {
  return stagingKept.pop() ?? alignedBuffer(directWriteBytes);
}

function giveBack(staging: Buffer): void {
  if (stagingKept.length < stagingKeptMax) stagingKept.push(staging);
}

/** The direct part of one replica's sequential write, from an aligned offset on. */
export class DirectWrites {
  private staging: Buffer | undefined;
  private fill = 0;
  private fdClosed = false;
  /** The direct write in flight: the descriptor and the staging buffer are kept until it settles. */
  private writing: Promise<unknown> | undefined;

  private constructor(
    private readonly fd: number,
    /** Where the staged bytes go in the file. */
    private at: number,
    staging: Buffer,
  ) {
    this.staging = staging;
  }

  /**
   * Opens `file` for direct writes from `at` (aligned). `refused`: the file system does not take
   * O_DIRECT (EINVAL), so no other replica should try; any other failure (no descriptor or memory
   * left) only keeps this one buffered.
   */
  static open(file: string, at: number): { writes?: DirectWrites; refused: boolean } {
    if (at % directAlignBytes !== 0) return { refused: false };
    let staging: Buffer;
    try {
      staging = takeStaging();
    } catch {
      return { refused: false };
    }
    try {
      return { writes: new DirectWrites(openSync(file, fsConstants.O_WRONLY | fsConstants.O_DIRECT), at, staging), refused: false };
    } catch (err) {
      giveBack(staging);
      return { refused: (err as NodeJS.ErrnoException).code === 'EINVAL' };
    }
  }

  /**
   * Stages bytes that continue the file; each full buffer goes to the disk. Resolves false when a
   * direct write was refused: what was staged went through `bufferedFd` instead, and the caller
   * writes the rest of `pieces` from `consumed` on itself (buffered from then on).
   */
  async write(pieces: Buffer[], bufferedFd: number): Promise<{ ok: boolean; consumed: number }> {
    let consumed = 0;
    for (const piece of pieces) {
      for (let from = 0; from < piece.length; ) {
        const staging = this.staging as Buffer;
        const take = Math.min(piece.length - from, staging.length - this.fill);
        piece.copy(staging, this.fill, from, from + take);
        this.fill += take;
        from += take;
        consumed += take;
        if (this.fill === staging.length && !(await this.flushStaged(bufferedFd, staging.length))) return { ok: false, consumed };
      }
    }
    return { ok: true, consumed };
  }

  /** Writes what is staged (whole blocks direct, the rest buffered) and closes; false if a direct write was refused. */
  async end(bufferedFd: number): Promise<boolean> {
    let ok = true;
    try {
      const whole = this.fill - (this.fill % directAlignBytes);
      if (whole > 0) ok = await this.flushStaged(bufferedFd, whole);
      if (this.fill > 0) this.writeBuffered(bufferedFd, this.fill);
    } finally {
      await this.close();
    }
    return ok;
  }

  /**
   * Closes without writing what is staged (an aborted write), once a direct write in flight has
   * settled: until then its descriptor number and its buffer are not handed to anyone else.
   */
  async close(): Promise<void> {
    await this.writing?.catch(() => undefined);
    if (this.staging !== undefined) giveBack(this.staging);
    this.staging = undefined;
    if (this.fdClosed) return;
    this.fdClosed = true;
    closeSync(this.fd);
  }

  /**
   * The first `bytes` staged (a multiple of the alignment) to the disk. Refused (EINVAL: an
   * alignment the device wants larger), they go through the page cache and false is returned;
   * cut short, the rest goes through the page cache; any other failure (ENOSPC, EIO) is the
   * write's, as a buffered write's would be.
   */
  private async flushStaged(bufferedFd: number, bytes: number): Promise<boolean> {
    const staging = this.staging as Buffer;
    const writing = writeFd(this.fd, staging, 0, bytes, this.at);
    this.writing = writing;
    let written: number;
    try {
      written = (await writing).bytesWritten;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
      this.writeBuffered(bufferedFd, bytes);
      return false;
    } finally {
      this.writing = undefined;
    }
    this.shift(written);
    if (written < bytes) this.writeBuffered(bufferedFd, bytes - written);
    return true;
  }

  private writeBuffered(fd: number, bytes: number): void {
    writeAllSync(fd, (this.staging as Buffer).subarray(0, bytes), this.at);
    this.shift(bytes);
  }

  /** Drops the first `bytes` staged, which are in the file now. */
  private shift(bytes: number): void {
    const staging = this.staging as Buffer;
    staging.copyWithin(0, bytes, this.fill);
    this.fill -= bytes;
    this.at += bytes;
  }
}
