// CairnClient: the SDK, shaped like node:fs/promises.
//
//   const fs = new CairnClient({ namenode: '127.0.0.1:9000', secret });
//   await fs.mkdir('/data', { recursive: true });
//   await fs.writeFile('/data/a.txt', 'hello');
//   const text = await fs.readFile('/data/a.txt', 'utf8');
//
// Paths are absolute. Errors are CairnErrors with `.code` set as node:fs sets it ('ENOENT'...).

import { randomUUID } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { CairnError } from '../../common/errors.js';
import { limits } from '../../common/limits.js';
import type { Identity } from '../../common/rpc.js';
import { DataTransferPool } from '../../common/transfer.js';
import type { FsckReply__Output } from '../../proto/gen/cairn/FsckReply.js';
import type { ChunkInfo__Output } from '../../proto/gen/cairn/ChunkInfo.js';
import type { OpenReply__Output } from '../../proto/gen/cairn/OpenReply.js';
import type { ReportReply__Output } from '../../proto/gen/cairn/ReportReply.js';
import type { StatfsReply__Output } from '../../proto/gen/cairn/StatfsReply.js';
import { ChunkStock } from './chunk-stock.js';
import { FileHandle } from './file-handle.js';
import { LocalReads } from './local-reads.js';
import { NamenodeClient, attrChangesToWire, reconnectWaitMsDefault, type AheadOptions, type AttrChanges, type SyncTracker, type WireAttr } from './namenode-client.js';

export type { AttrChanges };
import { Dirent, Stats } from './stats.js';

/** A create's request for the directory's grant and reserved inodes (client/fuse/early-creates.ts). */
export interface GrantOptions {
  wantGrant?: boolean;
  reserve?: number;
  /** Told what a create got: the grant's length (0: none) and the inodes reserved. */
  onGranted?: (granted: Granted) => void;
}

export interface Granted {
  leaseMs: number;
  grantMs: number;
  reservedFrom: number;
  reservedCount: number;
}

/**
 * What a change reports besides doing it, for callers that cache attributes (the FUSE mount):
 * the node it made (mkdir, symlink) or linked, and the directories whose entries it changed, with
 * their attributes after it (NFS's post-operation attributes). Called before the promise resolves.
 */
export interface ChangeOptions {
  onChanged?: (changed: Changed) => void;
}

export interface Changed {
  node?: Stats;
  dirs: Stats[];
}

function changedOf(node: WireAttr | undefined, dirs: WireAttr[]): Changed {
  return { ...(node !== undefined && { node: new Stats(node) }), dirs: dirs.map((d) => new Stats(d)) };
}

export interface CairnClientOptions {
  /** host:port of the namenode. */
  namenode: string;
  /** The cluster secret. */
  secret: string;
  /** Whose permissions apply (defaults: this process's). */
  uid?: number;
  gid?: number;
  /** Supplementary groups (default: this process's when uid and gid are, else none). */
  groups?: readonly number[];
  /** Every namenode call gives up after this long (default 30 s). */
  deadlineMs?: number;
  /**
   * How long a call waits for a namenode that refuses connections (restarting) before failing
   * ECONNREFUSED (default 10 s, at most `deadlineMs`). Once it has refused for this long, calls
   * fail at once until it answers again.
   */
  reconnectWaitMs?: number;
  /**
   * Who holds write leases (default: a fresh id per client). Clients given the same id share
   * their leases, as the identities of one FUSE mount do.
   */
  clientId?: string;
  /**
   * How namenode calls travel: 'frame' (default) uses the namenode's framed-TCP port when it
   * offers one, else gRPC; 'grpc' always uses gRPC.
   */
  transport?: 'frame' | 'grpc';
  /**
   * Short-circuit reads (default true): replicas on this machine are read from their files
   * directly, checksums verified here, when this process may read them (local-reads.ts).
   */
  localReads?: boolean;
  /** Shared by clients one syncNamespace() should cover (a mount's identities; default: this client's own). */
  syncTracker?: SyncTracker;
}

