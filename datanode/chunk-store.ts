// Chunk replicas on one datanode's disk.
//
// Layout: <data>/chunks/<xx>/<chunkId hex>_<gen>.rep  the bytes, then their checksums
//                                                      (common/replica-file.ts)
//         <data>/tmp/…                                 replicas being written, free files
// A replica is written under tmp/, its checksums appended last, then renamed into chunks/: a
// replica that is visible under chunks/ is complete in the page cache (a synced write fsyncs it
// and its directory entry after the rename, before its ack; a crash before then can leave a
// torn file there, of a version no commit names, which the namenode drops as stale). Whatever else is in tmp/ at start
// belongs to writes that never finished and is removed, except the emptied files of deleted
// replicas that new files take instead of allocating inodes (free-files.ts). Replicas of the first layout (a .dat file of bytes
// and a .crc file of checksums) are converted at start. Durability follows the writer
// (docs/ARCHITECTURE.md, "Durability"): a write that asks for sync (an fsync) has its file and
// directory entry fsynced before the ack; others
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
// checksums before a byte leaves; a copy-on-write update verifies the base windows it rewrites
// in part, so corruption is never laundered into fresh checksums, and carries the checksums of
// the windows it does not write, so damage there stays visible in the new replica).

import {
  closeSync,
  constants as fsConstants,
  copyFileSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  read as readCallback,
  readSync,
  renameSync,
  rmSync,
} from 'node:fs';
import fsp from 'node:fs/promises';
import { promisify } from 'node:util';
import path from 'node:path';
import fs from 'fs-extra';
import { crc, decodeChecksums, firstBadWindow, windowBytes, windowSpan } from '../common/checksum.js';
import { CairnError } from '../common/errors.js';
import { limits } from '../common/limits.js';
import { decodeTrailer, encodeTrailer, lengthFromFileBytes, readTrailer, readTrailerSync, replicaFileBytes, replicaRelativePath } from '../common/replica-file.js';
import { byteLength } from '../common/transfer.js';
import { skipBytes, writeAllSync, writevAllSync } from '../common/write-all.js';
import { DirectWrites, directAlignBytes, directFromBytes } from './direct-writes.js';
import { FreeFiles } from './free-files.js';
import { fsyncFd, fsyncPath } from './fsync.js';

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
/** A replica file up to this size read cold is read whole, bytes and checksums in one read. */
const wholeReadBytesMax = 256 * 1024;
/** Base replicas up to this size are copied for an update without leaving the event loop. */
const syncCopyBytesMax = 2 * 1024 * 1024;
/** Replicas up to this size are emptied on the main thread when deleted (free-files.ts). */
const discardSyncBytesMax = 256 * 1024;
/** Emptied files kept for new ones (free-files.ts): an `rm -r` of a few thousand files fits. */
/** Free files kept at most, and the stock a datanode keeps by default (half: room to recycle deleted files' inodes). */
export const freeFilesMax = 8192;
export const freeStockDefault = 4096;
/**
 * Spare copies (see ChunkStore.makeSpare): replicas from this size get one after a synced update
 * (a smaller one copies in less time than a thread hop takes); at most this many bytes and spares
 * kept, each for this long. Not counted in the space reported used (at most spareBytesMax).
 */
const spareBytesMin = 128 * 1024;
const spareBytesMax = 256 * 1024 * 1024;
const sparesMax = 64;
const spareKeepMs = 30_000;

/**
 * Spares patched from a superseded version's file (see ChunkStore.patchFor): an update keeps at
 * most this many written ranges (more, and its spare is a full copy); a patch follows at most this
 * many updates back, and copies at most this many bytes on the main thread (more, and the spare
 * is a full copy over the old file, in the thread pool).
 */
const writtenRangesMax = 256;
const patchStepsMax = 4;
const patchBytesMax = 1024 * 1024;
/** Updates whose written ranges are kept at most (the most recent; memory). */
const lineagesMax = 1024;

const replicaName = (chunkId: number, gen: number): string => `${chunkId.toString(16)}_${gen}`;

/** How an update here changed its base: what patches the base's file into the update's copy. */
interface Lineage {
  baseGen: number;
  /** The byte ranges it wrote, sorted, apart. */
  ranges: Array<[number, number]>;
  /** From here to the end of the file the two may differ anyway (a length changed, the trailer). */
  fromBytes: number;
}

/** A superseded version's file under tmp/, kept to be patched into its chunk's next spare. */
interface Retired {
  gen: number;
  file: string;
  bytes: number;
  /** Its old name's removal is on disk (false: never to be written into). */
  ready: Promise<boolean>;
  timer: NodeJS.Timeout;
}

/** A copy of a complete replica, made ahead for the next update of its chunk. */
interface Spare {
  key: string;
  file: string;
  bytes: number;
  /** The copy and its fdatasync are done (false: they failed, the file is gone). */
  ready: Promise<boolean>;
  timer: NodeJS.Timeout;
}

