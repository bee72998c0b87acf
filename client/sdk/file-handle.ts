// An open file, shaped like node:fs/promises' FileHandle: positional read and write, truncate,
// sync and close.
//
// Writes go into a ChunkUpload for the chunk they touch; further writes to that chunk, anywhere
// in it, join it and stream down the pipeline as they come. A write to another chunk, a read,
// sync or close finishes the current upload first (one more may still be finishing in the
// background while the next chunk streams, so a sequential writer keeps the pipeline busy).
// A writer always reads its own writes.
//
// Durability is HDFS's: close (and flush) returns once every byte is on every replica and
// committed, which survives the death of any process; sync (fsync) returns once it is also on
// every replica's disk and in the namenode's log on disk, which survives a power loss. The
// handle remembers the chunks it committed without sync, to have them synced at the next sync.

import { CairnError } from '../../common/errors.js';
import { limits } from '../../common/limits.js';
import type { DataTransferPool } from '../../common/transfer.js';
import type { ChunkInfo__Output } from '../../proto/gen/cairn/ChunkInfo.js';
import type { PrepareChunkReply__Output } from '../../proto/gen/cairn/PrepareChunkReply.js';
import type { ChunkStock } from './chunk-stock.js';
import { ChunkUpload, readChunkInto, StaleViewError, syncReplicas, type CommitAhead, type CommittedReplica } from './chunk-io.js';
import type { AttrChanges, NamenodeClient, WireAttr } from './namenode-client.js';
import type { LocalReads, LocalReplica } from './local-reads.js';
import { Stats } from './stats.js';

export interface HandleOptions {
  namenode: NamenodeClient;
  pool: DataTransferPool;
  /** Short-circuit reads of replicas on this machine, if enabled. */
  local?: LocalReads;
  path: string;
  attr: WireAttr;
  writable: boolean;
  /** Whether the open took the write lease (a create may leave it to the first write). */
  leased?: boolean;
  readable: boolean;
  append: boolean;
  deadlineMs: number;
  onClose: (handle: FileHandle) => void;
  /** Chunks the open already answered with (from index 0; a missing index is a hole). */
  chunks?: ChunkInfo__Output[];
  /** Uploads write behind (chunk-io.ts ChunkUpload): refusals come at a later write, flush or close. */
  writeBehind?: boolean;
  /** Chunks handed out ahead for a replication (chunk-stock.ts), used by write-behind uploads of new chunks. */
  stockFor?: (replication: number) => ChunkStock;
}

const readRetryDelaysMs = [200, 500, 1000, 2000, 4000];
/** Replicas `locateLocal` locates at once. */
const locateParallel = 4;

export class FileHandle {
  readonly path: string;
  private attr: WireAttr;
  private size: number;
  private readonly chunkSize: number;
  private upload: ChunkUpload | undefined;
  private finishing: Promise<void> | undefined;
  private finishingIndex: number | undefined;
  private failure: unknown;
  private closed = false;
  private readonly chunks = new Map<number, ChunkInfo__Output>();
  /** Chunk versions committed without sync since the last sync. */
  private readonly unsynced = new Map<string, CommittedReplica>();
  /** Chunk id -> the version of it known to be on every replica's disk: synced by this handle (its commit or a sync request). */
  private readonly durable = new Map<number, number>();
  /**
   * Whether every chunk of the file is this handle's to know about: it began empty, or a sync
   * since found and synced the chunks others committed, and the lease was held since (nobody else
   * could add any). Otherwise an fsync asks the namenode for the chunks and syncs the ones it
   * does not know as durable: another handle may have closed them without fsync.
   */
  private chunksKnown: boolean;
  /** Sequential position for read/write calls without one. */
  private position = 0;
  /**
   * Whether this handle holds the file's write lease: from open until a commit releases it
   * (flushReleasing, close); the next upload or truncate takes it again.
   */
  private leaseHeld: boolean;
  /** Created by this open without the lease, and not written yet. */
  private createdUnleased: boolean;
  /**
   * A chunk's next version, prepared by the synced commit of its last one (a database or a log
   * fsyncs the same chunk again and again): its next update needs no PrepareChunk. Good while
   * this handle holds the lease and nothing else changed the chunk (a truncate forgets it).
   */
  private nextVersion: { index: number; prepared: PrepareChunkReply__Output } | undefined;

  constructor(private readonly o: HandleOptions) {
    this.path = o.path;
    this.attr = o.attr;
    this.size = o.attr.sizeBytes;
    this.chunkSize = o.attr.chunkSizeBytes;
    this.leaseHeld = o.leased ?? o.writable;
    this.createdUnleased = o.writable && o.leased === false;
    this.chunksKnown = o.writable && o.attr.sizeBytes === 0;
    for (const chunk of o.chunks ?? []) this.chunks.set(chunk.index, chunk);
  }

