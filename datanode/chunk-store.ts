// Chunk replicas on one datanode's disk.
//
// Layout: <data>/chunks/<xx>/<chunkId hex>_<gen>.dat  the bytes
//         <data>/chunks/<xx>/<chunkId hex>_<gen>.crc  one CRC32C (LE uint32) per 64 KiB window
//         <data>/tmp/…                                 replicas being written
// A replica is written under tmp/, then renamed into chunks/: a replica that is visible under
// chunks/ is complete. Whatever is in tmp/ at start belongs to writes that never finished and is
// removed. Durability follows the writer (docs/ARCHITECTURE.md, "Durability"): a write that asks
// for sync (an fsync) has its data, checksums and directory entry fsynced before the ack; others
// are acknowledged from the page cache (they survive a crash of this process, not of the
// machine) until a later sync request (syncReplicas) or the kernel's writeback. A replica torn by
// a power loss fails its checksums and is replaced from another copy.
//
// Small file operations (open, rename, close, unlink: page-cache work of a few microseconds) are
// synchronous: through libuv's thread pool each costs a thread hop and a wake-up, which measured
// as most of a small replica's CPU on a busy 2-core machine. fsyncs, which wait for the disk, and
// whole-file copies stay asynchronous.
//
// Faults survived: a crash mid-write (tmp/ is discarded), flipped bits (every read verifies
// checksums before a byte leaves; a copy-on-write update verifies the base windows it rewrites,
// so corruption is never laundered into fresh checksums).

