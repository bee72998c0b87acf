// The file system a mount serves: each FUSE request turned into SDK calls made as the calling
// process's uid/gid, and its answer (or errno) into a reply.
//
// What it guarantees:
// - Every request is answered within `timeoutMs` (EIO after it), whatever the cluster does, so
//   a process using the mount never hangs in the kernel. A namenode that refuses connections
//   is retried until then, so a restart within the timeout is invisible.
// - Errors are POSIX errnos from the CairnError codes; failures of the cluster (unreachable,
//   timed out, bad credentials) are EIO.
// - Close-to-open: every open fetches the file's attributes from the namenode and makes the
//   kernel drop the ones it cached (FUSE_NOTIFY_INVAL_INODE), and the kernel drops its cached
//   pages at every open; otherwise the kernel and the mount (attr-cache.ts) keep attributes for
//   up to `cacheMs`.
//   Names, and the attributes of directories and symlinks, are cached by the kernel for
//   `cacheMs`. Missing names are never cached, so a file created elsewhere is visible at once.

// The operations themselves are in ops-names.ts (names and attributes), ops-data.ts (file
// data) and ops-meta.ts (directories, statfs, extended attributes); this file holds the session
// and what they share.

import { constants as O } from 'node:fs';
import { hasSuidgid, withoutSuidgid } from '../../common/attr-changes.js';
import { CairnError, errnoCodes } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { Stats } from '../sdk/stats.js';
import type { AttrChanges, CairnClient, Changed } from '../sdk/client.js';
import { AttrCache } from './attr-cache.js';
import { CompleteDirs, type NameEdit } from './complete-dirs.js';
import { DirListings } from './dir-listings.js';
import { Errno, ENOSYS, ESTALE } from './errno.js';
import { FastLookups, monotonicMs, type LookedUp, type ReaderMessage } from './fast-lookups.js';
import { FastReads } from './fast-reads.js';
import { PageVersions } from './page-versions.js';
import { supplementaryGroups, type Identities } from './identities.js';
import { NodeTable } from './nodes.js';
import { OpenFiles, StaleError } from './open-files.js';
import { CreateGrants, NamesAhead, type HeldGrant } from './early-creates.js';
import { answeredAhead, commitAhead, mayCloseAhead } from './early-closes.js';
import { create, open, read, write } from './ops-data.js';
import { getxattr, listxattr, opendir, readdir, readdirplus, setxattr, statfs, type OpenDir } from './ops-meta.js';
import { access, getattr, link, lookup, mkdir, mknod, remove, removeHidden, rename, setattr, symlink } from './ops-names.js';
import { PendingAttrs } from './pending-attrs.js';
import * as P from './protocol.js';

export interface CairnFsOptions {
  identities: Identities;
  /** Every request is answered within this long. */
  timeoutMs: number;
  /** How long the kernel may cache names and the attributes of directories and symlinks. */
  cacheMs: number;
  /** Largest write request (the kernel sends up to this many bytes at once). */
  maxWriteBytes: number;
  log: Logger;
  /** Answer unlinks this mount can foresee before their namenode call (early-unlinks.ts). */
  unlinksAhead?: boolean;
  /** Answer creates in directories granted to this mount before their namenode call (early-creates.ts). */
  createsAhead?: boolean;
  /** Answer closes once their commit is written to the namenode's connection (early-closes.ts). */
  closesAhead?: boolean;
}

/** Sends replies; device.ts implements it over /dev/fuse. */
export interface ReplySink {
  reply(unique: bigint, errno: number, payload?: Buffer): void;
  replyInPlace(unique: bigint, out: Buffer): void;
  /** What the fast path may answer (fast-path.ts, fast-reads.ts, fast-lookups.ts); absent: nothing. */
  toReaders?(msg: ReaderMessage): void;
  /** Makes the kernel drop its cached attributes of an inode; absent: it never caches a file's. */
  forgetAttrs?(ino: number): void;
}

/** A reply payload, or a buffer already laid out (header space, then payload). */
export type Reply = Buffer | { inPlace: Buffer } | undefined;