  get inode(): number {
    return this.attr.inode;
  }

  get chunkSizeBytes(): number {
    return this.chunkSize;
  }

  /** The stamp of the file's first chunk as this handle knows it (0: none known); every write to the chunk changes it. */
  get firstChunkGen(): number {
    return this.chunks.get(0)?.gen ?? 0;
  }

  /** Bytes the file holds as this handle sees it (including its own unflushed writes). */
  get sizeBytes(): number {
    return this.size;
  }

  async stat(): Promise<Stats> {
    this.checkOpen();
    await this.settle();
    return new Stats({ ...this.attr, sizeBytes: this.size });
  }

  /**
   * write(buffer[, offset[, length[, position]]]) or write(string[, position[, encoding]]).
   * The bytes are copied, so the caller may reuse its buffer at once.
   */
  async write(
    data: Buffer | Uint8Array | string,
    offsetOrPosition?: number | null,
    lengthOrEncoding?: number | BufferEncoding | null,
    position?: number | null,
  ): Promise<{ bytesWritten: number; buffer: Buffer | Uint8Array | string }> {
    let bytes: Buffer;
    let at: number | null | undefined;
    if (typeof data === 'string') {
      bytes = Buffer.from(data, typeof lengthOrEncoding === 'string' ? lengthOrEncoding : 'utf8');
      at = offsetOrPosition;
    } else {
      const offset = offsetOrPosition ?? 0;
      const length = typeof lengthOrEncoding === 'number' ? lengthOrEncoding : data.byteLength - offset;
      checkRange(offset, length, data.byteLength);
      bytes = Buffer.from(data.buffer, data.byteOffset + offset, length);
      at = position;
    }
    const written = await this.writeOwned(Buffer.from(bytes), at ?? null);
    return { bytesWritten: written, buffer: data };
  }

  /**
   * Writes bytes the handle may keep (no copy). Returns the count written. `retain`, if given, is
   * called by each upload that keeps the bytes, and the function it returns once that upload has
   * settled: the caller may then use the memory again.
   */
  async writeOwned(data: Buffer, position: number | null, retain?: () => () => void): Promise<number> {
    this.checkOpen();
    if (!this.o.writable) throw new CairnError('EBADF', 'file not open for writing', { path: this.path });
    if (this.failure !== undefined) throw this.failure;
    try {
      return await this.writeFrom(data, position, retain);
    } catch (err) {
      if (!(err instanceof StaleViewError)) throw err;
      // Another client wrote the file while this handle held no lease (it holds it now): take
      // the file's size as it is (an O_APPEND write goes to the real end), forget the chunk
      // versions read before, and write again.
      this.size = err.fileSizeBytes;
      this.chunks.clear();
      return this.writeFrom(data, position, retain);
    }
  }

  private async writeFrom(data: Buffer, position: number | null, retain?: () => () => void): Promise<number> {
    const start = this.o.append ? this.size : position ?? this.position;
    if (!Number.isSafeInteger(start) || start < 0) throw new CairnError('EINVAL', `bad position ${start}`, { path: this.path });
    if (start + data.length > limits.fileBytesMax) throw new CairnError('EFBIG', undefined, { path: this.path });
    let done = 0;
    while (done < data.length) {
      const at = start + done;
      const index = Math.floor(at / this.chunkSize);
      const inChunk = at % this.chunkSize;
      const take = Math.min(data.length - done, this.chunkSize - inChunk);
      const upload = await this.uploadFor(index, inChunk);
      try {
        await upload.write(data.subarray(done, done + take), inChunk, retain);
      } catch (err) {
        // Refused before any byte joined it (another client holds the lease): no empty commit later.
        if (upload.empty && this.upload === upload) this.upload = undefined;
        throw err instanceof CairnError ? err.withPath(this.path, 'write') : err;
      }
      done += take;
      this.size = Math.max(this.size, at + take);
      if (inChunk + take === this.chunkSize) await this.finishUpload(true);
    }
    if (position === null || this.o.append) this.position = start + data.length;
    return data.length;
  }