/** The replica an update starts from, as its copy in the update's file. */
interface BaseReplica {
  /** Its bytes the update keeps (the namenode's length: shorter after a truncate). */
  lengthBytes: number;
  /** Its length on disk, which its checksums cover. */
  fileLengthBytes: number;
  sums: number[];
  /** Windows checked against `sums` (the update's file still held their base bytes). */
  verified: Set<number>;
}

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
  /** Replica files being unlinked in the thread pool (discard), by path. */
  private readonly unlinking = new Map<string, Promise<void>>();
  /** The last unlink queued: they run one after another. */
  private lastUnlink: Promise<void> = Promise.resolve();
  /** Emptied files under tmp/, for new files to take (free-files.ts). */
  private readonly free: FreeFiles;
  /**
   * Replica files this process is reading (served reads, base copies), by path: removed while
   * read, a file is unlinked rather than emptied for reuse, so that the read sees the bytes it
   * began with (an unlinked file lives on while open; an emptied one would be cut under it).
   */
  private readonly reading = new Map<string, number>();
  /** Spare copies by chunk id (one each, of the replica last updated). */
  private readonly spares = new Map<number, Spare>();
  private spareBytes = 0;
  /** Spare copies an update started from (for tests and benchmarks). */
  spareTaken = 0;
  /**
   * What synced updates changed in their bases, by replica key (while the replica is here). Only
   * a synced version (on this disk before its acknowledgement) supersedes its base.
   */
  private readonly lineage = new Map<string, Lineage>();
  /** Superseded versions' files by chunk id, one each, for the chunk's next spare. */
  private readonly retired = new Map<number, Retired>();
  private retiredBytes = 0;
  /** Spares and superseded files on their way to the free files (drained waits for them). */
  private readonly discarding = new Set<Promise<void>>();
  /** `drained` was called: no more spares or superseded files are kept. */
  private stopping = false;
  /** Spares made by patching a superseded version's file (for tests and benchmarks). */
  sparesPatched = 0;
  /**
   * Whether large new replicas are written past the page cache (direct-writes.ts). Off once the
   * file system refused one (refuseDirect); CAIRN_DIRECT_WRITES=0 turns it off.
   */
  directWrites = process.env.CAIRN_DIRECT_WRITES !== '0';
  /** Told once when the file system refused a direct write, which turned direct writes off (the datanode logs it). */
  onDirectRefused: (() => void) | undefined;
  /** Told when a deleted replica's file could not be unlinked (EIO, EROFS...: the datanode logs it). */
  onUnlinkFailed: ((file: string, err: unknown) => void) | undefined;
  /** Bytes written direct since start (for tests and benchmarks). */
  directBytes = 0;

  private constructor(readonly dataDir: string) {
    this.free = new FreeFiles(path.join(dataDir, 'tmp'), freeFilesMax);
  }

  /** The file system refused O_DIRECT: every later replica is written through the page cache. */
  refuseDirect(): void {
    if (!this.directWrites) return;
    this.directWrites = false;
    this.onDirectRefused?.();
  }

  static async open(dataDir: string): Promise<ChunkStore> {
    const store = new ChunkStore(path.resolve(dataDir)); // absolute: paths are handed to local readers
    // tmp/: writes that never finished go; the free files stay free (free-files.ts).
    await fs.ensureDir(path.join(dataDir, 'tmp'));
    for (const name of await fs.readdir(path.join(dataDir, 'tmp'))) {
      if (!(FreeFiles.isFree(name) && store.free.adopt(name))) await fs.remove(path.join(dataDir, 'tmp', name));
    }
    await fs.ensureDir(path.join(dataDir, 'chunks'));
    const legacy: Array<{ dir: string; name: string; chunkId: number; gen: number }> = [];
    for (const dir of await fs.readdir(path.join(dataDir, 'chunks'))) {
      for (const file of await fs.readdir(path.join(dataDir, 'chunks', dir))) {
        const match = /^(([0-9a-f]+)_(\d+))\.(rep|dat|crc)$/.exec(file);
        if (match === null) continue;
        if (match[4] === 'crc') {
          // Left by a conversion that stopped after its rename: the data file is gone.
          const dat = path.join(dataDir, 'chunks', dir, `${match[1] as string}.dat`);
          if (!(await fs.pathExists(dat))) rmSync(path.join(dataDir, 'chunks', dir, file), { force: true });
          continue;
        }
        const chunkId = parseInt(match[2] as string, 16);
        const gen = Number(match[3]);
        if (match[4] === 'dat') {
          legacy.push({ dir: path.join(store.dataDir, 'chunks', dir), name: match[1] as string, chunkId, gen });
          continue;
        }
        const { size } = await fs.stat(path.join(dataDir, 'chunks', dir, file));
        const lengthBytes = lengthFromFileBytes(size);
        // A size no replica has: damaged outside Cairn. Not listed, so the namenode copies the chunk again.
        if (lengthBytes !== undefined) store.add({ chunkId, gen, lengthBytes });
      }
    }
    for (const old of legacy) await store.convert(old);
    return store;
  }

  /**
   * Converts a replica of the first layout (<name>.dat, <name>.crc) into one file in place: the
   * checksums appended to the data file (fsynced), the file renamed, the checksum file removed.
   * No copy, so a full disk converts as fast as an empty one. A crash after the append leaves a
   * .dat that already ends with the trailer of the .crc's checksums: found so, it is only renamed
   * (bytes that happened to end with a valid trailer - magic, length and CRC of exactly those
   * checksums - do not occur). A new file found beside an old pair wins.
   */
  private async convert(old: { dir: string; name: string; chunkId: number; gen: number }): Promise<void> {
    const dat = path.join(old.dir, `${old.name}.dat`);
    const sumsFile = path.join(old.dir, `${old.name}.crc`);
    if (this.has(old.chunkId, old.gen) || !(await fs.pathExists(sumsFile))) {
      rmSync(sumsFile, { force: true }); // converted already, or half-deleted: not a replica
      rmSync(dat, { force: true });
      return;
    }
    const { size } = await fs.stat(dat);
    const sums = decodeChecksums(await fsp.readFile(sumsFile));
    let lengthBytes = lengthFromFileBytes(size);
    if (lengthBytes === undefined || !(await endsWithTrailer(dat, sums, lengthBytes))) {
      // Unverifiable (checksums for another length): left as it is, not listed; the namenode copies the chunk again.
      if (sums.length !== Math.ceil(size / windowBytes)) return;
      lengthBytes = size;
      await fsp.appendFile(dat, encodeTrailer(sums, size));
      await fsyncPath(dat);
    }
    this.install({ chunkId: old.chunkId, gen: old.gen, lengthBytes }, dat);
    await fsyncPath(path.dirname(this.replicaPath(old.chunkId, old.gen))); // the new name before the old checksums go
    rmSync(sumsFile, { force: true });
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
  async createWriter(opts: { chunkId: number; gen: number; baseGen: number; baseLengthBytes: number; offsetBytes: number; baseDurable?: boolean }): Promise<ChunkWriter> {
    const { chunkId, gen, baseGen, offsetBytes } = opts;
    this.free.busy();
    if (this.has(chunkId, gen)) throw new CairnError('EEXIST', `replica ${chunkId}_${gen} already exists`);
    // tmp/ is emptied at every start, so a counter names writes uniquely (randomBytes cost ~50 us).
    const tmp = path.join(this.dataDir, 'tmp', `${replicaName(chunkId, gen)}.${++this.writesStarted}`);
    const base: BaseReplica = { lengthBytes: 0, fileLengthBytes: 0, sums: [], verified: new Set() };
    if (baseGen !== 0) {
      const ref = this.get(chunkId, baseGen);
      if (ref === undefined) throw new CairnError('ENOENT', `base replica ${chunkId}_${baseGen} is not here`);
      base.lengthBytes = Math.min(opts.baseLengthBytes, ref.lengthBytes);
      base.fileLengthBytes = ref.lengthBytes;
      // The kernel copies (copy_file_range); a small replica's copy is shorter than a thread hop.
      // A spare copy made after the chunk's last update is taken instead, already on disk.
      const from = this.replicaPath(chunkId, baseGen);
      // Held from here: deleted meanwhile (its spare still being made), the base is unlinked, not
      // emptied under the copy.
      const release = this.holdForReading(from);
      try {
        if (await this.takeSpare(chunkId, baseGen, tmp)) this.spareTaken++;
        else {
          this.free.takeAs(tmp); // a copy over an existing file keeps its inode (it truncates it first)
          try {
            if (replicaFileBytes(ref.lengthBytes) <= syncCopyBytesMax) copyFileSync(from, tmp, fsConstants.COPYFILE_FICLONE);
            else await fsp.copyFile(from, tmp, fsConstants.COPYFILE_FICLONE);
          } catch (err) {
            void this.removeTmp(tmp); // a free file taken, or a copy begun
            throw err;
          }
        }
      } finally {
        release();
      }
      if (opts.baseDurable === true) this.retireSuperseded(chunkId, baseGen);
    } else {
      this.free.takeAs(tmp); // an empty file, or none (created below)
    }
    let fd: number;
    try {
      // Never O_TRUNC: the file is new, or a free file (empty). On ext4 a truncate marks the inode
      // so that its next close starts writing its pages back at once (auto_da_alloc, for
      // programs that replace a file by truncating it), which cost each replica's close ~50 us
      // and an early write; a replica's pages may wait for the page cache's own writeback.
      fd = openSync(tmp, baseGen !== 0 ? 'r+' : fsConstants.O_RDWR | fsConstants.O_CREAT, 0o666);
      // Free files are empty by construction; should one not be, its bytes must not outlive it.
      if (baseGen === 0 && fstatSync(fd).size !== 0) ftruncateSync(fd, 0);
    } catch (err) {
      void this.removeTmp(tmp);
      throw err;
    }
    try {
      if (baseGen !== 0) {
        try {
          base.sums = this.cachedSums(replicaName(chunkId, baseGen)) ?? readTrailerSync(fd, base.fileLengthBytes);
        } catch (err) {
          throw trailerError(err, chunkId, baseGen);
        }
        // Its trailer stays past its bytes until the update writes or ends past them
        // (ChunkWriter.cutTrailer): an update that keeps the length (a database's pages) writes
        // its trailer over the old one, and cutting a file just fdatasynced (a spare) measured as
        // costly as the rest of a small update.
      }
      if (base.lengthBytes < base.fileLengthBytes) {
        // Cut shorter (a truncate): the window the cut falls in keeps base bytes under a fresh
        // checksum, so it is verified while the bytes after the cut are still there.
        const cut = Math.floor(base.lengthBytes / windowBytes);
        if (base.lengthBytes % windowBytes !== 0) verifyBaseWindow(fd, base, cut);
        ftruncateSync(fd, base.lengthBytes);
      }
    } catch (err) {
      closeSync(fd);
      void this.removeTmp(tmp);
      throw err;
    }
    const trailerLeft = baseGen !== 0 && base.lengthBytes === base.fileLengthBytes;
    return new ChunkWriter(this, { chunkId, gen, baseGen, tmp, fd, base, offsetBytes, trailerLeft });
  }

  /**
   * Reads [offset, offset+length) of a replica, verifying every window before yielding it.
   * `fromDisk` checks against the checksum file itself rather than the cache (the scrubber).
   * `alloc` gives the buffers a large replica is read into, step by step (a sender reuses them).
   */
  async *read(
    chunkId: number,
    gen: number,
    offsetBytes: number,
    lengthBytes: number,
    fromDisk = false,
    alloc: (bytes: number) => Buffer = (bytes) => Buffer.allocUnsafe(bytes),
  ): AsyncGenerator<Buffer> {
    const replica = this.get(chunkId, gen);
    if (replica === undefined) throw new CairnError('ENOENT', `replica ${chunkId}_${gen} is not here`);
    const end = Math.min(replica.lengthBytes, offsetBytes + lengthBytes);
    if (offsetBytes >= end) return;
    const key = replicaName(chunkId, gen);
    if (fromDisk) this.sums.delete(key);
    const file = this.replicaPath(chunkId, gen);
    const release = this.holdForReading(file);
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch (err) {
      release();
      throw err;
    }
    try {
      let sums = this.cachedSums(key);
      const fileBytes = replicaFileBytes(replica.lengthBytes);
      if (sums === undefined && fileBytes <= wholeReadBytesMax) {
        // A small replica read cold (a small file's first read): bytes and checksums in one read.
        const buf = Buffer.allocUnsafe(fileBytes);
        const { bytesRead } = await readFd(fd, buf, 0, fileBytes, 0);
        if (bytesRead !== fileBytes) throw new ChecksumError(chunkId, gen, 'shorter than recorded');
        try {
          sums = this.keepSums(key, decodeTrailer(buf.subarray(replica.lengthBytes), replica.lengthBytes));
        } catch (err) {
          throw trailerError(err, chunkId, gen);
        }
        const { from, to } = windowSpan(offsetBytes, end, replica.lengthBytes);
        verifyOrThrow(buf.subarray(from, to), from, sums, chunkId, gen);
        yield buf.subarray(offsetBytes, end);
        return;
      }
      sums ??= this.keepSums(key, await readTrailer(fd, replica.lengthBytes).catch((err: unknown) => Promise.reject(trailerError(err, chunkId, gen))));
      const stepBytes = Math.max(windowBytes, Math.floor(limits.dataFrameBytes / windowBytes) * windowBytes);
      // Only the windows the range touches are read and verified: a 4 KiB read costs one window.
      const { from, to: windowsEnd } = windowSpan(offsetBytes, end, replica.lengthBytes);
      for (let at = from; at < end; at += stepBytes) {
        const span = Math.min(stepBytes, windowsEnd - at);
        const buf = alloc(span);
        const { bytesRead } = await readFd(fd, buf, 0, span, at); // may wait for the disk: asynchronous
        if (bytesRead !== span) throw new ChecksumError(chunkId, gen, 'shorter than recorded');
        verifyOrThrow(buf, at, sums, chunkId, gen);
        const from = Math.max(offsetBytes, at) - at;
        const to = Math.min(end, at + span) - at;
        yield buf.subarray(from, to);
      }
    } finally {
      closeSync(fd);
      release();
    }
  }

  /** Marks `file` as being read until the returned function is called (see `reading`). */
  private holdForReading(file: string): () => void {
    this.reading.set(file, (this.reading.get(file) ?? 0) + 1);
    return () => {
      const left = (this.reading.get(file) ?? 1) - 1;
      if (left === 0) this.reading.delete(file);
      else this.reading.set(file, left);
    };
  }

  /**
   * A replica's checksums, from a small cache: a complete replica never changes (an update is a
   * new replica), so its checksums can be kept; a random 4 KiB read then costs one file read.
   */
  private cachedSums(key: string): number[] | undefined {
    const cached = this.sums.get(key);
    if (cached !== undefined) {
      this.sums.delete(key); // most recently used last
      this.sums.set(key, cached);
    }
    return cached;
  }

  private keepSums(key: string, sums: number[]): number[] {
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
    this.forget(chunkId, key, replica);
    this.discard(this.replicaPath(chunkId, gen), replica.lengthBytes <= discardSyncBytesMax);
    return true;
  }

  /**
   * Removes a replica's file, after the removals queued before it: emptied and kept for a new
   * file (free-files.ts), or unlinked when the pool is full or this process is reading it. A
   * large one is emptied in the thread pool: unlinking a replica of a megabyte or more took ~0.3
   * ms of the main thread on ext4 (freeing its blocks), a database's old version at every
   * transaction on every datanode, while the next update's frames waited; a `small` one on the
   * main thread. The same version written here again meanwhile (re-replication) is installed
   * only once the removal is done (`unlinked`), so a late removal never takes the new file.
   */
  private discard(file: string, small: boolean): void {
    // One at a time: a burst of deletions (rm -r of a tree) must not fill the thread pool's four
    // threads ahead of the fsyncs writers wait for.
    const done: Promise<void> = this.lastUnlink
      // Emptied and kept for a new file, or unlinked (not rm: its lstat first is another hop).
      .then(() => (this.reading.has(file) ? fsp.unlink(file) : this.free.remove(file, small)))
      .catch((err: unknown) => {
        // Gone already: fine. A failing disk: the replica is forgotten all the same, and said.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.onUnlinkFailed?.(file, err);
      })
      .finally(() => this.unlinking.get(file) === done && this.unlinking.delete(file));
    this.lastUnlink = done;
    this.unlinking.set(file, done);
  }

  /**
   * Removes a file under tmp/ that may be gone already, keeping it as a free file when there is
   * room (its name is this store's alone: nothing can be created under it meanwhile); a failing
   * disk is not this caller's to report (background work): EIO, EROFS, and the next start removes
   * what is left of it anyway.
   */
  removeTmp(file: string): Promise<void> {
    return this.free.remove(file).catch(() => undefined);
  }

  /**
   * Settles once no removal of `file` (a replica deleted here) is still under way. It waits for
   * the unlinks queued before that one too: the same version copied here again right after an
   * `rm -r` of many files waits for them (rare: re-replication of a version just deleted here).
   */
  unlinked(file: string): Promise<void> | undefined {
    return this.unlinking.get(file);
  }

  /** Keeps up to `count` free files ready for new replicas, created while idle (free-files.ts `stock`). */
  stockFreeFiles(count: number): void {
    if (!this.stopping) this.free.stock(count);
  }

  /** Settles once every deleted replica's file is unlinked or kept as a free one (a datanode's stop). */
  async drained(): Promise<void> {
    this.free.stopStock();
    // Spares and superseded files are for updates no longer coming: they become free files, and
    // an update still finishing makes none.
    this.stopping = true;
    for (const chunkId of [...this.retired.keys()]) this.dropRetired(chunkId);
    for (const chunkId of [...this.spares.keys()]) this.dropSpare(chunkId);
    await this.lastUnlink;
    await this.free.settled(); // the superseded files' directories fsynced now, not in 20 ms
    await Promise.all(this.discarding);
    await this.free.settled();
  }

  /** The file of replica (chunkId, gen): its bytes, then its checksums (common/replica-file.ts). */
  replicaPath(chunkId: number, gen: number): string {
    return path.join(this.dataDir, replicaRelativePath(chunkId, gen));
  }

  /** Moves a finished replica's file into place (its writer fsyncs it and the directory when asked). */
  install(ref: ReplicaRef, tmp: string): void {
    const file = this.replicaPath(ref.chunkId, ref.gen);
    const dir = path.dirname(file);
    if (!this.buckets.has(dir)) {
      mkdirSync(dir, { recursive: true });
      this.buckets.add(dir);
    }
    renameSync(tmp, file);
    this.add(ref);
  }

  /**
   * Makes replicas written without sync durable: their files and directory entries. A replica
   * that is not here (deleted or replaced since) has nothing left to sync.
   */
  async syncReplicas(replicas: ReadonlyArray<{ chunkId: number; gen: number }>): Promise<void> {
    const dirs = new Set<string>();
    await Promise.all(
      replicas
        .filter((r) => this.has(r.chunkId, r.gen))
        .map(async ({ chunkId, gen }) => {
          const file = this.replicaPath(chunkId, gen);
          dirs.add(path.dirname(file));
          await fsyncPath(file);
        }),
    );
    await Promise.all([...dirs].map((dir) => fsyncPath(dir)));
  }

  /**
   * Copies a replica just written by a synced update, in the background, for the chunk's next
   * update: a database or a log rewrites and fsyncs the same chunk again and again, and each update otherwise copies
   * the whole base before its first byte and then waits for the copy to reach the disk at its
   * fsync. The spare is fdatasynced here, so that update's fsync writes only what it changed.
   * One spare a chunk (a newer one replaces it), dropped with its replica or after spareKeepMs;
   * under tmp/, so a restart forgets them. When the chunk's version two updates back was retired
   * (retireSuperseded), the spare is that file patched with the ranges the two updates wrote: a
   * few pages to copy and fdatasync instead of the whole replica (peers.sh's 1.2 MB database:
   * 3.6 MB written per transaction on the three datanodes, 0.4 MB with patches).
   */
  makeSpare(ref: ReplicaRef): void {
    const bytes = replicaFileBytes(ref.lengthBytes);
    this.dropSpare(ref.chunkId);
    const patch = this.patchFor(ref, bytes);
    if (this.stopping || bytes < spareBytesMin || this.spares.size >= sparesMax || this.spareBytes + this.retiredBytes + bytes > spareBytesMax) {
      if (patch !== undefined) this.discardRetired(patch.retired);
      return;
    }
    const key = replicaName(ref.chunkId, ref.gen);
    const file = patch?.retired.file ?? path.join(this.dataDir, 'tmp', `${key}.spare${++this.writesStarted}`);
    const from = this.replicaPath(ref.chunkId, ref.gen);
    const release = this.holdForReading(from);
    const ready = (async (): Promise<boolean> => {
      try {
        try {
          // The superseded file is written into only once its old name's removal is on disk.
          const writable = patch !== undefined && (await patch.retired.ready);
          if (!writable) {
            if (patch !== undefined) await fsp.unlink(file); // its old name may still be on disk
            this.free.takeAs(file);
          }
          if (writable && patch.bytes <= patchBytesMax && this.replicas.has(key)) {
            patchFile(from, file, patch.ranges, bytes);
            this.sparesPatched++;
          } else await fsp.copyFile(from, file, fsConstants.COPYFILE_FICLONE); // over the old file, if any: it keeps its inode
        } finally {
          release();
        }
        await fsyncPath(file, true);
        return true;
      } catch {
        void this.removeTmp(file); // the replica went meanwhile, or the disk failed: the update copies as before
        return false;
      }
    })();
    const timer = setTimeout(() => this.spares.get(ref.chunkId)?.key === key && this.dropSpare(ref.chunkId), spareKeepMs);
    timer.unref();
    this.spares.set(ref.chunkId, { key, file, bytes, ready, timer });
    this.spareBytes += bytes;
  }

  /**
   * An update starts from (chunkId, gen), whose commit is on the namenode's disk (its writer says
   * so: it had this update's version from the reply to that synced commit, `base_durable`), and
   * which a synced update here made from an older version: that one is superseded for good, and
   * the namenode will have it deleted. Rather than wait for that (a heartbeat away, dozens of a
   * database's transactions), its file is moved out now and kept, to be patched into the chunk's
   * next spare: a copy of the replica the next update starts from is then the old file plus the
   * few ranges written since, and its fdatasync writes those, not the whole file. The namenode's
   * deletion of that version later finds nothing here, which it takes as done. A base whose
   * commit may not be durable yet (an update prepared by PrepareChunk, a retry) retires nothing:
   * a namenode that lost power before that commit reached its disk would want the older version.
   * The claim is the writer's, as the bytes are: a client with a valid write token that claimed
   * it falsely would only risk its own file's previous version.
   */
  private retireSuperseded(chunkId: number, gen: number): void {
    const lineage = this.lineage.get(replicaName(chunkId, gen));
    if (lineage === undefined || this.stopping) return;
    const oldKey = replicaName(chunkId, lineage.baseGen);
    const old = this.replicas.get(oldKey);
    const file = this.replicaPath(chunkId, lineage.baseGen);
    if (old === undefined) return;
    const bytes = replicaFileBytes(old.lengthBytes);
    if (bytes < spareBytesMin || this.reading.has(file)) return;
    this.dropRetired(chunkId); // an older one, whose chain was broken
    // Kept files count against the spares' budget (neither is counted as used space).
    if (this.retired.size >= sparesMax || this.spareBytes + this.retiredBytes + bytes > spareBytesMax) return;
    const to = path.join(this.dataDir, 'tmp', `${oldKey}.old${++this.writesStarted}`);
    let ready: Promise<boolean>;
    try {
      ready = this.free.moveOut(file, to);
    } catch {
      return; // the namenode's deletion will remove it as usual
    }
    this.forget(chunkId, oldKey, old);
    this.retiredBytes += bytes;
    const timer = setTimeout(() => this.retired.get(chunkId)?.file === to && this.dropRetired(chunkId), spareKeepMs);
    timer.unref();
    this.retired.set(chunkId, { gen: lineage.baseGen, file: to, bytes, ready, timer });
  }

  /**
   * The chunk's superseded file, taken for a spare of `ref`, with the byte ranges where the two
   * may differ: those written by the updates from its version to ref's. Undefined when there is
   * none, or the updates between are not all known here (it is then dropped).
   */
  private patchFor(ref: ReplicaRef, fileBytes: number): { retired: Retired; ranges: Array<[number, number]>; bytes: number } | undefined {
    const retired = this.takeRetired(ref.chunkId);
    if (retired === undefined) return undefined;
    const ranges: Array<[number, number]> = [];
    let fromBytes = fileBytes;
    for (let gen = ref.gen, steps = 0; gen !== retired.gen; steps++) {
      const lineage = this.lineage.get(replicaName(ref.chunkId, gen));
      if (lineage === undefined || steps === patchStepsMax) {
        this.discardRetired(retired);
        return undefined;
      }
      ranges.push(...lineage.ranges);
      fromBytes = Math.min(fromBytes, lineage.fromBytes);
      gen = lineage.baseGen;
    }
    ranges.push([fromBytes, fileBytes]);
    const merged = mergeRanges(ranges, fileBytes);
    return { retired, ranges: merged, bytes: merged.reduce((sum, [from, to]) => sum + to - from, 0) };
  }

  /** The chunk's superseded file, no longer kept here (undefined: none). */
  private takeRetired(chunkId: number): Retired | undefined {
    const retired = this.retired.get(chunkId);
    if (retired === undefined) return undefined;
    this.retired.delete(chunkId);
    this.retiredBytes -= retired.bytes;
    clearTimeout(retired.timer);
    return retired;
  }

  private dropRetired(chunkId: number): void {
    const retired = this.takeRetired(chunkId);
    if (retired !== undefined) this.discardRetired(retired);
  }

  /** Removes a superseded file kept for a spare: a free file once its old name's removal is on disk. */
  private discardRetired(retired: Retired): void {
    this.discardWhen(retired.ready.then((synced) => (synced ? this.removeTmp(retired.file) : fsp.unlink(retired.file).catch(() => undefined))));
  }

  /**
   * Notes how a finished synced update changed its base (ChunkWriter.finish): of a replica large
   * enough for spares, the only kind a patch follows, and the most recent `lineagesMax` of them.
   */
  noteLineage(ref: ReplicaRef, lineage: Lineage): void {
    if (replicaFileBytes(ref.lengthBytes) < spareBytesMin || !this.has(ref.chunkId, ref.gen)) return;
    this.lineage.set(replicaName(ref.chunkId, ref.gen), lineage);
    if (this.lineage.size > lineagesMax) this.lineage.delete(this.lineage.keys().next().value as string);
  }

  /** Before an fsync of a bucket directory: what to call once it succeeded (FreeFiles.dirSyncing). */
  dirSyncing(dir: string): () => void {
    return this.free.dirSyncing(dir);
  }

  /** Forgets a replica that leaves: it is no longer listed, read, or a spare's source. */
  private forget(chunkId: number, key: string, replica: ReplicaRef): void {
    this.replicas.delete(key);
    this.sums.delete(key);
    this.lineage.delete(key);
    if (this.spares.get(chunkId)?.key === key) this.dropSpare(chunkId);
    this.usedBytes -= replica.lengthBytes;
  }

  /** The file of the chunk's spare once it is made, and the version it copies (tests). */
  async spareOf(chunkId: number): Promise<{ file: string; key: string } | undefined> {
    const spare = this.spares.get(chunkId);
    return spare !== undefined && (await spare.ready) ? { file: spare.file, key: spare.key } : undefined;
  }

  /** Moves the spare copy of (chunkId, gen) to `to` when there is one; false otherwise. */
  private async takeSpare(chunkId: number, gen: number, to: string): Promise<boolean> {
    const spare = this.spares.get(chunkId);
    if (spare?.key !== replicaName(chunkId, gen)) return false;
    this.forgetSpare(chunkId, spare);
    if (!(await spare.ready)) return false;
    try {
      renameSync(spare.file, to);
      return true;
    } catch {
      void this.removeTmp(spare.file); // the update copies as before
      return false;
    }
  }

  private dropSpare(chunkId: number): void {
    const spare = this.spares.get(chunkId);
    if (spare === undefined) return;
    this.forgetSpare(chunkId, spare);
    // Removed once its copy has settled (a file removed mid-copy would be recreated by it).
    this.discardWhen(spare.ready.then((made) => (made ? this.removeTmp(spare.file) : undefined)));
  }

  /** Tracks the removal of a spare or a superseded file, which `drained` waits for. */
  private discardWhen(removal: Promise<void>): void {
    const done = removal.finally(() => this.discarding.delete(done));
    this.discarding.add(done);
  }

  private forgetSpare(chunkId: number, spare: Spare): void {
    clearTimeout(spare.timer);
    this.spares.delete(chunkId);
    this.spareBytes -= spare.bytes;
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
  /** Windows an update wrote into: their checksums are computed afresh at the end. */
  private readonly touched = new Set<number>();
  /** Byte ranges written, in order, adjacent ones joined (undefined: too many to keep, see Lineage). */
  private written: Array<[number, number]> | undefined = [];
  private highestEnd = 0;
  /** The temporary file's length (the base's, truncated, grown by writes). */
  private fileLength: number;
  private readonly sums: number[] = [];
  /** CRC32C of the current window's bytes so far (sequential writes), and how many there are. */
  private windowSum = 0;
  private windowFill = 0;
  private done = false;
  private fdClosed = false;
  /** The base's trailer is still in the file after its bytes (see ChunkStore.createWriter). */
  private trailerLeft: boolean;
  /** The direct part of a large new replica's sequential write (direct-writes.ts), once it began. */
  private direct: DirectWrites | undefined;
  private directTried = false;

  constructor(
    private readonly store: ChunkStore,
    private readonly s: { chunkId: number; gen: number; baseGen: number; tmp: string; fd: number; base: BaseReplica; offsetBytes: number; trailerLeft: boolean },
  ) {
    this.fileLength = s.base.lengthBytes;
    this.trailerLeft = s.trailerLeft;
    this.position = s.offsetBytes;
    // A new chunk written from its start gets its checksums computed as the bytes stream by.
    this.sequential = s.base.lengthBytes === 0 && s.offsetBytes === 0;
  }

  /** Writes at `offset`; the next `write` continues after it. */
  async writeAt(offset: number, data: Buffer | Buffer[]): Promise<void> {
    if (offset !== this.position) this.sequential = false;
    this.position = offset;
    await this.write(data);
  }

  /** Writes bytes held in one buffer or several (a frame as the socket delivered it). */
  async write(data: Buffer | Buffer[]): Promise<void> {
    const pieces = Array.isArray(data) ? data : [data];
    const length = byteLength(pieces);
    if (this.position + length > limits.chunkSizeBytesMax) throw new CairnError('EFBIG', 'write past the end of a chunk');
    if (this.s.base.lengthBytes > 0 && length > 0) this.touch(this.position, this.position + length);
    if (length > 0) this.noteWritten(this.position, this.position + length);
    if (this.position + length > this.s.base.lengthBytes) this.cutTrailer();
    if (!this.sequential) await this.endDirect();
    else if (!this.directTried && this.position >= directFromBytes && this.position % directAlignBytes === 0 && this.store.directWrites) {
      this.directTried = true;
      const opened = DirectWrites.open(this.s.tmp, this.position);
      this.direct = opened.writes;
      if (opened.refused) this.store.refuseDirect(); // the file system does not take O_DIRECT
    }
    let buffered = pieces;
    let at = this.position;
    if (this.direct !== undefined) {
      const { ok, consumed } = await this.direct.write(pieces, this.s.fd);
      if (ok) this.store.directBytes += consumed;
      else {
        await this.direct.close(); // what it had staged went through the page cache
        this.direct = undefined;
        this.store.refuseDirect();
      }
      buffered = ok ? [] : skipBytes(pieces, consumed);
      at += consumed;
    }
    // A synchronous write into the page cache takes well under a millisecond per MiB; going
    // through libuv's thread pool measured several times slower on a busy 2-core machine. The
    // fsync at the end stays asynchronous.
    if (buffered.length > 0) writevAllSync(this.s.fd, buffered, at);
    this.position += length;
    this.fileLength = Math.max(this.fileLength, this.position);
    this.highestEnd = Math.max(this.highestEnd, this.position);
    if (this.sequential) for (const piece of pieces) this.feedChecksums(piece);
  }

  private noteWritten(from: number, to: number): void {
    if (this.written === undefined) return;
    const last = this.written.at(-1);
    if (last?.[1] === from) last[1] = to; // the next page of a run
    else if (this.written.length < writtenRangesMax) this.written.push([from, to]);
    else this.written = undefined; // too scattered to keep: the next spare is a full copy
  }

  /**
   * Notes the windows [from, to) writes into. A base window it rewrites only in part keeps base
   * bytes under the fresh checksum it gets at the end: it is verified first, so corruption is
   * never laundered into new checksums. Windows it does not write keep their base checksums
   * unread, so an update costs the windows it writes, not the chunk's size.
   */
  private touch(from: number, to: number): void {
    const { base } = this.s;
    for (let w = Math.floor(from / windowBytes); w * windowBytes < to; w++) {
      if (this.touched.has(w)) continue;
      const baseBytesEnd = Math.min((w + 1) * windowBytes, base.lengthBytes);
      if (w * windowBytes < baseBytesEnd && (from > w * windowBytes || to < baseBytesEnd)) verifyBaseWindow(this.s.fd, base, w);
      this.touched.add(w);
    }
  }

  /**
   * Makes the replica visible, and durable first when `sync`. finalLength -1: max(base length,
   * end of writes).
   */
  async finish(finalLengthBytes: number, sync: boolean): Promise<ReplicaRef> {
    await this.endDirect();
    const { fd, tmp, chunkId, gen } = this.s;
    const { base } = this.s;
    const length = finalLengthBytes >= 0 ? finalLengthBytes : Math.max(base.lengthBytes, this.highestEnd, this.s.offsetBytes);
    // The same length: the new trailer is written over the old one, which has the same size.
    if (length !== base.lengthBytes) this.cutTrailer();
    let sums: number[];
    if (this.sequential && length === this.position) {
      if (this.fileLength !== length) ftruncateSync(fd, length);
      if (this.windowFill > 0) this.sums.push(this.windowSum);
      sums = this.sums;
    } else {
      // A window keeps its base checksum when nothing wrote into it and it covers the same base
      // bytes as before; the others are checksummed afresh, after verifying any base bytes an
      // unwritten one keeps (the window a shorter length now ends in, or the base's last one
      // when the chunk grew past it), before the truncate below cuts them.
      const keeps = Array.from({ length: Math.ceil(length / windowBytes) }, (_, w) => {
        const end = Math.min((w + 1) * windowBytes, length);
        return !this.touched.has(w) && w < base.sums.length && end === Math.min((w + 1) * windowBytes, base.fileLengthBytes) && end <= base.lengthBytes;
      });
      for (const [w, kept] of keeps.entries()) {
        if (!kept && !this.touched.has(w) && w * windowBytes < base.lengthBytes) verifyBaseWindow(fd, base, w);
      }
      if (this.fileLength !== length) ftruncateSync(fd, length);
      const buf = Buffer.allocUnsafe(windowBytes); // one for every window checksummed afresh
      sums = [];
      for (const [w, kept] of keeps.entries()) sums.push(kept ? (base.sums[w] as number) : checksumOf(fd, w, length, buf));
    }
    // The checksums follow the bytes in the same file.
    const ref = { chunkId, gen, lengthBytes: length };
    try {
      writeAllSync(fd, encodeTrailer(sums, length), length);
      const removing = this.store.unlinked(this.store.replicaPath(chunkId, gen)); // the same version deleted here just before
      if (removing !== undefined) await removing;
      // Synced: renamed first, then the file and its directory fsynced at once, so that one
      // journal commit can carry both (fsyncing the file before the rename took two in a row).
      // A crash before both are done leaves a replica no commit names (its ack had not gone),
      // which the namenode drops as stale.
      this.store.install(ref, tmp);
      this.done = true;
      if (sync) {
        const dir = path.dirname(this.store.replicaPath(chunkId, gen));
        const dirSynced = this.store.dirSyncing(dir); // a version this update superseded left it (retireSuperseded)
        // Both settle before the descriptor closes (a number closed under a pending fsync could be another file's by then).
        const synced = await Promise.allSettled([fsyncFd(fd), fsyncPath(dir)]);
        if (synced[1].status === 'fulfilled') dirSynced();
        const failed = synced.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed !== undefined) {
          await this.store.delete(chunkId, gen);
          throw failed.reason;
        }
      }
      if (sync && base.fileLengthBytes > 0 && this.written !== undefined) {
        this.store.noteLineage(ref, { baseGen: this.s.baseGen, ranges: mergeRanges(this.written, Infinity), fromBytes: Math.min(base.lengthBytes, length) });
      }
    } finally {
      this.closeFd();
    }
    // A synced update (a database's or a log's fsync): the chunk is likely to be updated again,
    // and soon (after this one's acknowledgement goes).
    if (sync && base.fileLengthBytes > 0) setImmediate(() => this.store.has(chunkId, gen) && this.store.makeSpare(ref));
    return ref;
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.direct?.close(); // after a direct write in flight, if any
    this.direct = undefined;
    this.closeFd();
    await this.store.removeTmp(this.s.tmp);
  }

  /** Closes the data file once (a descriptor number closed twice could be another file's by then). */
  private closeFd(): void {
    if (this.fdClosed) return;
    this.fdClosed = true;
    closeSync(this.s.fd);
  }

  /** Writes what the direct part still stages and ends it: later bytes go through the page cache. */
  private async endDirect(): Promise<void> {
    const direct = this.direct;
    if (direct === undefined) return;
    this.direct = undefined;
    if (!(await direct.end(this.s.fd))) this.store.refuseDirect();
  }

  /** Cuts the base's trailer off (once), before bytes or a longer or shorter length go past the base's bytes. */
  private cutTrailer(): void {
    if (!this.trailerLeft) return;
    this.trailerLeft = false;
    ftruncateSync(this.s.fd, this.s.base.lengthBytes);
  }

  /** Continues the running window checksum over `data` (CRC32C carries over between pieces). */
  private feedChecksums(data: Buffer): void {
    let at = 0;
    while (at < data.length) {
      const take = Math.min(windowBytes - this.windowFill, data.length - at);
      this.windowSum = crc(data.subarray(at, at + take), this.windowSum);
      this.windowFill += take;
      at += take;
      if (this.windowFill === windowBytes) {
        this.sums.push(this.windowSum);
        this.windowSum = 0;
        this.windowFill = 0;
      }
    }
  }
}