export interface ChunkLocation {
  index: number;
  offsetBytes: number;
  lengthBytes: number;
  chunkId: number;
  gen: number;
  datanodes: Array<{ id: string; address: string }>;
}

type OpenFlags = { readable: boolean; writable: boolean; create: boolean; exclusive: boolean; truncate: boolean; append: boolean };

const flagTable: Record<string, OpenFlags> = {
  r: { readable: true, writable: false, create: false, exclusive: false, truncate: false, append: false },
  'r+': { readable: true, writable: true, create: false, exclusive: false, truncate: false, append: false },
  w: { readable: false, writable: true, create: true, exclusive: false, truncate: true, append: false },
  wx: { readable: false, writable: true, create: true, exclusive: true, truncate: true, append: false },
  'w+': { readable: true, writable: true, create: true, exclusive: false, truncate: true, append: false },
  'wx+': { readable: true, writable: true, create: true, exclusive: true, truncate: true, append: false },
  a: { readable: false, writable: true, create: true, exclusive: false, truncate: false, append: true },
  ax: { readable: false, writable: true, create: true, exclusive: true, truncate: false, append: true },
  'a+': { readable: true, writable: true, create: true, exclusive: false, truncate: false, append: true },
  'ax+': { readable: true, writable: true, create: true, exclusive: true, truncate: false, append: true },
};
for (const [alias, real] of [['rs+', 'r+'], ['xw', 'wx'], ['xw+', 'wx+'], ['xa', 'ax'], ['xa+', 'ax+'], ['as', 'a'], ['as+', 'a+']] as const) {
  flagTable[alias] = flagTable[real] as OpenFlags;
}

/** open(2) flags from O_* bits (fs.constants): access mode, O_CREAT, O_EXCL, O_TRUNC, O_APPEND. */
function fromPosixFlags(bits: number): OpenFlags | undefined {
  const access = bits & 3;
  if (access === 3) return undefined;
  const writable = access !== fsConstants.O_RDONLY;
  const create = (bits & fsConstants.O_CREAT) !== 0;
  const truncate = (bits & fsConstants.O_TRUNC) !== 0;
  // O_TRUNC on a read-only open is unspecified by POSIX; Linux truncates, Cairn refuses (EINVAL).
  if ((create || truncate) && !writable) return undefined;
  return {
    readable: access !== fsConstants.O_WRONLY,
    writable,
    create,
    exclusive: create && (bits & fsConstants.O_EXCL) !== 0,
    truncate,
    append: (bits & fsConstants.O_APPEND) !== 0,
  };
}


const leaseRenewMs = 5_000;
/** Chunk locations a reader's open asks for (as FileHandle asks GetChunks for at a time). */
const chunksAtOpen = 64;
const readAheadPieces = 4;
/** The largest buffer a read stream hands its consumer (see createReadStream). */
const handOutBytes = 256 * 1024;

/**
 * The umask applied to default modes, as a process's umask applies to node:fs defaults: files
 * are created 0644 and directories 0755 unless the caller passes a mode (used as given).
 */
const defaultUmask = 0o022;
const defaultFileMode = 0o666 & ~defaultUmask;
const defaultDirMode = 0o777 & ~defaultUmask;

export class CairnClient {
  private readonly namenode: NamenodeClient;
  private readonly pool: DataTransferPool;
  /** New chunks handed out ahead, per replication (chunk-stock.ts). */
  private readonly stocks = new Map<number, ChunkStock>();
  private readonly local: LocalReads | undefined;
  private readonly writers = new Set<FileHandle>();
  private renewTimer: NodeJS.Timeout | undefined;
  private renewEveryMs = leaseRenewMs;
  private readonly deadlineMs: number;

