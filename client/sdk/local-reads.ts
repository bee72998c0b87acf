// Short-circuit local reads, as HDFS's dfs.client.read.shortcircuit: when a replica is on this
// machine, the client reads its file itself instead of through the datanode's socket. A 4 KiB
// read then costs a pread and a checksum in this process, not two TCP hops through another
// process, which on a busy machine is most of the time of a small read.
//
// The datanode says where the replica's file is (LOCAL_REQUEST, after checking the chunk token
// and that the client is on its machine); the client opens it (it needs read permission, as
// the mount running as root has), keeps the descriptor, and verifies every 64 KiB window it reads
// against the checksums stored after the bytes (common/replica-file.ts), as the datanode would.
// Replicas never change once written (an update is a new version in a new file). A deleted
// replica's file may be emptied and reused for another (datanode/free-files.ts), so checksums are
// trusted only if the path still named the file after they were read (namesFile), and a kept
// descriptor reads a deleted replica only while its bytes still match them.
// A small replica (a small file, read once) is not located and kept: its file is found by name
// under the datanode's data directory, learnt from the first replica it located (readSmall).
// Anything unexpected (no permission, a checksum mismatch, a short file, a file gone) makes that
// read go over the network, where the datanode detects and reports a corrupt replica.

import { close as closeCallback, closeSync, existsSync, fstatSync, open as openCallback, openSync, read as readCallback } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { firstBadWindow, windowSpan } from '../../common/checksum.js';
import { lengthFromFileBytes, namesFile, readTrailer, readTrailerSync, readVerifiedSync, replicaRelativePath } from '../../common/replica-file.js';
import type { DataTransferPool } from '../../common/transfer.js';
import type { ChunkInfo__Output } from '../../proto/gen/cairn/ChunkInfo.js';

const openFd = promisify(openCallback);
const readFd = promisify(readCallback);

/** Descriptors kept open (each pins a replica file, deleted or not). */
const replicasMax = 256;
/** A replica unused this long is closed. */
const idleMs = 30_000;
/**
 * Smaller replicas are not kept open: a small file is usually read once, whole, and locating and
 * opening its replica through the datanode cost more than the one round trip it would save
 * (reading 1,000 files of 3 KB through the SDK: 1.1-1.4 ms a file through the datanode, 1.2-1.8
 * ms short-circuited that way). Each read opens, reads and closes its file instead, found by its
 * name under the datanode's data directory (see readSmall).
 */
const replicaBytesMin = 1024 * 1024;
/** After a datanode could not serve a local read, ask it again only after this long. */
const refusedMs = 60_000;

interface OpenReplica {
  fd: number;
  path: string;
  sums: number[];
  lengthBytes: number;
  users: number;
  lastUsedMs: number;
  evicted: boolean;
}

export class LocalReads {
  /** "address/chunkId_gen" -> the open replica (undefined: it cannot be read locally), least recently used first. */
  private readonly replicas = new Map<string, Promise<OpenReplica | undefined>>();
  /** The same replicas once open (for `where`, which cannot wait). */
  private readonly opened = new Map<string, OpenReplica>();
  private readonly refusedUntil = new Map<string, number>();
  /** Small reads not of whole windows read them through this (kept: a fresh buffer each read costs page faults). */
  private readonly scratch = { buf: Buffer.allocUnsafeSlow(0) };
  /** Each local datanode's data directory (by address), from the path of a replica it located. */
  private readonly dataDirs = new Map<string, string>();
  private readonly sweeper: NodeJS.Timeout;
  /** Reads served locally, and reads that fell back to the network (for tests and benchmarks). */
  readonly stats = { local: 0, fallbacks: 0 };

  constructor(private readonly pool: DataTransferPool) {
    this.sweeper = setInterval(() => this.sweep(), idleMs / 3);
    this.sweeper.unref();
  }