const readFd = promisify(readCallback);

/** Ranges sorted, overlapping and adjacent ones joined, cut at `end`, empty ones left out. */
export function mergeRanges(ranges: ReadonlyArray<readonly [number, number]>, end: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const [from, to] of [...ranges].sort((a, b) => a[0] - b[0])) {
    const cut = Math.min(to, end);
    if (cut <= from) continue;
    const last = out.at(-1);
    if (last !== undefined && from <= last[1]) last[1] = Math.max(last[1], cut);
    else out.push([from, cut]);
  }
  return out;
}

/**
 * Makes `file`, an older version's replica file, a copy of `from` (a later version of the same
 * chunk) by copying the ranges where they may differ, and cutting it where `from` ends.
 */
function patchFile(from: string, file: string, ranges: ReadonlyArray<readonly [number, number]>, fileBytes: number): void {
  const src = openSync(from, 'r');
  try {
    const dst = openSync(file, 'r+');
    try {
      const buf = Buffer.allocUnsafe(Math.min(windowBytes, Math.max(1, ...ranges.map(([a, b]) => b - a))));
      for (const [start, end] of ranges) {
        for (let at = start; at < end; ) {
          const n = readSync(src, buf, 0, Math.min(buf.length, end - at), at);
          if (n <= 0) throw new Error(`${from} ends before ${end}`);
          writeAllSync(dst, buf.subarray(0, n), at);
          at += n;
        }
      }
      ftruncateSync(dst, fileBytes);
    } finally {
      closeSync(dst);
    }
  } finally {
    closeSync(src);
  }
}