  /** read(buffer, offset, length, position): fills buffer[offset..] with file bytes from position. */
  async read(
    buffer: Buffer,
    offset = 0,
    length: number = buffer.length - offset,
    position: number | null = null,
  ): Promise<{ bytesRead: number; buffer: Buffer }> {
    this.checkOpen();
    if (!this.o.readable) throw new CairnError('EBADF', 'file not open for reading', { path: this.path });
    checkRange(offset, length, buffer.length);
    const start = position ?? this.position;
    if (!Number.isSafeInteger(start) || start < 0) throw new CairnError('EINVAL', `bad position ${start}`, { path: this.path });
    await this.settle(); // a writer's failure stays for its flush, write or close to report
    const end = Math.min(this.size, start + length);
    if (end <= start) return { bytesRead: 0, buffer };
    await this.readRange(start, end - start, buffer, offset);
    if (position === null) this.position = end;
    return { bytesRead: end - start, buffer };
  }

  /**
   * Where this handle's chunk `index` can be read on this machine: the files of a replica that
   * short-circuit reads already opened for it, in the chunk version the handle knows. For a
   * reader that reads them itself; undefined otherwise.
   */
  localChunk(index: number): LocalReplica | undefined {
    const chunk = this.chunks.get(index);
    const where = chunk !== undefined && !this.o.writable ? this.o.local?.where(chunk) : undefined;
    // A replica of another length than the committed one is not this version's: read it remotely.
    return where !== undefined && where.lengthBytes === chunk?.lengthBytes ? where : undefined;
  }

  /** Whether the handle knows where chunk `index`'s replicas are (the open brought it, or a read fetched it). */
  knowsChunk(index: number): boolean {
    return this.chunks.has(index);
  }

  /**
   * Locates this machine's replicas of the chunks `indexes` that the handle knows, as their first
   * reads would: see `localChunk`. For a reader about to stream through the file. Read-only
   * handles; never fails.
   */
  async locateLocal(indexes: readonly number[]): Promise<void> {
    const local = this.o.local;
    if (local === undefined || this.o.writable) return;
    const chunks: ChunkInfo__Output[] = [];
    for (const index of indexes) {
      const chunk = this.chunks.get(index);
      if (chunk !== undefined) chunks.push(chunk);
    }
    // A few at a time: each is a round trip to a datanode, an open and a read of its checksums.
    for (let i = 0; i < chunks.length; i += locateParallel) {
      await Promise.all(chunks.slice(i, i + locateParallel).map((chunk) => local.prepare(chunk, this.o.deadlineMs)));
    }
  }

  /** The whole remaining file from the current position (like FileHandle.readFile). */
  async readFile(): Promise<Buffer> {
    await this.settle();
    const out = Buffer.allocUnsafe(Math.max(0, this.size - this.position));
    await this.read(out, 0, out.length, null);
    return out;
  }

  async truncate(len = 0): Promise<void> {
    this.checkOpen();
    if (!this.o.writable) throw new CairnError('EBADF', 'file not open for writing', { path: this.path });
    if (!Number.isSafeInteger(len) || len < 0) throw new CairnError('EINVAL', `bad length ${len}`, { path: this.path });
    await this.flush();
    this.leaseHeld = true; // a truncate takes the lease
    this.nextVersion = undefined; // prepared from the lengths before the cut
    this.attr = await this.o.namenode.truncate(this.inode, len);
    this.size = len;
    this.chunks.clear();
  }

  /**
   * Returns once every byte written so far is on every replica's disk and committed, and the
   * namenode has the file's metadata on its disk.
   */
  async sync(): Promise<void> {
    await this.syncCarrying();
  }

  /**
   * sync() for a FUSE mount's fsync(2): when there is an upload to commit, its synced commit
   * also applies `setAttr` (as flushReleasing). Returns the attributes after it when it did.
   */
  async syncCarrying(setAttr?: AttrChanges): Promise<Stats | undefined> {
    this.checkOpen();
    const uploading = this.upload !== undefined;
    // The current upload syncs on its way (one round trip).
    await this.finishUpload(false, { sync: true, ...(setAttr !== undefined && { setAttr }) });
    await this.flush();
    if (this.unsynced.size > 0) {
      await syncReplicas(this.o.pool, [...this.unsynced.values()], this.o.deadlineMs);
      for (const r of this.unsynced.values()) this.durable.set(r.chunkId, r.gen);
      this.unsynced.clear();
    }
    if (!this.chunksKnown) await this.syncOthers();
    // A synced commit flushed the namenode's log; otherwise (nothing was uploading) ask for it.
    if (!uploading) await this.o.namenode.sync();
    return uploading && setAttr !== undefined ? new Stats(this.attr) : undefined;
  }