  /**
   * Reads [offset, offset + length) of the replica at `address` into `out` and returns true, if
   * the replica is on this machine and readable here; false otherwise (read it over the network).
   */
  async read(address: string, chunk: ChunkInfo__Output, offset: number, length: number, out: Buffer, outOffset: number, deadlineMs: number): Promise<boolean> {
    if (!this.readsFrom(address, Date.now())) return false;
    if (chunk.lengthBytes < replicaBytesMin) return this.readSmall(address, chunk, offset, length, out, outOffset, deadlineMs);
    const { key, entry, replica } = await this.openedReplica(address, chunk, deadlineMs);
    if (replica === undefined || replica.evicted) return false;
    replica.users++;
    replica.lastUsedMs = Date.now();
    try {
      if (!(await readVerified(replica, offset, length, out, outOffset).catch(() => false))) {
        this.forget(key, entry);
        this.stats.fallbacks++;
        return false;
      }
      this.stats.local++;
      return true;
    } finally {
      replica.users--;
      if (replica.evicted && replica.users === 0) closeCallback(replica.fd, () => undefined);
    }
  }

  /**
   * Locates and opens a replica of `chunk` on this machine, if it has one that is read that way
   * (a large one, on a datanode that did not refuse), without reading it: `where` then knows it.
   * For a reader about to stream through a file (the mount's fast path serves only chunks whose
   * replica is located already). Never fails; the first read finds out why it could not be.
   */
  async prepare(chunk: ChunkInfo__Output, deadlineMs: number): Promise<void> {
    if (chunk.lengthBytes < replicaBytesMin) return;
    const now = Date.now();
    const location = chunk.locations.find(({ address }) => this.readsFrom(address, now));
    if (location !== undefined) await this.openedReplica(location.address, chunk, deadlineMs);
  }

  /** Whether replicas on the datanode at `address` are read here: it is on this machine and has not refused lately. */
  private readsFrom(address: string, nowMs: number): boolean {
    return isThisMachine(address) && (this.refusedUntil.get(address) ?? 0) <= nowMs;
  }

  /**
   * The replica of `chunk` on `address`, opened (and located) now or before, as the most recently
   * used; undefined, and not kept, when it cannot be read here.
   */
  private async openedReplica(address: string, chunk: ChunkInfo__Output, deadlineMs: number): Promise<{ key: string; entry: Promise<OpenReplica | undefined>; replica: OpenReplica | undefined }> {
    const key = `${address}/${chunk.chunkId}_${chunk.gen}`;
    let entry = this.replicas.get(key);
    if (entry !== undefined) this.replicas.delete(key); // most recently used last
    entry ??= this.openReplica(address, chunk, deadlineMs);
    this.replicas.set(key, entry);
    this.trim();
    const replica = await entry;
    if (replica === undefined && this.replicas.get(key) === entry) this.replicas.delete(key);
    return { key, entry, replica };
  }

  /**
   * Where the file of a replica of `chunk` that this client already reads locally is, if any:
   * for a reader that wants to read it itself (the mount's reader threads). The file may be gone
   * by the time it is read (a newer version committed): the reader then asks the SDK.
   */
  where(chunk: ChunkInfo__Output): LocalReplica | undefined {
    for (const location of chunk.locations) {
      const replica = this.opened.get(`${location.address}/${chunk.chunkId}_${chunk.gen}`);
      if (replica !== undefined && !replica.evicted) return { path: replica.path, lengthBytes: replica.lengthBytes };
    }
    // A small replica: its file by name, on a datanode of this machine whose data directory is known (readSmall).
    if (chunk.lengthBytes >= replicaBytesMin) return undefined;
    const now = Date.now();
    for (const { address } of chunk.locations) {
      const dir = this.dataDirs.get(address);
      if (dir !== undefined && (this.refusedUntil.get(address) ?? 0) <= now) {
        return { path: path.join(dir, replicaRelativePath(chunk.chunkId, chunk.gen)), lengthBytes: chunk.lengthBytes };
      }
    }
    return undefined;
  }