  constructor(opts: CairnClientOptions) {
    if (typeof opts.secret !== 'string' || opts.secret === '') throw new CairnError('EINVAL', 'a cluster secret is required');
    const identity: Identity = {
      secret: opts.secret,
      uid: opts.uid ?? process.getuid?.() ?? 0,
      gid: opts.gid ?? process.getgid?.() ?? 0,
      groups: opts.groups ?? (opts.uid === undefined && opts.gid === undefined ? (process.getgroups?.() ?? []) : []),
      clientId: opts.clientId ?? `client-${randomUUID()}`,
    };
    this.deadlineMs = opts.deadlineMs ?? limits.rpcDeadlineMsDefault;
    const reconnectWaitMs = Math.min(this.deadlineMs, opts.reconnectWaitMs ?? reconnectWaitMsDefault);
    this.namenode = new NamenodeClient(opts.namenode, identity, this.deadlineMs, opts.transport ?? 'frame', opts.syncTracker, reconnectWaitMs);
    this.pool = new DataTransferPool(identity);
    this.local = opts.localReads === false ? undefined : new LocalReads(this.pool);
  }

  // ---- namespace -------------------------------------------------------------------------------

  async mkdir(path: string, opts: { recursive?: boolean; mode?: number } & ChangeOptions = {}): Promise<void> {
    const reply = await this.withPath(path, 'mkdir', () => this.namenode.mkdir({ path, mode: opts.mode ?? defaultDirMode, recursive: opts.recursive ?? false }));
    opts.onChanged?.(changedOf(reply.attr, reply.dirs));
  }

  async stat(path: string): Promise<Stats> {
    return new Stats(await this.withPath(path, 'stat', () => this.namenode.stat(path, true)));
  }

  async lstat(path: string): Promise<Stats> {
    return new Stats(await this.withPath(path, 'lstat', () => this.namenode.stat(path, false)));
  }

  /**
   * lstat of `path`, or, when its last component is not there, the directory that lacks it (its
   * version says whether a listing of it kept since is still complete: client/fuse/complete-dirs.ts).
   */
  async lstatOrParent(path: string): Promise<{ stats: Stats } | { parent: Stats }> {
    const found = await this.withPath(path, 'lstat', () => this.namenode.lstatOrParent(path));
    return 'attr' in found ? { stats: new Stats(found.attr) } : { parent: new Stats(found.parent) };
  }

  async exists(path: string): Promise<boolean> {
    try {
      await this.lstat(path);
      return true;
    } catch (err) {
      if ((err as CairnError).code === 'ENOENT') return false;
      throw err;
    }
  }

  readdir(path: string): Promise<string[]>;
  readdir(path: string, opts: { withFileTypes: true }): Promise<Dirent[]>;
  async readdir(path: string, opts: { withFileTypes?: boolean } = {}): Promise<string[] | Dirent[]> {
    const entries: Dirent[] = [];
    for await (const entry of this.readdirIterator(path)) entries.push(entry);
    return opts.withFileTypes === true ? entries : entries.map((e) => e.name);
  }

  /**
   * One page of a directory's entries in name order, from the first name after `startAfter`
   * ('' for the start); `more` says whether names follow the page.
   */
  async readdirPage(path: string, startAfter: string): Promise<{ entries: Dirent[]; more: boolean }> {
    const page = await this.withPath(path, 'scandir', () => this.namenode.readdir(path, startAfter));
    return { entries: page.entries.map((e) => new Dirent(e.name, path, new Stats(e.attr as NonNullable<typeof e.attr>))), more: page.more };
  }

  /** Every entry of a directory, a page at a time (for very large directories). */
  async *readdirIterator(path: string): AsyncGenerator<Dirent> {
    let after = '';
    for (;;) {
      const page = await this.withPath(path, 'scandir', () => this.namenode.readdir(path, after));
      for (const entry of page.entries) yield new Dirent(entry.name, path, new Stats(entry.attr as NonNullable<typeof entry.attr>));
      const last = page.entries[page.entries.length - 1];
      if (!page.more || last === undefined) return;
      after = last.name;
    }
  }

  async rename(oldPath: string, newPath: string, opts: ChangeOptions = {}): Promise<void> {
    const dirs = await this.withPath(oldPath, 'rename', () => this.namenode.rename(oldPath, newPath));
    opts.onChanged?.(changedOf(undefined, dirs));
  }