  /**
   * Syncs the chunks of the file this handle does not know as durable (committed by others, or
   * before it opened, perhaps without fsync): fsync is of the file, as on a local disk.
   */
  private async syncOthers(): Promise<void> {
    const holding = this.leaseHeld && this.o.writable;
    for await (const reply of this.o.namenode.chunkPages(this.inode)) {
      const unknown = reply.chunks
        .filter((c) => this.durable.get(c.chunkId) !== c.gen)
        .map((c) => ({ chunkId: c.chunkId, gen: c.gen, addresses: c.locations.map((l) => l.address) }));
      if (unknown.length > 0) await syncReplicas(this.o.pool, unknown, this.o.deadlineMs);
      for (const c of unknown) this.durable.set(c.chunkId, c.gen);
    }
    // With the lease held throughout, no other writer can have added a chunk since.
    if (holding && this.leaseHeld) this.chunksKnown = true;
  }

  /**
   * A hint that the writer is done for now (a FUSE mount's attribute change of a file open for
   * writing: tar and cp -p set owner, mode and times just before the close): the current upload's
   * end leaves now, so that the datanodes store it meanwhile (ChunkUpload.endAhead). Changes nothing
   * a reader or the namenode sees; a later write sends the upload again at its finish.
   */
  endAhead(): void {
    if (!this.closed) this.upload?.endAhead();
  }

