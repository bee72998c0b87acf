// Open files of a mount: the kernel's file handles (fh) and the SDK FileHandles behind them.
//
// One writer per file per mount: every open for writing of one inode shares one SDK FileHandle
// (the namenode's lease belongs to the mount, identities.ts), counted by references and closed,
// releasing the lease, when the last writer is released. Operations on it run one at a time
// (the SDK handle is not reentrant), and reads of an inode that has a writer go through the
// writer, so a writer, and every reader on this mount, read its own unflushed writes.
// Read-only opens have their own SDK handle; when a writer of the inode has been closed since,
// the reader is reopened so that it sees the new contents (close-to-open within the mount).
//
// The kernel already checked permissions for every open (default_permissions; without it, every
// caller is the mount's owner, device.ts), so a second writer of an inode joins the shared one
// without asking the namenode again.

import { constants as O } from 'node:fs';
import { retryWithBackoff } from '../../common/backoff.js';
import { CairnError } from '../../common/errors.js';
import type { AttrChanges, CairnClient, ChangeOptions, GrantOptions } from '../sdk/client.js';
import type { FastReads } from './fast-reads.js';
import { ReadAhead } from './read-ahead.js';
import type { CommitAhead } from '../sdk/chunk-io.js';
import type { FileHandle } from '../sdk/file-handle.js';
import type { Stats } from '../sdk/stats.js';
import type { Identities } from './identities.js';

/**
 * How far ahead of a reader its chunks' local replicas are located (`locateAhead`): 64 MiB, but at
 * least 2 chunks and at most 16. With the default 64 MiB chunks a program that opens a large file
 * and reads its first bytes (file(1), head) costs two locates, not one per chunk.
 */
const locateAheadBytes = 64 * 1024 * 1024;
const locateAheadChunksMin = 2;
const locateAheadChunksMax = 16;
/** How long an open waits for its first chunk's replica to be located. */
const locateWaitMs = 100;
/** Smaller files are not located ahead (sdk/local-reads.ts reads small replicas by name, unlocated). */
const locateMinBytes = 1024 * 1024;

/** Runs tasks one at a time, in order. */
class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

interface SharedWriter {
  ino: number;
  handle: FileHandle;
  client: CairnClient;
  refs: number;
  queue: SerialQueue;
  /** Set while the last writer's close commits and releases the lease; the writer stays listed until then. */
  closing: Promise<void> | undefined;
}

interface OpenFile {
  ino: number;
  writable: boolean;
  append: boolean;
  /** Own read handle (read-only opens), opened lazily when the inode has a writer. */
  reader: FileHandle | undefined;
  /** The inode's version when `reader` was opened. */
  readerVersion: number;
  client: CairnClient;
  /** Sequential read-ahead over `reader` (replaced when the reader is reopened). */
  readAhead?: ReadAhead | undefined;
  /** The chunks of `reader` whose local replicas were located (or asked for) for the fast path (`locateAhead`). */
  located?: { reader: FileHandle; indexes: Set<number> };
}

export interface OpenRequest {
  client: CairnClient;
  path: string;
  ino: number | undefined; // the node the kernel opens; undefined when creating
  flags: number;
  mode: number;
  /** A create: what the namenode says the parent directory is after it. */
  onChanged?: ChangeOptions['onChanged'];
  /** A create: the directory's grant and inodes to ask for (early-creates.ts). */
  grant?: GrantOptions;
}

export class OpenFiles {
  private readonly files = new Map<number, OpenFile>();
  private readonly writers = new Map<number, SharedWriter>();
  /** Bumped when an inode's contents changed through a writer that is now closed. */
  private readonly versions = new Map<number, number>();
  /** Open files per inode (versions are kept only while an inode is open). */
  private readonly opensOf = new Map<number, number>();
  /** Releases in progress per inode: how many (openAfterReleases). */
  private readonly releasing = new Map<number, number>();
  private fhsGiven = 0;

  constructor(
    private readonly identities: Identities,
    /** The current path of an inode, for reopening readers. */
    private readonly pathOf: (ino: number) => string | undefined,
    /** Reads the reader threads may serve themselves, if they can. */
    private readonly fast?: FastReads,
  ) {}

  get openCount(): number {
    return this.files.size;
  }

  get writerCount(): number {
    return this.writers.size;
  }