  /**
   * `expectIno`: remove the name only while it names that inode (ENOENT otherwise), so that the
   * call can be sent again after a lost connection without removing a file made since.
   * `ahead`, `onSent`: for a call of work run ahead (SyncTracker.runAhead).
   */
  async unlink(path: string, opts: ChangeOptions & AheadOptions & { expectIno?: number } = {}): Promise<void> {
    const dirs = await this.withPath(path, 'unlink', () => this.namenode.unlink(path, opts.expectIno, opts));
    opts.onChanged?.(changedOf(undefined, dirs));
  }

  async rmdir(path: string, opts: ChangeOptions = {}): Promise<void> {
    const dirs = await this.withPath(path, 'rmdir', () => this.namenode.rmdir(path));
    opts.onChanged?.(changedOf(undefined, dirs));
  }

  /** rm / rm -r / rm -f, like fs.rm. */
  async rm(path: string, opts: { recursive?: boolean; force?: boolean } = {}): Promise<void> {
    let stats: Stats;
    try {
      stats = await this.lstat(path);
    } catch (err) {
      if (opts.force === true && (err as CairnError).code === 'ENOENT') return;
      throw err;
    }
    if (!stats.isDirectory()) return this.unlink(path);
    if (opts.recursive !== true) throw new CairnError('EISDIR', 'is a directory (use recursive)', { path, syscall: 'rm' });
    for (const name of await this.readdir(path)) await this.rm(`${path.replace(/\/+$/, '')}/${name}`, opts);
    await this.rmdir(path);
  }

  async symlink(target: string, path: string, opts: ChangeOptions = {}): Promise<void> {
    const reply = await this.withPath(path, 'symlink', () => this.namenode.symlink(target, path));
    opts.onChanged?.(changedOf(reply.attr, reply.dirs));
  }

  async readlink(path: string): Promise<string> {
    return this.withPath(path, 'readlink', () => this.namenode.readlink(path));
  }

  async chmod(path: string, mode: number): Promise<void> {
    await this.withPath(path, 'chmod', () => this.namenode.setAttr({ path, follow: true, changes: { setMode: true, mode } }));
  }

  async chown(path: string, uid: number, gid: number): Promise<void> {
    await this.withPath(path, 'chown', () =>
      this.namenode.setAttr({ path, follow: true, changes: { setUid: uid >= 0, uid: Math.max(uid, 0), setGid: gid >= 0, gid: Math.max(gid, 0) } }),
    );
  }

  /** Times as Dates, or numbers of seconds (as node:fs takes them). */
  async utimes(path: string, atime: Date | number, mtime: Date | number): Promise<void> {
    const ms = (t: Date | number): number => Math.round(typeof t === 'number' ? t * 1000 : t.getTime());
    await this.withPath(path, 'utime', () =>
      this.namenode.setAttr({ path, follow: true, changes: { setAtime: true, atimeMs: ms(atime), setMtime: true, mtimeMs: ms(mtime) } }),
    );
  }

  /** A hard link `newPath` to the file or symlink at `existingPath` (not followed), like fs.link. */
  async link(existingPath: string, newPath: string, opts: ChangeOptions = {}): Promise<void> {
    const reply = await this.withPath(newPath, 'link', () => this.namenode.link(existingPath, newPath));
    opts.onChanged?.(changedOf(reply.attr, reply.dirs));
  }

  /**
   * Several attributes in one call (what chmod, chown and utimes do one at a time), on the
   * symlink itself when `follow` is false. Times are in ms. Returns the new attributes.
   * `expectIno`: change the file only while `path` names that inode (ESTALE, with nothing
   * changed, when it names another).
   */
  async setAttributes(path: string, changes: AttrChanges, opts: { follow?: boolean; expectIno?: number } = {}): Promise<Stats> {
    const req = { path, follow: opts.follow ?? true, changes: attrChangesToWire(changes), expectInode: opts.expectIno ?? 0 };
    return new Stats(await this.withPath(path, 'setattr', () => this.namenode.setAttr(req)));
  }

  // ---- extended attributes (follow symlinks unless `follow: false`, like lgetxattr) ----------