const noReply = new Set<number>([P.op.FORGET, P.op.BATCH_FORGET, P.op.INTERRUPT]);
/** Requests that add or remove names in the directory they are sent for (and RENAME's target directory). */
const namingOps = new Set<number>([P.op.CREATE, P.op.MKNOD, P.op.MKDIR, P.op.SYMLINK, P.op.LINK, P.op.UNLINK, P.op.RMDIR, P.op.RENAME, P.op.RENAME2]);
const fileTypeBits = O.S_IFMT;

export class CairnFs {
  readonly nodes = new NodeTable();
  readonly files: OpenFiles;
  readonly attrs: AttrCache;
  readonly pending = new PendingAttrs();
  /** Which version of each file the kernel's page cache holds (page-versions.ts). */
  readonly pageVersions = new PageVersions();
  /** Pages of directory listings, to answer lookups from (dir-listings.ts). */
  readonly listings: DirListings;
  /** The same pages handed to the fast path (fast-lookups.ts), when there are any. */
  private readonly fastLookups: FastLookups | undefined;
  /** Directories whose every name this mount knows, to answer absent names alone (complete-dirs.ts). */
  readonly complete: CompleteDirs;
  /** Directories granted to this mount, and its reserved inode numbers (early-creates.ts). */
  readonly createGrants = new CreateGrants();
  /** Names and files with a create or unlink answered ahead on its way (early-creates.ts). */
  readonly namesAhead = new NamesAhead();
  /** Files this mount created ahead, and the grant they were created under, until their last release (early-closes.ts). */
  readonly createdAhead = new Map<number, { parent: number; grant: HeldGrant }>();
  /** Closes answered ahead of their commit (early-closes.ts), until it and what follows it settled. */
  private readonly closesAhead = new Map<number, Promise<void>>();
  /** RELEASEs on their way, until settled. */
  private readonly releases = new Map<number, Promise<void>>();
  /** Files unlinked while open here, kept under a hidden name until their last close. */
  readonly hidden = new Map<number, { parent: number; name: string; client: CairnClient }>();
  /** The attribute cache's epoch when each request began (attr-cache.ts). */
  private readonly began = new WeakMap<P.FuseRequest, number>();
  /** Files written or cut through this mount since the kernel last dropped their attributes (kernelForgets). */
  private readonly writtenUnforgotten = new Set<number>();
  private readonly inflight = new Map<bigint, { opcode: number; startMs: number }>();
  private readonly sweeper: NodeJS.Timeout;
  private initDone: () => void = () => undefined;
  /** Resolves once the kernel's INIT is answered (the mount is usable). */
  readonly ready = new Promise<void>((resolve) => (this.initDone = resolve));
  readonly dirs = new Map<number, OpenDir>();
  nextDirFh = 1;
  /** Set once unmounting began: no more creates, unlinks or closes answered ahead (early-*.ts). */
  closing = false;
  /** When unmounting began (Date.now() ms), once it has. */
  closingSinceMs: number | undefined;

  constructor(
    readonly o: CairnFsOptions,
    private readonly sink: ReplySink,
  ) {
    const fast = sink.toReaders !== undefined ? new FastReads((msg) => sink.toReaders?.(msg)) : undefined;
    this.files = new OpenFiles(o.identities, (ino) => this.nodes.path(ino), fast);
    this.attrs = new AttrCache(o.cacheMs);
    this.fastLookups =
      sink.toReaders !== undefined ? new FastLookups((msg) => sink.toReaders?.(msg), o.cacheMs, (s) => this.entryPayload(s)) : undefined;
    this.listings = new DirListings(o.cacheMs, undefined, this.fastLookups);
    this.complete = new CompleteDirs(o.cacheMs);
    this.sweeper = setInterval(() => {
      this.answerOverdue();
      this.listings.sweep(Date.now());
      this.complete.sweep(monotonicMs());
      this.createGrants.sweep(monotonicMs());
      this.fastLookups?.sweep();
    }, Math.min(1000, Math.max(50, o.timeoutMs / 10)));
    this.sweeper.unref();
  }