  async datasync(): Promise<void> {
    await this.sync();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      // The last upload's commit also releases the lease; without one, CloseFile does.
      await this.finishUpload(false, { releaseLease: true });
      await this.flush();
    } finally {
      this.closed = true;
      this.o.onClose(this);
      if (this.o.writable && this.leaseHeld) await this.o.namenode.close(this.inode).catch(() => undefined);
    }
  }

  /**
   * What close(2) of one descriptor on a FUSE mount needs (the handle may be written again
   * through another): every byte written so far committed, as flush does, and when there is an
   * upload to commit, the write lease released and `setAttr` applied by that same commit. The
   * next write takes the lease again. Returns whether a commit carried `setAttr`, and the
   * attributes after it (which show whether the namenode applied them). `ahead`: the caller is
   * answered once the commit is written (ChunkUpload.finish).
   */
  async flushReleasing(setAttr?: AttrChanges, ahead?: CommitAhead): Promise<Stats | undefined> {
    this.checkOpen();
    const carrying = this.upload !== undefined;
    await this.finishUpload(false, { releaseLease: true, ...(setAttr !== undefined && { setAttr }), ...(ahead !== undefined && { ahead }) });
    await this.flush();
    return carrying ? new Stats(this.attr) : undefined;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Finishes every upload in flight; a failure stays for the next flush, write or close to report. */
  private async settle(): Promise<void> {
    await this.finishUpload(false);
    await this.finishing;
  }

  /** Finishes every upload in flight and reports the first failure. */
  async flush(): Promise<void> {
    await this.settle();
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      throw failure;
    }
  }

  private async uploadFor(index: number, inChunk: number): Promise<ChunkUpload> {
    // Writes anywhere in the chunk being uploaded join its upload (one update, one commit).
    const current = this.upload;
    if (current !== undefined && current.target.index === index) return current;
    await this.finishUpload(false);
    // An update of a chunk must start from its last committed version.
    if (this.finishingIndex === index) await this.finishing;
    if (this.failure !== undefined) throw this.failure;
    // Preparing the chunk takes the lease. Taking it again (after a commit released it, or after
    // a create that took none), the handle checks that nobody wrote the file meanwhile.
    const retaking = !this.leaseHeld;
    const sizeSeen = this.size;
    const check = (prepared: { fileSizeBytes: number }): void => {
      if (prepared.fileSizeBytes !== sizeSeen) throw new StaleViewError(prepared.fileSizeBytes);
    };
    this.leaseHeld = true;
    // Writes go behind only where no view can be stale: with the lease held, or for the first
    // upload of a file this open created (a conflict there is another writer's, reported at close).
    // Taking the lease again after a commit released it waits, so that a stale view is redone.
    const behind = this.o.writeBehind === true && (!retaking || this.createdUnleased);
    this.createdUnleased = false;
    // A chunk past the committed size does not exist yet (none is kept past it): one handed out
    // ahead can be it, its commit refusing if another writer made one meanwhile.
    const fresh = behind && index * this.chunkSize >= this.attr.sizeBytes;
    const given = !retaking && this.nextVersion?.index === index ? this.nextVersion.prepared : undefined;
    if (given !== undefined) this.nextVersion = undefined;
    this.upload = new ChunkUpload(
      this.o.namenode,
      this.o.pool,
      { inode: this.inode, index, offsetInChunk: inChunk, wantReplicas: this.attr.replication, ...(retaking && { sizeSeen }) },
      {
        ...(retaking && { checkPrepared: check }),
        behind,
        // A new chunk's small upload may wait for its finish: no base to copy on the datanodes meanwhile.
        holdSmall: fresh,
        ...(fresh && given === undefined && { stock: this.o.stockFor?.(this.attr.replication) }),
        ...(given !== undefined && { given }),
      },
    );
    return this.upload;
  }

  /** Ends the current upload; in the background (one at a time) when `background`. */
  private async finishUpload(
    background: boolean,
    opts: { sync?: boolean; releaseLease?: boolean; setAttr?: AttrChanges; ahead?: CommitAhead } = {},
  ): Promise<void> {
    const upload = this.upload;
    if (upload === undefined) return;
    this.upload = undefined;
    await this.finishing; // at most one upload finishes in the background
    const { index } = upload.target;
    this.finishingIndex = index;
    const sync = opts.sync ?? false;
    // An fsync keeping the lease: the chunk is likely written again (a database's or a log's).
    const prepareNext = sync && opts.releaseLease !== true;
    const work = upload.finish({ ...opts, sync, prepareNext }).then(
      ({ attr, replica, next }) => {
        this.attr = attr;
        if (opts.releaseLease === true && this.upload === undefined) {
          this.leaseHeld = false;
          this.nextVersion = undefined; // the namenode forgot it with the lease
          this.chunksKnown = false; // others may write the file until the lease is taken again
        }
        this.chunks.delete(index);
        if (next !== undefined) this.nextVersion = { index, prepared: next };
        else if (this.nextVersion?.index === index) this.nextVersion = undefined; // of a version no longer the last
        if (!sync) this.unsynced.set(`${replica.chunkId}_${replica.gen}`, replica);
        else this.durable.set(replica.chunkId, replica.gen);
      },
      (err: unknown) => {
        this.failure ??= err instanceof CairnError ? err.withPath(this.path, 'write') : err;
        // Its bytes never landed, and no upload starts after a failure: the file is as last committed.
        if (this.upload === undefined) this.size = this.attr.sizeBytes;
      },
    );
    const tracked: Promise<void> = work.finally(() => {
      if (this.finishing === tracked) {
        this.finishing = undefined;
        this.finishingIndex = undefined;
      }
    });
    this.finishing = tracked;
    if (!background) await tracked;
  }

  private async readRange(start: number, length: number, out: Buffer, outOffset: number): Promise<void> {
    const end = start + length;
    let at = start;
    const reads: Array<Promise<void>> = [];
    while (at < end) {
      const index = Math.floor(at / this.chunkSize);
      const inChunk = at % this.chunkSize;
      const take = Math.min(end - at, this.chunkSize - inChunk);
      reads.push(this.readFromChunk(index, inChunk, take, out, outOffset + (at - start)));
      at += take;
      if (reads.length >= 4) await Promise.all(reads.splice(0));
    }
    await Promise.all(reads);
  }

  private async readFromChunk(index: number, inChunk: number, length: number, out: Buffer, outOffset: number): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const chunk = await this.chunkInfo(index, attempt > 0);
      if (chunk === undefined) {
        out.fill(0, outOffset, outOffset + length); // a hole
        return;
      }
      try {
        await readChunkInto(this.o.pool, chunk, inChunk, length, out, outOffset, this.o.deadlineMs, this.o.local);
        return;
      } catch (err) {
        const delay = readRetryDelaysMs[attempt];
        if (delay === undefined) throw err instanceof CairnError ? err.withPath(this.path, 'read') : err;
        // Replicas may be coming back (a namenode restart, a datanode re-registering).
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  private async chunkInfo(index: number, refresh: boolean): Promise<ChunkInfo__Output | undefined> {
    if (!refresh && this.chunks.has(index)) return this.chunks.get(index);
    const batch = 64;
    const reply = await this.o.namenode.getChunks(this.inode, index, refresh ? 1 : batch);
    const last = refresh ? index : index + batch - 1;
    for (let i = index; i <= last; i++) this.chunks.delete(i);
    for (const chunk of reply.chunks) if (chunk.index <= last) this.chunks.set(chunk.index, chunk);
    return this.chunks.get(index);
  }

  private checkOpen(): void {
    if (this.closed) throw new CairnError('EBADF', 'file handle is closed', { path: this.path });
  }
}

function checkRange(offset: number, length: number, bufferLength: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset > bufferLength) throw new CairnError('EINVAL', `offset ${offset} out of range`);
  if (!Number.isSafeInteger(length) || length < 0 || offset + length > bufferLength) throw new CairnError('EINVAL', `length ${length} out of range`);
}