  async setxattr(path: string, name: string, value: Uint8Array | string, opts: { flag?: 'create' | 'replace'; follow?: boolean } = {}): Promise<void> {
    const bytes = typeof value === 'string' ? Buffer.from(value) : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    await this.withPath(path, 'setxattr', () =>
      this.namenode.setXattr({ path, name, value: bytes, follow: opts.follow ?? true, create: opts.flag === 'create', replace: opts.flag === 'replace' }),
    );
  }

  /** The value, or ENODATA. */
  getxattr(path: string, name: string, opts: { follow?: boolean } = {}): Promise<Buffer> {
    return this.withPath(path, 'getxattr', () => this.namenode.getXattr(path, name, opts.follow ?? true));
  }

  listxattr(path: string, opts: { follow?: boolean } = {}): Promise<string[]> {
    return this.withPath(path, 'listxattr', () => this.namenode.listXattr(path, opts.follow ?? true));
  }

  async removexattr(path: string, name: string, opts: { follow?: boolean } = {}): Promise<void> {
    await this.withPath(path, 'removexattr', () => this.namenode.removeXattr(path, name, opts.follow ?? true));
  }

  async setReplication(path: string, replication: number): Promise<void> {
    await this.withPath(path, 'setrep', () => this.namenode.setReplication(path, replication));
  }

  // ---- file data -------------------------------------------------------------------------------

  /**
   * Flags as node:fs takes them: a string ('r', 'w+', 'ax'...) or O_* bits from fs.constants.
   * `leaseAtFirstWrite` (the default; false to lease at once, as HDFS's create does): a file
   * this open creates is not leased until its first write or truncate (which take the lease),
   * so that creating a file is one call and closing it unwritten costs none; meanwhile another
   * writer may take the lease first, and that first write is then EBUSY (the mount's rule too).
   * `writeBehind`: a write that starts a chunk's upload does not wait for the namenode and the
   * pipeline; a refusal (EBUSY, ENOSPC...) is then the answer of a later write, flush or close.
   */
  async open(
    path: string,
    flags: string | number = 'r',
    mode = defaultFileMode,
    opts: { replication?: number; leaseAtFirstWrite?: boolean; writeBehind?: boolean } & ChangeOptions & GrantOptions = {},
  ): Promise<FileHandle> {
    const f = typeof flags === 'number' ? fromPosixFlags(flags) : flagTable[flags];
    if (f === undefined) throw new CairnError('EINVAL', `unknown open flags '${flags}'`, { path, syscall: 'open' });
    const leaseAtFirstWrite = opts.leaseAtFirstWrite ?? true;
    const grant = f.create && opts.onGranted !== undefined ? { wantGrant: opts.wantGrant ?? false, reserve: opts.reserve ?? 0 } : {};
    const reply = await this.withPath(path, 'open', () =>
      this.namenode.open({
        path,
        write: f.writable,
        create: f.create,
        exclusive: f.exclusive,
        truncate: f.truncate,
        mode: mode & 0o7777,
        replication: opts.replication ?? 0,
        chunks: f.writable ? 0 : chunksAtOpen, // a reader's first chunks come with the open
        leaseAtFirstWrite,
        ...grant,
      }),
    );
    const attr = reply.attr as NonNullable<typeof reply.attr>;
    if (reply.dirs.length > 0) opts.onChanged?.(changedOf(undefined, reply.dirs));
    if (f.create) opts.onGranted?.({ leaseMs: reply.leaseMs, grantMs: reply.grantMs, reservedFrom: reply.reservedFrom, reservedCount: reply.reservedCount });
    if (attr.type === 'DIRECTORY') throw new CairnError('EISDIR', undefined, { path, syscall: 'open' });
    const handle = this.newHandle(path, attr, {
      writable: f.writable,
      leased: f.writable && (!leaseAtFirstWrite || reply.leased),
      readable: f.readable,
      append: f.append,
      ...(reply.chunksGiven && { chunks: reply.chunks }),
      writeBehind: opts.writeBehind === true,
    });
    if (f.writable) this.trackWriter(handle, reply.leaseMs);
    return handle;
  }