  /** Entry point for every request read from the device. */
  handle(req: P.FuseRequest): void {
    if (noReply.has(req.opcode)) {
      this.forgetting(req);
      req.release?.(); // a large BATCH_FORGET's buffer: read, not kept
      return;
    }
    this.inflight.set(req.unique, { opcode: req.opcode, startMs: performance.now() });
    this.began.set(req, this.attrs.epoch);
    this.dispatch(req)
      .then(
        (reply) => this.answer(req, 0, reply),
        (err: unknown) => {
          // A failed change may still have happened (a timeout): its directories' names are no longer known.
          if (namingOps.has(req.opcode)) {
            this.complete.forget(req.nodeid);
            if (req.opcode === P.op.RENAME || req.opcode === P.op.RENAME2) this.complete.forget(Number(req.body.readBigUInt64LE(0)));
          }
          this.answer(req, this.errnoOf(err, req), undefined);
        },
      )
      // Handled (even if answered EIO on a timeout before): the request no longer reads its buffer.
      .finally(() => req.release?.());
  }

  /** Flushes and closes everything (before unmounting). */
  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.closing = true;
    this.closingSinceMs = Date.now();
    await this.files.closeAll();
    await this.o.identities.tracker.settledAhead();
    await Promise.all(this.closesAhead.values());
    for (const ino of this.pending.inodes()) await this.sendPending(ino, undefined).catch(() => undefined);
  }

  private answer(req: P.FuseRequest, errno: number, reply: Reply): void {
    const started = this.inflight.get(req.unique);
    if (started === undefined) return; // answered EIO already (timed out)
    this.inflight.delete(req.unique);
    if (this.o.log.isLevelEnabled('trace')) {
      this.o.log.trace({ op: P.opNames[req.opcode] ?? req.opcode, node: req.nodeid, errno, ms: Math.round((performance.now() - started.startMs) * 100) / 100 }, 'fuse');
    }
    if (errno !== 0) return this.sink.reply(req.unique, errno);
    if (reply !== undefined && !Buffer.isBuffer(reply)) return this.sink.replyInPlace(req.unique, reply.inPlace);
    this.sink.reply(req.unique, 0, reply);
  }

  private answerOverdue(): void {
    const now = performance.now(); // monotonic, as the requests' start times
    for (const [unique, { opcode, startMs }] of this.inflight) {
      if (now - startMs < this.o.timeoutMs) continue;
      this.inflight.delete(unique);
      this.o.log.warn({ op: P.opNames[opcode] ?? opcode, ms: now - startMs }, 'request timed out: EIO');
      this.sink.reply(unique, errnoCodes.EIO.errno);
    }
  }

  private errnoOf(err: unknown, req: P.FuseRequest): number {
    if (err instanceof Errno) return err.errno;
    if (err instanceof StaleError) return ESTALE;
    if (err instanceof CairnError) {
      switch (err.code) {
        case 'ETIMEDOUT':
        case 'ECONNREFUSED':
        case 'EAUTH':
        case 'EAGAIN':
          this.o.log.warn({ op: P.opNames[req.opcode], err: err.message }, 'cluster unavailable: EIO');
          return errnoCodes.EIO.errno;
        default:
          if (err.code === 'EIO') this.o.log.warn({ op: P.opNames[req.opcode], err: err.message }, 'EIO');
          return err.errno;
      }
    }
    this.o.log.error({ err, op: P.opNames[req.opcode] }, 'unexpected error in a FUSE request');
    return errnoCodes.EIO.errno;
  }

  /**
   * Calls `fn` again while the namenode refuses connections (a restart), until the request's
   * time is nearly up; the watchdog answers EIO at `timeoutMs` if the last try is still running.
   */
  async retrying<T>(fn: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.o.timeoutMs - 50;
    for (let delayMs = 100; ; delayMs = Math.min(delayMs * 2, 1000)) {
      try {
        return await fn(); // a namenode back is noted by the client that connects to it
      } catch (err) {
        const unavailable = err instanceof CairnError && err.code === 'ECONNREFUSED';
        if (!unavailable) throw err;
        // Once the namenode has refused everything for a whole timeout, later requests fail at
        // once until it answers again: the kernel runs operations on one directory one at a time,
        // and each waiting its own timeout would add up (a restart within the timeout is still
        // invisible).
        const refusals = this.o.identities.refusals;
        // Failed at once by a client that knows the outage is that old: not a new refusal to note
        // (noting it would keep the outage going after the namenode is back).
        if (refusals.refusingFor(this.o.timeoutMs - 50)) throw err;
        const leftMs = refusals.refused(this.o.timeoutMs - 50, deadline);
        if (leftMs <= 0) throw err;
        await new Promise((resolve) => setTimeout(resolve, Math.min(delayMs, leftMs)));
      }
    }
  }

  /** The client acting as the request's caller: its uid, gid and (but for root) supplementary groups. */
  caller(req: P.FuseRequest): CairnClient {
    if (req.uid === 0) return this.o.identities.get(0, req.gid);
    return this.o.identities.get(req.uid, req.gid, supplementaryGroups(req.pid));
  }

  get root(): CairnClient {
    return this.o.identities.root;
  }

  private async dispatch(req: P.FuseRequest): Promise<Reply> {
    switch (req.opcode) {
      case P.op.INIT:
        return this.init(req);
      case P.op.LOOKUP:
        return lookup(this, req);
      case P.op.GETATTR:
        return getattr(this, req);
      case P.op.ACCESS:
        return access(this, req);
      case P.op.SETATTR:
        return setattr(this, req);
      case P.op.READLINK:
        return Buffer.from(await this.retrying(() => this.root.readlink(this.pathOf(req.nodeid))));
      case P.op.MKDIR:
        return mkdir(this, req);
      case P.op.MKNOD:
        return mknod(this, req);
      case P.op.SYMLINK:
        return symlink(this, req);
      case P.op.LINK:
        return link(this, req);
      case P.op.UNLINK:
      case P.op.RMDIR:
        return remove(this, req);
      case P.op.RENAME:
      case P.op.RENAME2:
        return rename(this, req);
      case P.op.OPEN:
        return open(this, req);
      case P.op.CREATE:
        return create(this, req);
      case P.op.READ:
        return read(this, req);
      case P.op.WRITE:
        return write(this, req);
      case P.op.FLUSH:
      case P.op.FSYNC: {
        const fh = P.fhOf(req.body);
        const fsync = req.opcode === P.op.FSYNC;
        if (fsync || !(await mayCloseAhead(this, req, fh))) {
          await this.flushCarrying(fh, req, fsync, (carry) => (fsync ? this.files.fsync(fh, carry) : this.files.flush(fh, carry)));
          return undefined;
        }
        let onSent = (): void => undefined;
        const sent = new Promise<void>((resolve) => (onSent = resolve));
        const flushing = this.flushCarrying(fh, req, false, (carry) => commitAhead(this, req.nodeid, fh, carry, onSent));
        chainPerInode(this.closesAhead, req.nodeid, flushing);
        await answeredAhead(this, req.nodeid, flushing, sent);
        return undefined;
      }
      case P.op.RELEASE: {
        // A SETATTR of the file sent after it waits for it (releasing): the changes it sends
        // were made before that one, and must not land after it.
        const done = this.release(req);
        chainPerInode(this.releases, req.nodeid, done);
        return done;
      }
      case P.op.OPENDIR:
        return opendir(this, req);
      case P.op.READDIR:
        return readdir(this, req);
      case P.op.READDIRPLUS:
        return readdirplus(this, req);
      case P.op.RELEASEDIR:
        this.dirs.delete(P.fhOf(req.body));
        return undefined;
      case P.op.FSYNCDIR:
        await this.retrying(() => this.root.syncNamespace()); // names in the directory reach the namenode's disk
        return undefined;
      case P.op.STATFS:
        return statfs(this);
      case P.op.SETXATTR:
        return setxattr(this, req);
      case P.op.GETXATTR:
        return getxattr(this, req);
      case P.op.LISTXATTR:
        return listxattr(this, req);
      case P.op.REMOVEXATTR:
        await this.retrying(() => this.caller(req).removexattr(this.pathOf(req.nodeid), P.cStrings(req.body, 1)[0] as string, { follow: false }));
        this.invalidate(req, req.nodeid);
        return undefined;
      case P.op.DESTROY:
        return undefined;
      default:
        // Locks stay local to this kernel.
        throw new Errno(ENOSYS);
    }
  }

  // ---- session --------------------------------------------------------------------------------

  private init(req: P.FuseRequest): Buffer {
    const kernel = P.parseInit(req.body);
    if (kernel.major !== P.protocolMajor) throw new Errno(errnoCodes.EINVAL.errno);
    // HANDLE_KILLPRIV_V2: the mount clears setuid and setgid where the kernel says (ops-names.ts
    // setattr, ops-data.ts open and write); in exchange the kernel marks the mount's files as
    // needing no check before each write (SB_NOSEC), which otherwise cost a GETXATTR of
    // security.capability per write(2) and a GETATTR before every chown.
    const want =
      P.initFlags.ASYNC_READ |
      P.initFlags.ATOMIC_O_TRUNC |
      P.initFlags.BIG_WRITES |
      P.initFlags.PARALLEL_DIROPS |
      P.initFlags.MAX_PAGES |
      P.initFlags.HANDLE_KILLPRIV_V2 |
      P.initFlags.DO_READDIRPLUS |
      P.initFlags.READDIRPLUS_AUTO;
    const pageBytes = 4096;
    this.o.log.debug({ kernelMinor: kernel.minor, kernelFlags: kernel.flags.toString(16) }, 'FUSE init');
    this.initDone();
    return P.initOut({
      minor: Math.min(kernel.minor, P.protocolMinorMax),
      maxReadaheadBytes: Math.min(kernel.maxReadaheadBytes, this.o.maxWriteBytes),
      flags: kernel.flags & want,
      maxBackground: 64,
      congestionThreshold: 48,
      maxWriteBytes: this.o.maxWriteBytes,
      timeGranularityNs: 1_000_000, // times are kept in ms
      maxPages: Math.ceil(this.o.maxWriteBytes / pageBytes),
    });
  }

  private forgetting(req: P.FuseRequest): void {
    if (req.opcode === P.op.FORGET) {
      this.nodes.forget(req.nodeid, Number(req.body.readBigUInt64LE(0)));
    } else if (req.opcode === P.op.BATCH_FORGET) {
      const count = req.body.readUInt32LE(0);
      for (let i = 0; i < count; i++) {
        const at = 8 + i * 16;
        this.nodes.forget(Number(req.body.readBigUInt64LE(at)), Number(req.body.readBigUInt64LE(at + 8)));
      }
    }
  }

  // ---- names and attributes -------------------------------------------------------------------

  pathOf(nodeid: number): string {
    const path = this.nodes.path(nodeid);
    if (path === undefined) throw new CairnError('ENOENT', `node ${nodeid} has no name any more`);
    return path;
  }

  childPath(parent: number, name: string): string {
    const path = this.nodes.childPath(parent, name);
    if (path === undefined) throw new CairnError('ENOENT', `directory node ${parent} has no name any more`);
    return path;
  }

  /** Drops cached attributes a request is changing; what the request fetches afterwards may be kept. */
  invalidate(req: P.FuseRequest, ...inos: number[]): void {
    this.attrs.invalidate(...inos);
    this.listings.inodesChanged(inos);
    this.began.set(req, this.attrs.epoch);
  }

  /**
   * Fetches, in the background, the page of `dir`'s listing after `name` (lookups in it are
   * running through its names in order: dir-listings.ts).
   */
  statahead(dir: number, name: string): void {
    const path = this.nodes.path(dir);
    if (path === undefined) return this.listings.failed(dir);
    const since = this.listings.begin();
    this.root.readdirPage(path, name).then(
      (page) => this.listings.put(dir, page.entries.map((e): [string, Stats] => [e.name, e.stats]), since, Date.now()),
      () => this.listings.failed(dir),
    );
  }

  /**
   * A change this request made: drops the cached attributes of `inos` and of the directories it
   * changed, then keeps those directories' attributes as the namenode gave them after the change
   * (post-operation attributes: the kernel asks for them next), unless another change through
   * this mount completed meanwhile, whose order against this one is unknown. `edits`: what it did
   * to names (for the directories whose names this mount knows).
   */
  changed(req: P.FuseRequest, change: Changed | undefined, edits: readonly NameEdit[], ...inos: number[]): void {
    const quiet = this.attrs.epoch === this.began.get(req);
    const dirs = change?.dirs ?? [];
    this.complete.changed(dirs, edits, monotonicMs());
    this.invalidate(req, ...inos, ...dirs.map((d) => d.ino));
    if (quiet) for (const dir of dirs) this.fetched(dir, req);
  }

  /** Attributes just fetched from the namenode, remembered in the mount's cache. */
  fetched(s: Stats, req: P.FuseRequest): P.KernelAttr {
    const attr = attrOf(s);
    this.attrs.put(attr, Date.now(), this.began.get(req) ?? -1);
    return attr;
  }

  /**
   * The payload of the entry reply for `s` as `entry` would send it, for the fast path; or
   * undefined when this mount adjusts what the namenode said (a file open for writing here, held
   * attribute changes, an unlinked open file): those stay with the main thread.
   */
  private entryPayload(s: Stats): Buffer | undefined {
    const a = attrOf(s);
    if (this.visible(a) !== a) return undefined;
    return P.entryOut(a, this.o.cacheMs, this.attrValidMs(a));
  }

  /** The fast path answered a lookup (fast-lookups.ts): the kernel holds one more of the node. */
  lookedUp([parent, name, ino, isDirectory]: LookedUp): void {
    this.nodes.remember(parent, name, ino, isDirectory);
  }

  /** The fast path stops answering lookups with `ino` (it is opened for writing, or hidden). */
  withdrawLookups(ino: number): void {
    this.fastLookups?.inodesChanged([ino]);
  }

  /**
   * What the kernel is told: a file with a writer on this mount has the writer's size (unflushed
   * writes included) and the attribute changes waiting for its commit.
   */
  visible(a: P.KernelAttr): P.KernelAttr {
    if ((a.mode & fileTypeBits) !== O.S_IFREG) return a;
    const size = this.files.sizeOf(a.ino);
    const withPending = this.pending.overlay(a);
    const unlinked = this.hidden.has(a.ino) ? { ...withPending, nlink: 0 } : withPending; // as fstat says after unlink
    return size === undefined ? unlinked : { ...unlinked, sizeBytes: size };
  }

  /**
   * Whether the file may have a setuid or setgid bit Linux would clear (a write, truncate or
   * chown the kernel flags with *_KILL_SUIDGID, HANDLE_KILLPRIV_V2): by its cached attributes
   * with the changes held over them, and yes when they are not known now.
   */
  maySetId(ino: number): boolean {
    const cached = this.attrs.get(ino, Date.now());
    return cached === undefined || hasSuidgid(this.visible(cached).mode);
  }

  /**
   * A write, or an O_TRUNC open, by a caller without CAP_FSETID (the kernel's *_KILL_SUIDGID):
   * setuid and setgid are cleared, held with the file's other attribute changes (after any mode
   * held before them) until its commit carries them. Nothing when the file has neither bit.
   */
  killSetIdAtCommit(req: P.FuseRequest): void {
    if (this.maySetId(req.nodeid)) this.pending.add(req.nodeid, this.caller(req), { killSuidgid: true }, Date.now());
  }

  /**
   * Whether the namenode call of a change answered ahead at `sinceMs` (a create, an unlink, a
   * close's commit), which just failed with `err`, goes again: the caller was told it is done.
   * A namenode out of reach (a refused, lost or silent connection) is waited for as long as the
   * mount runs, and for its timeout once it is unmounting, as NFS's hard mounts wait; the mount's
   * later calls wait behind and fail EIO at their own timeout meanwhile. An EIO, which a namenode
   * may answer again and again, is tried for the timeout from `sinceMs`.
   */
  waitsForNamenode(sinceMs: number, err: unknown): boolean {
    if (!(err instanceof CairnError)) return false;
    const now = Date.now();
    if (err.code === 'EIO') return now < sinceMs + this.o.timeoutMs;
    if (err.code !== 'ECONNREFUSED' && err.code !== 'ETIMEDOUT') return false;
    return this.closingSinceMs === undefined || now < this.closingSinceMs + this.o.timeoutMs;
  }

  /**
   * What follows a close of `ino` answered ahead (its commit, the attribute changes after it, the
   * kernel's attributes dropped), once settled; undefined when none is on its way. An OPEN waits
   * for it as a RELEASE does, so that the file's next open finds it as a close that waited left it
   * (otherwise the attributes dropped after the open's reads would have the kernel read it again).
   */
  closedAhead(ino: number): Promise<void> | undefined {
    return this.closesAhead.get(ino);
  }

  /**
   * A RELEASE of a handle: the file closed here (a writer's last handle commits what it wrote),
   * then the attribute changes still held for it sent once no writer is left here.
   */
  private async release(req: P.FuseRequest): Promise<undefined> {
    await this.closesAhead.get(req.nodeid); // what follows a close answered ahead comes first
    this.pageVersions.released(P.fhOf(req.body));
    await this.files.release(P.fhOf(req.body));
    let sent = false;
    if (!this.files.hasWriter(req.nodeid)) {
      sent = await this.sendPending(req.nodeid, req).catch((err: unknown) => {
        this.o.log.warn({ err, ino: req.nodeid }, 'attribute changes lost at close');
        return true; // what the kernel was shown did not happen
      });
    }
    if (!this.files.isOpen(req.nodeid)) {
      this.createdAhead.delete(req.nodeid);
      await removeHidden(this, req.nodeid);
    }
    this.invalidate(req, req.nodeid); // the size no longer comes from a writer here
    // Unless nothing was written since the kernel last dropped them (a file created and
    // closed unwritten, or a close after its flush already did), the kernel's attributes
    // may show a writer's size or an mtime the commit moved.
    if (sent || this.writtenUnforgotten.has(req.nodeid)) this.forgetWritten(req.nodeid);
    return undefined;
  }

  /** The RELEASEs of `ino` on their way, until settled (a SETATTR sent after them waits for them). */
  releasing(ino: number): Promise<void> | undefined {
    return this.releases.get(ino);
  }

  /**
   * FLUSH or FSYNC of `fh` with `commit` (FileHandle.flushReleasing or syncCarrying, or the
   * same as work run ahead): held attribute changes go with the data (after a writer's commit,
   * not a reader's close), or alone after it.
   */
  private async flushCarrying(fh: number, req: P.FuseRequest, fsync: boolean, commit: (carry: AttrChanges | undefined) => Promise<Stats | undefined>): Promise<void> {
    const committed = await this.commitCarryingPending(fh, req, commit);
    if (!this.files.isWritable(fh)) return;
    // Changes no commit carried go alone; an fsync makes them durable too (a sync after them).
    let sent: boolean;
    try {
      sent = await this.sendPending(req.nodeid, req);
    } catch (err) {
      this.forgetWritten(req.nodeid); // the kernel was shown changes that did not happen
      throw err;
    }
    if (sent && fsync) await this.retrying(() => this.root.syncNamespace());
    if (committed || sent || this.writtenUnforgotten.has(req.nodeid)) this.forgetWritten(req.nodeid); // the commit's mtime
  }

  /**
   * close(2) or fsync(2) of a descriptor: commits the writer's data, and with it the attribute
   * changes held for the inode when the writer's own client made them (tar's chmod and utimes
   * before close, SQLite's fchown of a new journal before its fsync: one call instead of two). What
   * the namenode did not apply stays held for sendPending.
   */
  private async commitCarryingPending(fh: number, req: P.FuseRequest, commit: (carry: AttrChanges | undefined) => Promise<Stats | undefined>): Promise<boolean> {
    const held = this.pending.peek(req.nodeid);
    const carry = held !== undefined && held.client === this.files.writerClient(fh) ? held.changes : undefined;
    const after = await commit(carry);
    if (after === undefined) return false;
    if (carry !== undefined && this.pending.peek(req.nodeid)?.changes === carry && applied(after, carry)) {
      this.pending.take(req.nodeid);
      this.fetched(after, req);
    }
    return true;
  }

  /** A write or a truncate through this mount: the kernel's attributes of `ino` go stale at its commit. */
  dataChanged(ino: number): void {
    this.attrs.written(ino, Date.now());
    this.writtenUnforgotten.add(ino);
  }

  /** Sends the attribute changes held for `ino` (after its data was committed); returns whether there were any. */
  async sendPending(ino: number, req: P.FuseRequest | undefined): Promise<boolean> {
    const pending = this.pending.take(ino);
    const path = this.nodes.path(ino);
    if (pending === undefined || path === undefined) return false;
    const s = await this.retrying(() => pending.client.setAttributes(path, pending.changes, { follow: false, expectIno: ino }));
    if (req !== undefined) this.fetched(s, req); // of `ino`: the namenode refuses a path that leads elsewhere
    return true;
  }

  /**
   * How long the kernel may keep attributes: `cacheMs`, as the mount's own cache. A file's are
   * dropped from the kernel (kernelForgets) wherever the mount learns them other than in a reply
   * that carries them: at every open (close-to-open: a read must not stop at a size the kernel
   * cached before another client grew the file), after a commit and at release. Without a way
   * to tell the kernel, it is never let cache a file's attributes.
   */
  attrValidMs(a: P.KernelAttr): number {
    return (a.mode & fileTypeBits) === O.S_IFREG && this.sink.forgetAttrs === undefined ? 0 : this.o.cacheMs;
  }

  /** The kernel drops its attributes of a file (see attrValidMs). */
  kernelForgets(ino: number): void {
    this.sink.forgetAttrs?.(ino);
  }

  /**
   * The kernel drops its attributes of a file at a close or fsync, and the file counts as
   * unwritten since. Only here: a drop at an open, while a writer still holds uncommitted
   * writes, leaves them to be dropped again once committed.
   */
  private forgetWritten(ino: number): void {
    this.writtenUnforgotten.delete(ino);
    this.kernelForgets(ino);
  }

  /**
   * Whether the node never had an extended attribute, as its attributes fetched within
   * `--cache-ms` say (MooseFS's MATTR_NOXATTR), kept by the attribute cache or a listing page (a
   * lookup answered from a page, as `ls -l`'s): a getxattr or listxattr of it is answered here.
   * Another client's first setxattr is seen once they are that old, as its other changes are;
   * this mount's own drops them (setxattr, removexattr: `invalidate`).
   */
  lacksXattrs(ino: number): boolean {
    const now = Date.now();
    const cached = this.attrs.get(ino, now);
    if (cached !== undefined) return cached.noXattrs === true;
    return this.listings.statsOf(ino, now)?.noXattrs === true;
  }

  attrReply(a: P.KernelAttr): Buffer {
    return P.attrOut(this.visible(a), this.attrValidMs(a));
  }

  /** An entry reply for a name the kernel now holds (one more lookup of the node). */
  entry(req: P.FuseRequest, parent: number, name: string, s: Stats): Buffer {
    const { attr, entryValidMs, attrValidMs } = this.entryPlus(req, parent, name, s);
    return P.entryOut(attr, entryValidMs, attrValidMs);
  }

  /** What an entry reply for `parent/name` carries; the kernel holds one more lookup of the node. */
  entryPlus(req: P.FuseRequest, parent: number, name: string, s: Stats): P.EntryPlus {
    const a = this.fetched(s, req);
    this.nodes.remember(parent, name, a.ino, s.isDirectory());
    return { attr: this.visible(a), entryValidMs: this.o.cacheMs, attrValidMs: this.attrValidMs(a) };
  }
}