  /**
   * open(2) of an existing inode, or create (O_CREAT) of a new name. Returns the fh, the inode
   * and, when a new SDK handle was opened, its attributes (no extra round trip for a create).
   */
  async open(req: OpenRequest): Promise<{ fh: number; ino: number; stats?: Stats; version?: string }> {
    const access = req.flags & 3; // O_ACCMODE
    const writable = access !== O.O_RDONLY;
    const creating = (req.flags & O.O_CREAT) !== 0;
    const append = (req.flags & O.O_APPEND) !== 0;
    // A writer still closing cannot be joined: wait until it is gone, then open afresh.
    const closing = req.ino !== undefined ? this.writers.get(req.ino)?.closing : undefined;
    if (closing !== undefined) await closing.catch(() => undefined);
    const existing = req.ino !== undefined ? this.writers.get(req.ino) : undefined;

    if (!creating && existing !== undefined) {
      // The kernel checked access; join the mount's writer (or read through it).
      if (writable) {
        existing.refs++;
        if ((req.flags & O.O_TRUNC) !== 0) await existing.queue.run(() => existing.handle.truncate(0));
      }
      return { fh: this.add({ ino: existing.ino, writable, append, reader: undefined, readerVersion: 0, client: req.client }), ino: existing.ino };
    }

    if (!writable && !creating) {
      const reader = await req.client.open(req.path, O.O_RDONLY);
      if (req.ino !== undefined && reader.inode !== req.ino) return this.stale(reader);
      this.identities.pin(req.client);
      const ino = reader.inode;
      const stats = await reader.stat(); // the attributes of the open, no round trip
      // The version this handle reads (page-versions.ts): every write changes the first chunk's stamp or the times.
      const version = `${stats.size}/${stats.mtimeMs}/${stats.ctimeMs}/${reader.firstChunkGen}`;
      const fh = this.add({ ino, writable, append, reader, readerVersion: this.version(ino), client: req.client });
      // The chunks the open brought that are on this machine are offered at once (before the
      // reply, as after a read): a small file's only READ is then answered on the fast path.
      if (this.fast !== undefined && !this.writers.has(ino)) {
        this.fast.offer(fh, ino, reader, 0, stats.size);
        // Its first chunk's replica located before the answer, within a bound: a datanode of
        // this machine that is slow to say where it is must not hold up the open.
        const located = this.locateAhead(fh, this.must(fh), reader, 0);
        if (located !== undefined) {
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([located, new Promise((resolve) => (timer = setTimeout(resolve, locateWaitMs)))]);
          clearTimeout(timer);
        }
      }
      return { fh, ino, stats, version };
    }

    // The SDK handle of a writer reads too (for readers of this mount); O_APPEND is per fh.
    const sdkFlags = O.O_RDWR | (req.flags & (O.O_CREAT | O.O_EXCL | O.O_TRUNC));
    // A file this creates is leased by its first write: a create closed unwritten costs one call.
    // Writes go behind: a refusal is the answer of a later write, or of close(2) (FLUSH) or fsync.
    const changeOpts = { leaseAtFirstWrite: true, writeBehind: true, ...(req.onChanged !== undefined && { onChanged: req.onChanged }), ...req.grant };
    const handle = await openWaitingForLease(() => req.client.open(req.path, sdkFlags, req.mode & 0o7777, changeOpts));
    if (req.ino !== undefined && handle.inode !== req.ino) return this.stale(handle);
    const ino = handle.inode;
    const raced = this.writers.get(ino);
    if (raced !== undefined && raced.closing === undefined) {
      // Created or opened concurrently by another caller of this mount: keep the first writer.
      await handle.close().catch(() => undefined);
      raced.refs++;
      return { fh: this.add({ ino, writable: true, append, reader: undefined, readerVersion: 0, client: req.client }), ino };
    }
    this.identities.pin(req.client);
    // Readers of this mount read through the writer from now on, not from what they were offered.
    this.fast?.withdrawInode(ino);
    this.writers.set(ino, { ino, handle, client: req.client, refs: 1, queue: new SerialQueue(), closing: undefined });
    const stats = await handle.stat(); // nothing written yet: the attributes of the open, no round trip
    // A create with O_RDONLY still takes the writer while the file is new; the fh itself reads only.
    return { fh: this.add({ ino, writable: true, append, reader: undefined, readerVersion: 0, client: req.client }), ino, stats };
  }