/** Whether `file` ends with the trailer of exactly these checksums for `lengthBytes` bytes of data. */
async function endsWithTrailer(file: string, sums: number[], lengthBytes: number): Promise<boolean> {
  const fd = openSync(file, 'r');
  try {
    const found = await readTrailer(fd, lengthBytes);
    return found.length === sums.length && found.every((sum, i) => sum === sums[i]);
  } catch {
    return false; // not a trailer
  } finally {
    closeSync(fd);
  }
}

/** A trailer short or not intact makes the replica corrupt. */
function trailerError(err: unknown, chunkId: number, gen: number): ChecksumError {
  return new ChecksumError(chunkId, gen, (err as Error).message);
}

/** Verifies `data`, the replica's bytes from window-aligned offset `at`, before a byte of it leaves. */
function verifyOrThrow(data: Buffer, at: number, sums: readonly number[], chunkId: number, gen: number): void {
  const bad = firstBadWindow(data, at, sums);
  if (bad >= 0) throw new ChecksumError(chunkId, gen, `checksum mismatch in window ${bad}`);
}

/**
 * The CRC32C of window `w` of a file `length` bytes long, read into `buf` (a window's size). The
 * update's file was just copied or written, so the read is page-cache work: synchronous (a
 * thread hop for each window measured as most of a small update's time on a busy machine). On a
 * file system that clones instead of copying (XFS, btrfs) the clone has no cached pages, and the
 * few windows an update reads come from the disk: a short stall of this datanode's event loop.
 */
function checksumOf(fd: number, w: number, length: number, buf: Buffer): number {
  const span = Math.min(windowBytes, length - w * windowBytes);
  const bytesRead = readSync(fd, buf, 0, span, w * windowBytes);
  if (bytesRead !== span) throw new CairnError('EIO', 'short read while checksumming');
  return crc(buf.subarray(0, span));
}

/**
 * Verifies base window `w` of an update's file against the base's checksum (which covers the
 * whole window as the base had it) before any of its bytes are rewritten or cut; once per window.
 */
function verifyBaseWindow(fd: number, base: BaseReplica, w: number): void {
  if (base.verified.has(w)) return;
  const span = Math.min(windowBytes, base.fileLengthBytes - w * windowBytes);
  const buf = Buffer.allocUnsafe(span);
  const bytesRead = readSync(fd, buf, 0, span, w * windowBytes); // a copy just made: page-cache work, as checksumOf
  if (bytesRead !== span || crc(buf) !== base.sums[w]) {
    throw new CairnError('EIO', `checksum mismatch in base replica window ${w} (length ${base.lengthBytes})`);
  }
  base.verified.add(w);
}