  /**
   * A small replica, read from its file by name: the datanode's data directory (learnt once per
   * datanode, from a LOCAL_REQUEST) and the replica's name, which holds its version (an update is
   * a new file, so a name never shows other bytes). Opened, read and closed synchronously: a few
   * microseconds when the file is cached, against two hops through the datanode process; cold,
   * the disk read holds the event loop (as the mount's fast path does). A file that is gone (a
   * newer version was committed, or the datanode moved) or fails its checksums is read through
   * the datanode, which reports a corrupt replica.
   */
  private async readSmall(address: string, chunk: ChunkInfo__Output, offset: number, length: number, out: Buffer, outOffset: number, deadlineMs: number): Promise<boolean> {
    const dir = this.dataDirs.get(address) ?? (await this.learnDataDir(address, chunk, deadlineMs));
    if (dir === undefined) return false;
    const outcome = readReplicaFileSync(path.join(dir, replicaRelativePath(chunk.chunkId, chunk.gen)), chunk.lengthBytes, offset, length, out, outOffset, this.scratch);
    if (outcome === 'read') {
      this.stats.local++;
      return true;
    }
    if (outcome === 'missing' && this.dataDirs.get(address) === dir && !existsSync(path.join(dir, 'chunks'))) {
      // Not the replica gone (a newer version) but the directory: the datanode moved, or its files
      // are not visible from here. Its replicas go through it for a while, then it is asked again.
      this.dataDirs.delete(address);
      this.refusedUntil.set(address, Date.now() + refusedMs);
    }
    if (outcome === 'refused') this.refusedUntil.set(address, Date.now() + refusedMs); // e.g. no permission to read its files
    this.stats.fallbacks++;
    return false;
  }

  private async learnDataDir(address: string, chunk: ChunkInfo__Output, deadlineMs: number): Promise<string | undefined> {
    const where = await this.locate(address, chunk, deadlineMs);
    return where === undefined ? undefined : this.noteDataDir(address, chunk, where.path);
  }

  /** Where the datanode at `address` keeps the replica's file (LOCAL_REQUEST); undefined when it will not say. */
  private async locate(address: string, chunk: ChunkInfo__Output, deadlineMs: number): Promise<LocalReplica | undefined> {
    try {
      return await this.pool.locate(address, { chunkId: chunk.chunkId, gen: chunk.gen, token: chunk.token }, deadlineMs);
    } catch {
      this.refusedUntil.set(address, Date.now() + refusedMs); // an older datanode, or not ours after all
      return undefined;
    }
  }

  /** The data directory `file` (the replica of `chunk` on `address`) is in, remembered; undefined if its name is not the usual one. */
  private noteDataDir(address: string, chunk: ChunkInfo__Output, file: string): string | undefined {
    const name = `/${replicaRelativePath(chunk.chunkId, chunk.gen)}`;
    if (!file.endsWith(name)) return undefined;
    const dir = file.slice(0, -name.length);
    this.dataDirs.set(address, dir);
    return dir;
  }

  /** Closes every kept descriptor. */
  close(): void {
    clearInterval(this.sweeper);
    for (const [key, entry] of [...this.replicas]) this.forget(key, entry);
  }

  private async openReplica(address: string, chunk: ChunkInfo__Output, deadlineMs: number): Promise<OpenReplica | undefined> {
    const where = await this.locate(address, chunk, deadlineMs);
    if (where === undefined) return undefined;
    this.noteDataDir(address, chunk, where.path);
    let fd: number | undefined;
    try {
      fd = await openFd(where.path, 'r');
      const sums = await readTrailer(fd, where.lengthBytes);
      if (!namesFile(where.path, fd)) {
        // Deleted since it was located (its file may hold another replica by now): over the network.
        closeCallback(fd, () => undefined);
        return undefined;
      }
      const replica = { fd, path: where.path, sums, lengthBytes: where.lengthBytes, users: 0, lastUsedMs: Date.now(), evicted: false };
      this.opened.set(`${address}/${chunk.chunkId}_${chunk.gen}`, replica);
      return replica;
    } catch {
      if (fd !== undefined) closeCallback(fd, () => undefined);
      this.refusedUntil.set(address, Date.now() + refusedMs); // e.g. no permission to read its files
      return undefined;
    }
  }