  private newHandle(
    path: string,
    attr: WireAttr,
    o: { writable: boolean; leased: boolean; readable: boolean; append: boolean; chunks?: ChunkInfo__Output[]; writeBehind: boolean },
  ): FileHandle {
    return new FileHandle({
      namenode: this.namenode,
      pool: this.pool,
      ...(this.local !== undefined && { local: this.local }),
      path,
      attr,
      writable: o.writable,
      leased: o.leased,
      readable: o.readable,
      append: o.append,
      deadlineMs: this.deadlineMs,
      onClose: (h) => this.forgetWriter(h),
      ...(o.chunks !== undefined && { chunks: o.chunks }),
      ...(o.writeBehind && { writeBehind: true, stockFor: (replication: number) => this.stockFor(replication) }),
    });
  }

  /** Whether this client's namenode calls go over a framed connection that is up now (NamenodeClient.framed). */
  get framedNamenode(): boolean {
    return this.namenode.framed;
  }

  /**
   * The write handle of a file a mount answered a create of ahead of its namenode call
   * (client/fuse/early-creates.ts), built from the attributes the mount composed: not leased
   * (its first write takes the lease, as with `leaseAtFirstWrite`), writes going behind. Every
   * call it makes waits for the create (SyncTracker.runAhead), which is `createReserved`.
   */
  handleOfCreated(path: string, attr: WireAttr, leaseMs: number): FileHandle {
    const handle = this.newHandle(path, attr, { writable: true, leased: false, readable: true, append: false, writeBehind: true });
    this.trackWriter(handle, leaseMs);
    return handle;
  }

  /**
   * The namenode call of a create answered ahead: file `inode` (reserved earlier) named by the
   * last name of `path` in directory `parentInode`. Idempotent: sent again, it finds its file.
   */
  async createReserved(path: string, parentInode: number, inode: number, mode: number, opts: AheadOptions & ChangeOptions = {}): Promise<OpenReply__Output> {
    const reply = await this.withPath(path, 'open', () =>
      this.namenode.open(
        { path, write: true, create: true, exclusive: true, mode: mode & 0o7777, leaseAtFirstWrite: true, inode, parentInode },
        opts,
      ),
    );
    opts.onChanged?.(changedOf(reply.attr ?? undefined, reply.dirs));
    return reply;
  }

  private stockFor(replication: number): ChunkStock {
    let stock = this.stocks.get(replication);
    if (stock === undefined) {
      stock = new ChunkStock(this.namenode, replication);
      this.stocks.set(replication, stock);
    }
    return stock;
  }

  async readFile(path: string): Promise<Buffer>;
  async readFile(path: string, encoding: BufferEncoding | { encoding: BufferEncoding }): Promise<string>;
  async readFile(path: string, encoding?: BufferEncoding | { encoding?: BufferEncoding }): Promise<Buffer | string> {
    const handle = await this.open(path, 'r');
    try {
      const data = await handle.readFile();
      const enc = typeof encoding === 'string' ? encoding : encoding?.encoding;
      return enc === undefined ? data : data.toString(enc);
    } finally {
      await handle.close();
    }
  }