  /**
   * The writer of a file whose create this mount answered ahead (early-creates.ts): `handle`,
   * built without a namenode call. Returns its fh.
   */
  adoptCreated(client: CairnClient, handle: FileHandle, append: boolean): number {
    const ino = handle.inode;
    this.identities.pin(client);
    this.fast?.withdrawInode(ino);
    this.writers.set(ino, { ino, handle, client, refs: 1, queue: new SerialQueue(), closing: undefined });
    return this.add({ ino, writable: true, append, reader: undefined, readerVersion: 0, client });
  }

  async read(fh: number, out: Buffer, outOffset: number, length: number, position: number): Promise<number> {
    const file = this.must(fh);
    const writer = this.writers.get(file.ino);
    if (writer?.closing !== undefined) await writer.closing.catch(() => undefined);
    else if (writer !== undefined) {
      return writer.queue.run(async () => (await writer.handle.read(out, outOffset, length, position)).bytesRead);
    }
    const reader = await this.currentReader(file);
    if (file.readAhead === undefined || file.readAhead.handle !== reader) file.readAhead = new ReadAhead(reader);
    const n = await file.readAhead.read(out, outOffset, length, position);
    // Offer what was read locally to the reader threads, unless it went stale meanwhile.
    if (this.fast !== undefined && this.servesFast(fh, file, reader)) {
      this.fast.offer(fh, file.ino, reader, position, position + n);
      void this.locateAhead(fh, file, reader, Math.floor(position / reader.chunkSizeBytes));
    }
    return n;
  }

  /** Whether the fast path may serve `fh` from what `reader` read: it is still the handle's, and no writer changed the file since. */
  private servesFast(fh: number, file: OpenFile, reader: FileHandle): boolean {
    return this.files.get(fh) === file && file.reader === reader && file.readerVersion === this.version(file.ino) && !this.writers.has(file.ino);
  }

  /**
   * The fast path's reads of `fh` moved into chunk `index` (device.ts, main thread): the replicas
   * of the chunks after it are located ahead of them.
   */
  chunkReached(fh: number, index: number): void {
    const file = this.files.get(fh);
    if (file?.reader !== undefined && this.servesFast(fh, file, file.reader)) void this.locateAhead(fh, file, file.reader, index + 1);
  }

  /**
   * Locates this machine's replicas of the chunks from `index` on (`locateAheadBytes` of them)
   * that the reader knows and that were not located yet, in the background, and offers them to
   * the fast path once located; the returned promise settles when the first is (undefined: none
   * to locate). Without it, the
   * first READ of each chunk waited for the main thread to locate its replica (a datanode round
   * trip, an open, its checksums) while the read-ahead fetched 12 MiB through the SDK: in a cold
   * 1 GiB read, 2 READs per chunk of 2-19 ms each (docs/PERFORMANCE.md, session 16). Called at
   * the open, whenever the fast path's reads move into another chunk, and after each read the
   * fast path could not serve (which also brings the locations of chunks past the 64 the open
   * brought). Chunks are marked one by one, so that reading a file's end first, or going back,
   * still finds the chunks it skipped located ahead.
   */
  private locateAhead(fh: number, file: OpenFile, reader: FileHandle, index: number): Promise<void> | undefined {
    if (this.fast === undefined || reader.sizeBytes < locateMinBytes) return undefined;
    const chunkBytes = reader.chunkSizeBytes;
    const ahead = Math.min(locateAheadChunksMax, Math.max(locateAheadChunksMin, Math.ceil(locateAheadBytes / chunkBytes)));
    const end = Math.min(index + ahead, Math.ceil(reader.sizeBytes / chunkBytes));
    if (file.located?.reader !== reader) file.located = { reader, indexes: new Set() };
    const located = file.located.indexes;
    const wanted: number[] = [];
    for (let i = index; i < end; i++) {
      if (located.has(i) || !reader.knowsChunk(i)) continue;
      located.add(i);
      wanted.push(i);
    }
    const [first, ...rest] = wanted;
    if (first === undefined) return undefined;
    const offer = (from: number, to: number): void => {
      if (this.fast !== undefined && this.servesFast(fh, file, reader)) {
        this.fast.offer(fh, file.ino, reader, from * chunkBytes, Math.min(reader.sizeBytes, to * chunkBytes));
      }
    };
    // The first chunk alone first: an open waits for it (a reader's first READ follows at once).
    const firstLocated = reader.locateLocal([first]).then(() => offer(first, first + 1));
    const last = rest[rest.length - 1];
    if (last !== undefined) {
      void firstLocated
        .then(async () => {
          if (!this.servesFast(fh, file, reader)) return; // released, or a writer came: nothing to offer
          await reader.locateLocal(rest);
          offer(rest[0] as number, last + 1);
        })
        .catch(() => undefined); // never fails; a read finds out for itself
    }
    return firstLocated.catch(() => undefined);
  }