  private trim(): void {
    while (this.replicas.size > replicasMax) {
      const [key, entry] = this.replicas.entries().next().value as [string, Promise<OpenReplica | undefined>];
      this.forget(key, entry);
    }
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, entry] of [...this.replicas]) {
      void entry.then((replica) => {
        if (replica !== undefined && replica.users === 0 && now - replica.lastUsedMs > idleMs) this.forget(key, entry);
      });
    }
  }

  /** Drops a replica; its descriptor closes once no read uses it. */
  private forget(key: string, entry: Promise<OpenReplica | undefined>): void {
    if (this.replicas.get(key) === entry) this.replicas.delete(key);
    void entry.then((replica) => {
      if (replica !== undefined && this.opened.get(key) === replica) this.opened.delete(key);
      if (replica === undefined || replica.evicted) return;
      replica.evicted = true;
      if (replica.users === 0) closeCallback(replica.fd, () => undefined);
    });
  }
}

/** Reads whole windows around the range, verifies them, and copies the range out; false on any mismatch. */
async function readVerified(replica: OpenReplica, offset: number, length: number, out: Buffer, outOffset: number): Promise<boolean> {
  const end = offset + length;
  if (end > replica.lengthBytes) return false;
  const { from, to } = windowSpan(offset, end, replica.lengthBytes);
  // A range of whole windows (a streaming read's) goes straight into `out`: no second buffer,
  // whose fresh pages cost more than the copy on a virtual machine; it is overwritten by the
  // caller's network read if it fails its checksums.
  const direct = from === offset && to === end;
  const buf = direct ? out.subarray(outOffset, outOffset + length) : Buffer.allocUnsafe(to - from);
  let ok = true;
  try {
    for (let got = 0; ok && got < buf.length; ) {
      const { bytesRead } = await readFd(replica.fd, buf, got, buf.length - got, from + got);
      if (bytesRead === 0) ok = false;
      got += bytesRead;
    }
  } catch {
    ok = false;
  }
  if (ok && firstBadWindow(buf, from, replica.sums) < 0) {
    if (!direct) buf.copy(out, outOffset, offset - from, end - from);
    return true;
  }
  // Not left in the caller's buffer: they may be another replica's bytes (a deleted replica's file is reused).
  if (direct) buf.fill(0);
  return false;
}

/**
 * Reads [offset, offset + length) of the replica file `file` (committed length `committedLength`)
 * into `out`, verified against its trailer (a range not of whole windows through `scratch`).
 * 'missing' when there is no such file, 'refused' when this process may not read it.
 */
function readReplicaFileSync(
  file: string,
  committedLength: number,
  offset: number,
  length: number,
  out: Buffer,
  outOffset: number,
  scratch: { buf: Buffer },
): 'read' | 'missing' | 'refused' | 'bad' {
  if (offset + length > committedLength) return 'bad';
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'missing' : code === 'EACCES' || code === 'EPERM' ? 'refused' : 'bad';
  }
  try {
    // A truncate keeps the replica and shortens the committed length: the file's own length,
    // from its size, says where its checksums are.
    const replicaLength = lengthFromFileBytes(fstatSync(fd).size);
    if (replicaLength === undefined || replicaLength < committedLength) return 'bad';
    const sums = readTrailerSync(fd, replicaLength);
    if (!readVerifiedSync(fd, replicaLength, sums, offset, length, out, outOffset, scratch)) return 'bad';
    // Checksums and bytes came from the file itself: they are this replica's if its name still
    // leads to the file after both were read (a deleted one's file may be another's by now).
    return namesFile(file, fd) ? 'read' : 'missing';
  } catch {
    return 'bad'; // a trailer that is not intact
  } finally {
    try {
      closeSync(fd);
    } catch {
      // nothing was written through it; what was read stands verified
    }
  }
}

/** Whether HOST:PORT names this machine (loopback, or one of its interfaces' addresses). */
function isThisMachine(address: string): boolean {
  const host = address.slice(0, address.lastIndexOf(':')).replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.startsWith('127.') || host === '::1') return true;
  localAddresses ??= new Set(
    Object.values(os.networkInterfaces())
      .flat()
      .map((i) => i?.address ?? ''),
  );
  return localAddresses.has(host);
}

/** A replica's file on this machine: its bytes, then their checksums (common/replica-file.ts). */
export interface LocalReplica {
  path: string;
  lengthBytes: number;
}

let localAddresses: Set<string> | undefined;