  async writeFile(
    path: string,
    data: string | Uint8Array,
    opts: { mode?: number; flag?: string; replication?: number; encoding?: BufferEncoding } = {},
  ): Promise<void> {
    const handle = await this.open(path, opts.flag ?? 'w', opts.mode ?? defaultFileMode, opts);
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data, opts.encoding ?? 'utf8') : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      // Chunk-sized slices: the upload keeps its slice until committed (no copy of the caller's data).
      await handle.writeOwned(bytes, null);
      await handle.close();
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw err;
    }
  }

  async appendFile(path: string, data: string | Uint8Array, opts: { mode?: number } = {}): Promise<void> {
    await this.writeFile(path, data, { ...opts, flag: 'a' });
  }

  async truncate(path: string, len = 0): Promise<void> {
    const handle = await this.open(path, 'r+');
    try {
      await handle.truncate(len);
    } finally {
      await handle.close();
    }
  }

  /** A Readable of the file's bytes [start, end] (end inclusive, like fs.createReadStream). */
  createReadStream(path: string, opts: { start?: number; end?: number; highWaterMark?: number } = {}): Readable {
    const pieceBytes = opts.highWaterMark ?? 4 * 1024 * 1024;
    if (!Number.isSafeInteger(pieceBytes) || pieceBytes < 1) throw new CairnError('EINVAL', `bad highWaterMark ${pieceBytes}`, { path, syscall: 'open' });
    const open = this.open(path, 'r');
    open.catch(() => undefined); // reported by the stream
    async function* pieces(): AsyncGenerator<Buffer> {
      const handle = await open;
      try {
        const end = Math.min(handle.sizeBytes, opts.end === undefined ? Infinity : opts.end + 1);
        // Several pieces read ahead (from different replicas and chunks at once) while the
        // consumer takes the current one; memory stays bounded by readAheadPieces x pieceBytes.
        // Each piece is read into one of a few buffers kept for the stream and handed out as
        // copies of at most handOutBytes: a fresh multi-megabyte buffer per piece is new memory
        // the kernel must fault in page by page, which on a virtual machine cost more than the
        // read itself (1 GiB cold: 290-630 MiB/s into fresh 8 MiB buffers, 900-950 into kept
        // ones copied out in small pieces, which malloc recycles).
        const spare: Buffer[] = [];
        let requested = opts.start ?? 0;
        // No buffer larger than the range itself (a small file read with the default 4 MiB).
        const bufferBytes = Math.max(1, Math.min(pieceBytes, end - requested));
        const readPiece = async (from: number, length: number): Promise<Buffer> => {
          const buf = (spare.pop() ?? Buffer.allocUnsafe(bufferBytes)).subarray(0, length);
          const { bytesRead } = await handle.read(buf, 0, length, from);
          if (bytesRead !== length) throw new CairnError('EIO', 'the file shrank while being read', { path });
          return buf;
        };
        const ahead: Array<Promise<Buffer>> = [];
        const fill = (): void => {
          while (ahead.length < readAheadPieces && requested < end) {
            const length = Math.min(bufferBytes, end - requested);
            const piece = readPiece(requested, length);
            piece.catch(() => undefined); // awaited in order below
            ahead.push(piece);
            requested += length;
          }
        };
        fill();
        while (ahead.length > 0) {
          const piece = await (ahead.shift() as Promise<Buffer>);
          const out: Buffer[] = [];
          for (let at = 0; at < piece.length; at += handOutBytes) out.push(Buffer.from(piece.subarray(at, at + handOutBytes)));
          spare.push(Buffer.from(piece.buffer, piece.byteOffset, bufferBytes));
          fill();
          yield* out;
        }
      } finally {
        await handle.close();
      }
    }
    return Readable.from(pieces(), { objectMode: false, highWaterMark: pieceBytes });
  }

  /** A Writable into the file (flags 'w' by default); 'finish' once every byte is committed. */
  createWriteStream(path: string, opts: { flags?: string; mode?: number; replication?: number } = {}): Writable {
    let handle: FileHandle | undefined;
    const ready = (): Promise<FileHandle> =>
      handle !== undefined ? Promise.resolve(handle) : this.open(path, opts.flags ?? 'w', opts.mode ?? defaultFileMode, opts).then((h) => (handle = h));
    return new Writable({
      highWaterMark: 4 * 1024 * 1024,
      write(chunk: Buffer, _encoding, callback) {
        ready()
          .then((h) => h.writeOwned(chunk, null))
          .then(() => callback(), callback);
      },
      writev(chunks, callback) {
        ready()
          .then(async (h) => {
            // One at a time rather than concatenated: no copy of the caller's bytes.
            for (const { chunk } of chunks) await h.writeOwned(chunk as Buffer, null);
          })
          .then(() => callback(), callback);
      },
      final(callback) {
        ready()
          .then((h) => h.close())
          .then(() => callback(), callback);
      },
      destroy(err, callback) {
        if (handle === undefined) return callback(err);
        handle.close().then(
          () => callback(err),
          (closeErr: unknown) => callback(err ?? (closeErr as Error)),
        );
      },
    });
  }

  /** Which datanodes hold which byte ranges of a file (for locality-aware compute). */
  async getChunkLocations(path: string): Promise<ChunkLocation[]> {
    const attr = await this.withPath(path, 'stat', () => this.namenode.stat(path, true));
    if (attr.type !== 'FILE') throw new CairnError('EISDIR', 'not a regular file', { path });
    const out: ChunkLocation[] = [];
    await this.withPath(path, 'locations', async () => {
      for await (const reply of this.namenode.chunkPages(attr.inode)) {
        for (const chunk of reply.chunks) {
          const offsetBytes = chunk.index * reply.chunkSizeBytes;
          out.push({
            index: chunk.index,
            offsetBytes,
            lengthBytes: Math.max(0, Math.min(chunk.lengthBytes, reply.sizeBytes - offsetBytes)),
            chunkId: chunk.chunkId,
            gen: chunk.gen,
            datanodes: chunk.locations.map((l) => ({ id: l.id, address: l.address })),
          });
        }
      }
    });
    return out;
  }

  // ---- cluster ---------------------------------------------------------------------------------

  fsck(path = '/'): Promise<FsckReply__Output> {
    return this.withPath(path, 'fsck', () => this.namenode.fsck(path));
  }

  /** Connections to datanodes opened, and operations that reused a kept one, so far. */
  get dataConnections(): { connects: number; reuses: number } {
    return { ...this.pool.stats };
  }

  /** Chunk reads served from replica files on this machine, and ones that fell back to a datanode. */
  get localReads(): { local: number; fallbacks: number } {
    return { ...(this.local?.stats ?? { local: 0, fallbacks: 0 }) };
  }

  /**
   * Makes every namespace change acknowledged so far (creates, renames, removes...) durable on
   * the namenode's disk, as sync(2) or an fsync of a directory does. File data is synced by
   * FileHandle.sync().
   */
  async syncNamespace(): Promise<void> {
    await this.namenode.sync();
  }

  /** The cluster's raw capacity and free space over its live datanodes. */
  statfs(): Promise<StatfsReply__Output> {
    return this.namenode.statfs();
  }

  report(): Promise<ReportReply__Output> {
    return this.namenode.report();
  }

  /** Moves every replica off a datanode (root only); `report()` shows its progress. */
  decommission(datanodeId: string): Promise<void> {
    return this.namenode.decommission(datanodeId);
  }

  /** Closes open handles and channels. */
  async close(): Promise<void> {
    for (const handle of [...this.writers]) await handle.close().catch(() => undefined);
    if (this.renewTimer !== undefined) clearInterval(this.renewTimer);
    this.pool.close();
    this.local?.close();
    this.namenode.shutdown();
  }

  /** Renews this client's leases every third of the namenode's lease time (at most every 5 s). */
  private trackWriter(handle: FileHandle, leaseMs: number): void {
    this.writers.add(handle);
    const everyMs = Math.max(50, Math.min(leaseRenewMs, Math.floor((leaseMs || leaseRenewMs * 3) / 3)));
    if (this.renewTimer !== undefined && everyMs < this.renewEveryMs) {
      clearInterval(this.renewTimer);
      this.renewTimer = undefined;
    }
    this.renewEveryMs = Math.min(this.renewEveryMs, everyMs);
    this.renewTimer ??= setInterval(() => {
      this.namenode.renewLease().catch(() => undefined);
    }, this.renewEveryMs).unref();
  }

  private forgetWriter(handle: FileHandle): void {
    this.writers.delete(handle);
    if (this.writers.size === 0 && this.renewTimer !== undefined) {
      clearInterval(this.renewTimer);
      this.renewTimer = undefined;
    }
  }

  private async withPath<T>(path: string, syscall: string, fn: () => Promise<T>): Promise<T> {
    if (typeof path !== 'string') throw new CairnError('EINVAL', 'path must be a string', { syscall });
    try {
      return await fn();
    } catch (err) {
      if (err instanceof CairnError && err.path === undefined) throw err.withPath(path, syscall);
      throw err;
    }
  }
}