/**
 * Keeps `work` in `chains` under `ino` after what was there, until both settled (failed or not):
 * a later request of the inode awaits the entry to come after all of them.
 */
function chainPerInode(chains: Map<number, Promise<void>>, ino: number, work: Promise<unknown>): void {
  const earlier = chains.get(ino);
  const settled: Promise<void> = Promise.all([earlier, work.catch(() => undefined)]).then(() => {
    if (chains.get(ino) === settled) chains.delete(ino);
  });
  chains.set(ino, settled);
}

/** Whether attributes show every change asked for (the namenode applies a commit's changes only if the caller may). */
function applied(s: Stats, c: AttrChanges): boolean {
  const mode = c.mode === undefined || c.killSuidgid !== true ? c.mode : withoutSuidgid(c.mode);
  return (
    (mode === undefined || (s.mode & 0o7777) === (mode & 0o7777)) &&
    (c.killSuidgid !== true || !hasSuidgid(s.mode)) &&
    (c.uid === undefined || s.uid === c.uid) &&
    (c.gid === undefined || s.gid === c.gid) &&
    (c.atimeMs === undefined || s.atimeMs === Math.round(c.atimeMs)) &&
    (c.mtimeMs === undefined || s.mtimeMs === Math.round(c.mtimeMs))
  );
}

function attrOf(s: Stats): P.KernelAttr {
  return {
    ino: s.ino,
    sizeBytes: s.size,
    mode: s.mode,
    nlink: s.nlink,
    uid: s.uid,
    gid: s.gid,
    atimeMs: s.atimeMs,
    mtimeMs: s.mtimeMs,
    ctimeMs: s.ctimeMs,
    noXattrs: s.noXattrs,
  };
}