import {
  closeSync,
  constants as fsConstants,
  fsync as fsyncCallback,
  ftruncateSync,
  mkdirSync,
  openSync,
  read as readCallback,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import fsp from 'node:fs/promises';
import { promisify } from 'node:util';
import path from 'node:path';
import fs from 'fs-extra';
import { crc, decodeChecksums, encodeChecksums, windowBytes } from '../common/checksum.js';
import { CairnError } from '../common/errors.js';
import { limits } from '../common/limits.js';

export interface ReplicaRef {
  chunkId: number;
  gen: number;
  lengthBytes: number;
}

/** A replica whose bytes do not match their checksums: it must not be served or copied. */
export class ChecksumError extends CairnError {
  constructor(
    readonly chunkId: number,
    readonly gen: number,
    detail: string,
  ) {
    super('EIO', `replica ${chunkId}_${gen}: ${detail}`);
  }
}

/** Replicas whose checksums are kept in memory (a 64 MiB replica has 1,024: 8 KiB as numbers). */
const checksumCacheReplicasMax = 512;

const replicaName = (chunkId: number, gen: number): string => `${chunkId.toString(16)}_${gen}`;
const bucket = (chunkId: number): string => (chunkId & 0xff).toString(16).padStart(2, '0');

export class ChunkStore {
  /** "<chunkId>_<gen>" -> length of every complete replica on disk. */
  private readonly replicas = new Map<string, ReplicaRef>();
  /** Checksums of recently read replicas, least recently used first. */
  private readonly sums = new Map<string, number[]>();
  private usedBytes = 0;
  /** Writes begun since start (names their temporary files). */
  private writesStarted = 0;
  /** Bucket directories known to exist. */
  private readonly buckets = new Set<string>();

  private constructor(readonly dataDir: string) {}

  static async open(dataDir: string): Promise<ChunkStore> {
    const store = new ChunkStore(path.resolve(dataDir)); // absolute: paths are handed to local readers
    await fs.remove(path.join(dataDir, 'tmp'));
    await fs.ensureDir(path.join(dataDir, 'tmp'));
    await fs.ensureDir(path.join(dataDir, 'chunks'));
    for (const dir of await fs.readdir(path.join(dataDir, 'chunks'))) {
      for (const file of await fs.readdir(path.join(dataDir, 'chunks', dir))) {
        const match = /^([0-9a-f]+)_(\d+)\.dat$/.exec(file);
        if (match === null) continue;
        const chunkId = parseInt(match[1] as string, 16);
        const gen = Number(match[2]);
        if (!(await fs.pathExists(store.crcPath(chunkId, gen)))) continue; // half-deleted: not a replica
        const { size } = await fs.stat(path.join(dataDir, 'chunks', dir, file));
        store.add({ chunkId, gen, lengthBytes: size });
      }
    }
    return store;
  }

  list(): ReplicaRef[] {
    return [...this.replicas.values()];
  }

  has(chunkId: number, gen: number): boolean {
    return this.replicas.has(replicaName(chunkId, gen));
  }

  get(chunkId: number, gen: number): ReplicaRef | undefined {
    return this.replicas.get(replicaName(chunkId, gen));
  }

  get used(): number {
    return this.usedBytes;
  }

  get count(): number {
    return this.replicas.size;
  }

  /** Starts writing replica (chunkId, gen), optionally as a copy-on-write update of (chunkId, baseGen). */
  async createWriter(opts: { chunkId: number; gen: number; baseGen: number; baseLengthBytes: number; offsetBytes: number }): Promise<ChunkWriter> {
    const { chunkId, gen, baseGen, offsetBytes } = opts;
    if (this.has(chunkId, gen)) throw new CairnError('EEXIST', `replica ${chunkId}_${gen} already exists`);
    // tmp/ is emptied at every start, so a counter names writes uniquely (randomBytes cost ~50 us).
    const tmp = path.join(this.dataDir, 'tmp', `${replicaName(chunkId, gen)}.${++this.writesStarted}`);
    let baseSums: number[] = [];
    let baseLength = 0;
    if (baseGen !== 0) {
      const base = this.get(chunkId, baseGen);
      if (base === undefined) throw new CairnError('ENOENT', `base replica ${chunkId}_${baseGen} is not here`);
      baseLength = Math.min(opts.baseLengthBytes, base.lengthBytes);
      await fsp.copyFile(this.dataPath(chunkId, baseGen), `${tmp}.dat`, fsConstants.COPYFILE_FICLONE);
      baseSums = decodeChecksums(await fsp.readFile(this.crcPath(chunkId, baseGen)));
      const keepWindows = Math.floor(Math.min(baseLength, offsetBytes) / windowBytes);
      await verifyWindows(`${tmp}.dat`, baseSums, keepWindows, Math.ceil(baseLength / windowBytes), baseLength);
    }
    const fd = openSync(`${tmp}.dat`, baseGen !== 0 ? 'r+' : 'w+');
    if (baseGen !== 0) ftruncateSync(fd, baseLength);
    return new ChunkWriter(this, { chunkId, gen, tmp, fd, baseLength, baseSums, offsetBytes });
  }

  /**
   * Reads [offset, offset+length) of a replica, verifying every window before yielding it.
   * `fromDisk` checks against the checksum file itself rather than the cache (the scrubber).
   */
  async *read(chunkId: number, gen: number, offsetBytes: number, lengthBytes: number, fromDisk = false): AsyncGenerator<Buffer> {
    const replica = this.get(chunkId, gen);
    if (replica === undefined) throw new CairnError('ENOENT', `replica ${chunkId}_${gen} is not here`);
    const end = Math.min(replica.lengthBytes, offsetBytes + lengthBytes);
    if (offsetBytes >= end) return;
    if (fromDisk) this.sums.delete(replicaName(chunkId, gen));
    const sums = await this.checksumsOf(chunkId, gen);
    if (sums.length !== Math.ceil(replica.lengthBytes / windowBytes)) {
      throw new ChecksumError(chunkId, gen, 'checksum file does not match the replica length');
    }
    const fd = openSync(this.dataPath(chunkId, gen), 'r');
    try {
      const stepBytes = Math.max(windowBytes, Math.floor(limits.dataFrameBytes / windowBytes) * windowBytes);
      // Only the windows the range touches are read and verified: a 4 KiB read costs one window.
      const windowsEnd = Math.min(replica.lengthBytes, Math.ceil(end / windowBytes) * windowBytes);
      for (let at = Math.floor(offsetBytes / windowBytes) * windowBytes; at < end; at += stepBytes) {
        const span = Math.min(stepBytes, windowsEnd - at);
        const buf = Buffer.allocUnsafe(span);
        const { bytesRead } = await readFd(fd, buf, 0, span, at); // may wait for the disk: asynchronous
        if (bytesRead !== span) throw new ChecksumError(chunkId, gen, 'shorter than recorded');
        for (let w = 0; w < span; w += windowBytes) {
          const index = (at + w) / windowBytes;
          if (crc(buf.subarray(w, Math.min(w + windowBytes, span))) !== sums[index]) {
            throw new ChecksumError(chunkId, gen, `checksum mismatch in window ${index}`);
          }
        }
        const from = Math.max(offsetBytes, at) - at;
        const to = Math.min(end, at + span) - at;
        yield buf.subarray(from, to);
      }
    } finally {
      closeSync(fd);
    }
  }

  /**
   * A replica's checksums, from a small cache: a complete replica never changes (an update is a
   * new replica), so its checksums can be kept; a random 4 KiB read then costs one file read.
   */
  private async checksumsOf(chunkId: number, gen: number): Promise<number[]> {
    const key = replicaName(chunkId, gen);
    const cached = this.sums.get(key);
    if (cached !== undefined) {
      this.sums.delete(key); // most recently used last
      this.sums.set(key, cached);
      return cached;
    }
    const sums = decodeChecksums(await fsp.readFile(this.crcPath(chunkId, gen)));
    if (this.replicas.has(key)) {
      this.sums.set(key, sums);
      if (this.sums.size > checksumCacheReplicasMax) this.sums.delete(this.sums.keys().next().value as string);
    }
    return sums;
  }

  async delete(chunkId: number, gen: number): Promise<boolean> {
    const key = replicaName(chunkId, gen);
    const replica = this.replicas.get(key);
    if (replica === undefined) return false;
    this.replicas.delete(key);
    this.sums.delete(key);
    this.usedBytes -= replica.lengthBytes;
    // The checksum file goes first: a .dat without its .crc is not a replica (see open()).
    rmSync(this.crcPath(chunkId, gen), { force: true });
    rmSync(this.dataPath(chunkId, gen), { force: true });
    return true;
  }

  dataPath(chunkId: number, gen: number): string {
    return path.join(this.dataDir, 'chunks', bucket(chunkId), `${replicaName(chunkId, gen)}.dat`);
  }

  crcPath(chunkId: number, gen: number): string {
    return path.join(this.dataDir, 'chunks', bucket(chunkId), `${replicaName(chunkId, gen)}.crc`);
  }

  /** Called by a finished writer; the directory entry is fsynced when `sync`. */
  async install(ref: ReplicaRef, tmp: string, sync: boolean): Promise<void> {
    const dir = path.dirname(this.dataPath(ref.chunkId, ref.gen));
    if (!this.buckets.has(dir)) {
      mkdirSync(dir, { recursive: true });
      this.buckets.add(dir);
    }
    renameSync(`${tmp}.dat`, this.dataPath(ref.chunkId, ref.gen));
    renameSync(`${tmp}.crc`, this.crcPath(ref.chunkId, ref.gen));
    if (sync) await fsyncPath(dir);
    this.add(ref);
  }

  /**
   * Makes replicas written without sync durable: data, checksums, directory entries. A replica
   * that is not here (deleted or replaced since) has nothing left to sync.
   */
  async syncReplicas(replicas: ReadonlyArray<{ chunkId: number; gen: number }>): Promise<void> {
    const dirs = new Set<string>();
    await Promise.all(
      replicas
        .filter((r) => this.has(r.chunkId, r.gen))
        .map(async ({ chunkId, gen }) => {
          dirs.add(path.dirname(this.dataPath(chunkId, gen)));
          await Promise.all([fsyncPath(this.dataPath(chunkId, gen)), fsyncPath(this.crcPath(chunkId, gen))]);
        }),
    );
    await Promise.all([...dirs].map((dir) => fsyncPath(dir)));
  }

  private add(ref: ReplicaRef): void {
    this.replicas.set(replicaName(ref.chunkId, ref.gen), ref);
    this.usedBytes += ref.lengthBytes;
  }
}

/**
 * One replica being written: data frames in order from `offsetBytes` (`write`), or at given
 * offsets (`writeAt`: scattered writes of one update, as a database makes), then finish or abort.
 */
export class ChunkWriter {
  private position: number;
  private sequential: boolean;
  /** Base windows below this one are unchanged and were not verified; from it on, verified. */
  private verifiedFromWindow: number;
  private lowestWrite: number;
  private highestEnd = 0;
  /** The temporary file's length (the base's, truncated, grown by writes). */
  private fileLength: number;
  private readonly sums: number[] = [];
  private window: Buffer[] = [];
  private windowFill = 0;
  private done = false;
  private fdClosed = false;

  constructor(
    private readonly store: ChunkStore,
    private readonly s: { chunkId: number; gen: number; tmp: string; fd: number; baseLength: number; baseSums: number[]; offsetBytes: number },
  ) {
    this.fileLength = s.baseLength;
    this.position = s.offsetBytes;
    this.lowestWrite = s.offsetBytes;
    this.verifiedFromWindow = Math.floor(Math.min(s.baseLength, s.offsetBytes) / windowBytes);
    // A new chunk written from its start gets its checksums computed as the bytes stream by.
    this.sequential = s.baseLength === 0 && s.offsetBytes === 0;
  }

  /** Writes at `offset`; the next `write` continues after it. */
  async writeAt(offset: number, data: Buffer): Promise<void> {
    if (offset !== this.position) this.sequential = false;
    if (offset < this.lowestWrite) {
      // Base windows about to be rewritten get fresh checksums at the end: verify them first,
      // so that corruption is never laundered into new checksums.
      const from = Math.floor(Math.min(this.s.baseLength, offset) / windowBytes);
      if (from < this.verifiedFromWindow) {
        await verifyWindows(`${this.s.tmp}.dat`, this.s.baseSums, from, this.verifiedFromWindow, this.s.baseLength);
        this.verifiedFromWindow = from;
      }
      this.lowestWrite = offset;
    }
    this.position = offset;
    await this.write(data);
  }

  async write(data: Buffer): Promise<void> {
    if (this.position + data.length > limits.chunkSizeBytesMax) throw new CairnError('EFBIG', 'write past the end of a chunk');
    // A synchronous write into the page cache takes well under a millisecond per MiB; going
    // through libuv's thread pool measured several times slower on a busy 2-core machine. The
    // fsync at the end stays asynchronous.
    let written = 0;
    while (written < data.length) {
      written += writeSync(this.s.fd, data, written, data.length - written, this.position + written);
    }
    this.position += data.length;
    this.fileLength = Math.max(this.fileLength, this.position);
    this.highestEnd = Math.max(this.highestEnd, this.position);
    if (this.sequential) this.feedChecksums(data);
  }

  /**
   * Makes the replica visible, and durable first when `sync`. finalLength -1: max(base length,
   * end of writes).
   */
  async finish(finalLengthBytes: number, sync: boolean): Promise<ReplicaRef> {
    const { fd, tmp, chunkId, gen } = this.s;
    const length = finalLengthBytes >= 0 ? finalLengthBytes : Math.max(this.s.baseLength, this.highestEnd, this.s.offsetBytes);
    if (this.fileLength !== length) ftruncateSync(fd, length);
    let sums: number[];
    if (this.sequential && length === this.position) {
      if (this.windowFill > 0) this.sums.push(crc(Buffer.concat(this.window)));
      sums = this.sums;
    } else {
      const keep = Math.min(this.s.baseSums.length, this.verifiedFromWindow, Math.floor(Math.min(length, this.lowestWrite, this.s.baseLength) / windowBytes));
      sums = [...this.s.baseSums.slice(0, keep), ...(await checksumFrom(fd, keep, length))];
    }
    // Data and checksums are fsynced side by side (the file system can commit them together),
    // then the directory entries after the renames.
    const crcFd = openSync(`${tmp}.crc`, 'w');
    try {
      writeAllSync(crcFd, encodeChecksums(sums));
      if (sync) await Promise.all([fsyncFd(fd), fsyncFd(crcFd)]);
    } finally {
      closeSync(crcFd);
    }
    this.closeFd();
    const ref = { chunkId, gen, lengthBytes: length };
    await this.store.install(ref, tmp, sync);
    this.done = true;
    return ref;
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    this.closeFd();
    rmSync(`${this.s.tmp}.dat`, { force: true });
    rmSync(`${this.s.tmp}.crc`, { force: true });
  }

  /** Closes the data file once (a descriptor number closed twice could be another file's by then). */
  private closeFd(): void {
    if (this.fdClosed) return;
    this.fdClosed = true;
    closeSync(this.s.fd);
  }

  private feedChecksums(data: Buffer): void {
    let at = 0;
    while (at < data.length) {
      const take = Math.min(windowBytes - this.windowFill, data.length - at);
      this.window.push(data.subarray(at, at + take));
      this.windowFill += take;
      at += take;
      if (this.windowFill === windowBytes) {
        this.sums.push(crc(this.window.length === 1 ? (this.window[0] as Buffer) : Buffer.concat(this.window)));
        this.window = [];
        this.windowFill = 0;
      }
    }
  }
}

const readFd = promisify(readCallback);
const fsyncFd = promisify(fsyncCallback);

function writeAllSync(fd: number, data: Buffer): void {
  for (let written = 0; written < data.length; ) written += writeSync(fd, data, written, data.length - written);
}

async function checksumFrom(fd: number, fromWindow: number, length: number): Promise<number[]> {
  const sums: number[] = [];
  const buf = Buffer.allocUnsafe(windowBytes);
  for (let at = fromWindow * windowBytes; at < length; at += windowBytes) {
    const span = Math.min(windowBytes, length - at);
    const { bytesRead } = await readFd(fd, buf, 0, span, at);
    if (bytesRead !== span) throw new CairnError('EIO', 'short read while checksumming');
    sums.push(crc(buf.subarray(0, span)));
  }
  return sums;
}

/** Verifies windows [from, to) of a file against `sums` (the last one may be short at `length`). */
async function verifyWindows(file: string, sums: number[], from: number, to: number, length: number): Promise<void> {
  if (from >= to) return;
  const fd = await fsp.open(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(windowBytes);
    for (let w = from; w < to; w++) {
      const at = w * windowBytes;
      // The base replica's checksum covers its whole window, which may extend past `length`.
      const { bytesRead } = await fd.read(buf, 0, windowBytes, at);
      if (crc(buf.subarray(0, bytesRead)) !== sums[w]) {
        throw new CairnError('EIO', `checksum mismatch in base replica window ${w} (length ${length})`);
      }
    }
  } finally {
    await fd.close();
  }
}

/** fsync of a file or directory by path (Linux syncs through a read-only descriptor too). */
async function fsyncPath(file: string): Promise<void> {
  const handle = await fsp.open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