  /** Writes bytes the caller gives away (no copy; `retain` as FileHandle.writeOwned's); at the end of the file for O_APPEND. */
  async write(fh: number, data: Buffer, position: number, retain?: () => () => void): Promise<number> {
    const file = this.must(fh);
    const writer = this.writers.get(file.ino);
    if (!file.writable || writer === undefined) throw new CairnError('EBADF', 'not open for writing');
    return writer.queue.run(() => writer.handle.writeOwned(data, file.append ? writer.handle.sizeBytes : position, retain));
  }

  /**
   * close(2) of a descriptor: the writer's data committed. The commit also releases the lease
   * (the next write takes it again) and carries `setAttr` (FileHandle.flushReleasing); returns the
   * attributes after it when it did. `ahead`: the commit is work run ahead (early-closes.ts).
   */
  async flush(fh: number, setAttr?: AttrChanges, ahead?: CommitAhead): Promise<Stats | undefined> {
    const writer = this.writerOf(fh);
    if (writer === undefined) return undefined;
    return writer.queue.run(() => writer.handle.flushReleasing(setAttr, ahead));
  }

  /** The writer of `ino` on this mount, if it has one, is likely done for now: FileHandle.endAhead. */
  endAhead(ino: number): void {
    const writer = this.writers.get(ino);
    if (writer === undefined || writer.closing !== undefined) return;
    void writer.queue.run(async () => writer.handle.endAhead()).catch(() => undefined);
  }

  /** The SDK client whose handle writes the inode `fh` is open on, if it has a writer. */
  writerClient(fh: number): CairnClient | undefined {
    return this.writerOf(fh)?.client;
  }

  /**
   * fsync(2) of a descriptor: every chunk of the file on every replica's disk (the writer's here
   * committed first, with `setAttr` when there was an upload to commit: FileHandle.syncCarrying);
   * returns the attributes after that commit when there was one.
   */
  async fsync(fh: number, setAttr?: AttrChanges): Promise<Stats | undefined> {
    // Through any descriptor, read-only ones too: fsync(2) is of the file, not of the descriptor.
    const file = this.must(fh);
    const writer = this.writers.get(file.ino);
    if (writer !== undefined) return writer.queue.run(() => writer.handle.syncCarrying(setAttr));
    // No writer here: what others wrote and closed, perhaps without fsync, reaches the disks.
    await (await this.currentReader(file)).sync();
    return undefined;
  }

  /** The last close of an open file; never fails (the kernel ignores release errors). */
  release(fh: number): Promise<void> {
    const file = this.files.get(fh);
    if (file === undefined) return Promise.resolve();
    const { ino } = file;
    this.releasing.set(ino, (this.releasing.get(ino) ?? 0) + 1);
    const done = this.releaseNow(fh, file);
    void done
      .catch(() => undefined) // a failed close's error goes to the kernel, which ignores it
      .then(() => {
        const left = (this.releasing.get(ino) ?? 1) - 1;
        if (left > 0) this.releasing.set(ino, left);
        else this.releasing.delete(ino);
      });
    return done;
  }

  /**
   * Whether `ino` stays open on this mount once the releases the kernel already sent are done.
   * close(2) returns before its RELEASE is done (a writer's may still commit, and give back the
   * lease with a CloseFile call), so an unlink right after it (SQLite's journal, every
   * transaction) finds the file open: it must neither hide the file nor wait for that call.
   * Removed first, the file's CloseFile finds no inode, and its error is ignored.
   */
  openAfterReleases(ino: number): boolean {
    return (this.opensOf.get(ino) ?? 0) - (this.releasing.get(ino) ?? 0) > 0;
  }

  private async releaseNow(fh: number, file: OpenFile): Promise<void> {
    this.files.delete(fh);
    this.fast?.withdraw(fh);
    try {
      if (file.reader !== undefined) {
        await file.reader.close().catch(() => undefined);
        this.identities.unpin(file.client);
      }
      const writer = file.writable ? this.writers.get(file.ino) : undefined;
      if (writer === undefined || --writer.refs > 0) return;
      // Listed until closed, so that the mount keeps reporting the writer's size meanwhile.
      writer.closing = writer.queue.run(() => writer.handle.close());
      try {
        await writer.closing;
      } finally {
        if (this.writers.get(file.ino) === writer) this.writers.delete(file.ino);
        this.bumpVersion(file.ino);
        this.identities.unpin(writer.client);
      }
    } finally {
      const opens = (this.opensOf.get(file.ino) ?? 1) - 1;
      if (opens > 0) this.opensOf.set(file.ino, opens);
      else {
        this.opensOf.delete(file.ino);
        this.versions.delete(file.ino);
      }
    }
  }

  /** Size as this mount sees it (with unflushed writes), when the inode has a writer here. */
  sizeOf(ino: number): number | undefined {
    return this.writers.get(ino)?.handle.sizeBytes;
  }

  /** Whether any file handle of `ino` is open on this mount. */
  isOpen(ino: number): boolean {
    return this.opensOf.has(ino);
  }

  isWritable(fh: number): boolean {
    return this.files.get(fh)?.writable === true;
  }

  /** Whether `ino` has a writer on this mount that is not closing. */
  hasWriter(ino: number): boolean {
    const writer = this.writers.get(ino);
    return writer !== undefined && writer.closing === undefined;
  }

  /** Truncates through the mount's writer; false when the inode has none here. */
  async truncateOpen(ino: number, sizeBytes: number): Promise<boolean> {
    const writer = this.writers.get(ino);
    if (writer?.closing !== undefined) await writer.closing.catch(() => undefined);
    if (writer === undefined || writer.closing !== undefined) return false;
    await writer.queue.run(() => writer.handle.truncate(sizeBytes));
    return true;
  }

  /** The contents changed other than through a writer of this mount (a truncate by path). */
  bumpVersion(ino: number): void {
    this.fast?.withdrawInode(ino);
    if (this.opensOf.has(ino)) this.versions.set(ino, this.version(ino) + 1);
  }

  /** Flushes and closes every handle (unmount). */
  async closeAll(): Promise<void> {
    const fhs = [...this.files.keys()];
    for (const fh of fhs) await this.flush(fh).catch(() => undefined);
    await Promise.all(fhs.map((fh) => this.release(fh)));
  }

  private writerOf(fh: number): SharedWriter | undefined {
    const file = this.must(fh);
    return file.writable ? this.writers.get(file.ino) : undefined;
  }

  private async currentReader(file: OpenFile): Promise<FileHandle> {
    const current = file.reader;
    if (current !== undefined && file.readerVersion === this.version(file.ino)) return current;
    const path = this.pathOf(file.ino);
    if (path === undefined) {
      if (current !== undefined) return current;
      throw new CairnError('ENOENT', 'the file was removed');
    }
    const version = this.version(file.ino);
    const reader = await file.client.open(path, O.O_RDONLY);
    if (reader.inode !== file.ino) {
      await reader.close().catch(() => undefined);
      if (current !== undefined) return current;
      throw new CairnError('ENOENT', 'the file was replaced');
    }
    if (current !== undefined) await current.close().catch(() => undefined);
    else this.identities.pin(file.client);
    file.reader = reader;
    file.readerVersion = version;
    return reader;
  }

  private version(ino: number): number {
    return this.versions.get(ino) ?? 0;
  }

  private add(file: OpenFile): number {
    // Odd numbers for handles that only read: the reader threads answer their FLUSH (a no-op) alone.
    const fh = 2 * ++this.fhsGiven + (file.writable ? 0 : 1);
    this.files.set(fh, file);
    this.opensOf.set(file.ino, (this.opensOf.get(file.ino) ?? 0) + 1);
    return fh;
  }

  private must(fh: number): OpenFile {
    const file = this.files.get(fh);
    if (file === undefined) throw new CairnError('EBADF', `no open file ${fh}`);
    return file;
  }

  private async stale(handle: FileHandle): Promise<never> {
    await handle.close().catch(() => undefined);
    throw new StaleError();
  }
}

/**
 * The kernel sends RELEASE after close(2) has returned, so a writer that just closed the file
 * on another mount may still hold its lease for a moment: EBUSY is retried for up to
 * `leaseWaitMs` before it is the answer.
 */
const leaseWaitMs = 1000;

function openWaitingForLease(open: () => Promise<FileHandle>): Promise<FileHandle> {
  return retryWithBackoff(open, ['EBUSY'], Date.now() + leaseWaitMs, 10, 200);
}

/** The name now leads to another inode than the one the kernel holds: it looks up again. */
export class StaleError extends Error {
  constructor() {
    super('ESTALE');
  }
}
