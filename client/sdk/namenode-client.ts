// The SDK's typed, promise-returning view of the ClientNamenode service.

import * as grpc from '@grpc/grpc-js';
import type { AttrChanges } from '../../common/attr-changes.js';
import { Refusals } from '../../common/backoff.js';
import { limits } from '../../common/limits.js';
import { CairnError } from '../../common/errors.js';
import { FrameRpcConnection, callAsClientIdBytesMax } from '../../common/frame-rpc.js';
import { cairnProto, callUnary, channelOptions, validateHostPort, type Identity } from '../../common/rpc.js';
import type { HandshakeReply__Output } from '../../proto/gen/cairn/HandshakeReply.js';
import type { ClientNamenodeClient } from '../../proto/gen/cairn/ClientNamenode.js';
import type { AttrReply__Output } from '../../proto/gen/cairn/AttrReply.js';
import type { ChangeReply__Output } from '../../proto/gen/cairn/ChangeReply.js';
import type { AttrChanges as AttrChangesWire } from '../../proto/gen/cairn/AttrChanges.js';
import type { CommitChunkRequest } from '../../proto/gen/cairn/CommitChunkRequest.js';
import type { CommitChunkReply__Output } from '../../proto/gen/cairn/CommitChunkReply.js';
import type { FsckReply__Output } from '../../proto/gen/cairn/FsckReply.js';
import type { GetChunksReply__Output } from '../../proto/gen/cairn/GetChunksReply.js';
import type { MkdirRequest } from '../../proto/gen/cairn/MkdirRequest.js';
import type { OpenReply__Output } from '../../proto/gen/cairn/OpenReply.js';
import type { OpenRequest } from '../../proto/gen/cairn/OpenRequest.js';
import type { PrepareChunkReply__Output } from '../../proto/gen/cairn/PrepareChunkReply.js';
import type { AllocateChunksReply__Output } from '../../proto/gen/cairn/AllocateChunksReply.js';
import type { ReaddirReply__Output } from '../../proto/gen/cairn/ReaddirReply.js';
import type { ReportReply__Output } from '../../proto/gen/cairn/ReportReply.js';
import type { SetAttrRequest } from '../../proto/gen/cairn/SetAttrRequest.js';
import type { SetXattrRequest } from '../../proto/gen/cairn/SetXattrRequest.js';
import type { StatfsReply__Output } from '../../proto/gen/cairn/StatfsReply.js';
import type { XattrReply__Output } from '../../proto/gen/cairn/XattrReply.js';
import type { Attr__Output } from '../../proto/gen/cairn/Attr.js';

export type WireAttr = Attr__Output;

/** A change's answer: the node it made or changed, and the directories it changed, as they are after it. */
export interface Changed {
  attr: WireAttr;
  dirs: WireAttr[];
}

export type { AttrChanges };

export function attrChangesToWire(changes: AttrChanges): AttrChangesWire {
  return {
    ...(changes.mode !== undefined && { setMode: true, mode: changes.mode & 0o7777 }),
    ...(changes.uid !== undefined && { setUid: true, uid: changes.uid }),
    ...(changes.gid !== undefined && { setGid: true, gid: changes.gid }),
    ...(changes.atimeMs !== undefined && { setAtime: true, atimeMs: Math.round(changes.atimeMs) }),
    ...(changes.mtimeMs !== undefined && { setMtime: true, mtimeMs: Math.round(changes.mtimeMs) }),
    ...(changes.killSuidgid === true && { killSuidgid: true }),
  };
}

/** The ClientNamenode methods, by name (as both transports know them). */
type MethodName = Exclude<keyof ClientNamenodeClient, keyof grpc.Client> & Capitalize<string>;

/**
 * Calls that change no namespace record on the namenode's disk (a reader's Open is one too): the
 * others are changes `sync()` must make durable. PrepareChunk and AllocateChunks only advance
 * counters, which a fsync of a directory does not promise.
 */
const unchanging = new Set<MethodName>([
  'Stat', 'Readdir', 'Readlink', 'GetXattr', 'ListXattr', 'Statfs', 'CloseFile', 'RenewLease',
  'GetChunks', 'PrepareChunk', 'AllocateChunks', 'Sync', 'Handshake', 'Fsck', 'Report',
]);

/** For a call made by work run ahead (SyncTracker.runAhead). */
export interface AheadOptions {
  /** The call belongs to work run ahead: it does not wait for that work. */
  ahead?: boolean;
  /** Told once the request is handed to the connection (written, on a framed one). */
  onSent?: () => void;
}

/**
 * Which namespace changes of one or more clients (a mount's, one per identity) are known to be
 * on the namenode's disk, counted in calls settled: the last change settled (answered or failed:
 * it may have happened) and how far synced calls cover. A synced call (Sync, a synced commit)
 * covers every change settled before it was sent, whichever client made it: the namenode writes
 * in order, and its sync write flushes the whole log. So an fsync of a directory right after an
 * fsync of a file in it (SQLite's journal) needs no call.
 */
export class SyncTracker {
  private settled = 0;
  private lastChange = 0;
  private syncedThrough = 0;
  /** Work run ahead (a mount's unlinks answered before their calls), not yet settled, by the order it began in. */
  private readonly running = new Map<number, Promise<void>>();
  private aheadBegun = 0;
  private roomWaiters: Array<() => void> = [];

  /**
   * Runs one call, noting what it changed and what it made durable. `ahead`: a call of work run
   * ahead (runAhead) itself.
   */
  async track<T>(name: MethodName, req: unknown, call: () => Promise<T>, ahead = false): Promise<T> {
    // A call waits for the work run ahead before it began (first come, first served: work begun
    // later never holds it back), except the calls of that work: nothing may overtake a change
    // the caller was already told is made.
    if (this.running.size > 0 && !ahead) await this.aheadUpTo(this.aheadBegun);
    const syncing = name === 'Sync' || (name === 'CommitChunk' && (req as { sync?: boolean }).sync === true);
    const changing = !unchanging.has(name) && !(name === 'Open' && (req as { write?: boolean }).write !== true);
    const covers = this.settled;
    try {
      const reply = await call();
      if (syncing) this.syncedThrough = Math.max(this.syncedThrough, covers);
      return reply;
    } finally {
      this.settled++;
      if (changing && !syncing) this.lastChange = this.settled;
    }
  }

  private async aheadUpTo(last: number): Promise<void> {
    const waits: Array<Promise<void>> = [];
    for (const [seq, done] of this.running) if (seq <= last) waits.push(done);
    await Promise.all(waits);
  }

  /** Resolves once fewer than `max` run ahead (see runAhead). */
  async roomAhead(max: number): Promise<void> {
    while (this.running.size >= max) await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
  }

  /**
   * Runs `work` (the calls of a change already answered, and what follows their answers) ahead of
   * the calls begun after this, which wait until it settles. `work` must make its calls marked
   * `ahead` (any other would wait for itself), and handle its failures.
   */
  runAhead(work: () => Promise<void>): void {
    const seq = ++this.aheadBegun;
    const done = work()
      .catch(() => undefined)
      .finally(() => {
        this.running.delete(seq);
        // Every waiter looks again: one woken alone might not run ahead after all, and wake nobody.
        const waiters = this.roomWaiters;
        this.roomWaiters = [];
        for (const wake of waiters) wake();
      });
    this.running.set(seq, done);
  }

  /** Resolves once every work run ahead so far has settled. */
  async settledAhead(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running.values());
  }

  /** Calls answered ahead and not settled yet. */
  get runningAhead(): number {
    return this.running.size;
  }

  /** Whether every change settled so far is known to be on the namenode's disk (none running ahead). */
  get synced(): boolean {
    return this.running.size === 0 && this.lastChange <= this.syncedThrough;
  }
}

/**
 * The framed connections this process's namenode clients share: one per namenode and identity
 * (secret, uid, gid, groups), each call naming its client (CALL_AS, common/frame-rpc.ts), so
 * leases stay each client's own. HDFS's IPC client shares a connection per address and user in
 * the same way. What it saves is wake-ups: 32 clients' calls reach the namenode in one read, and
 * a group commit's replies reach them in one write, instead of one of each per call
 * (docs/PERFORMANCE.md, session 24).
 */
class SharedConnections {
  private readonly byKey = new Map<string, { connection: Promise<FrameRpcConnection>; users: Set<object> }>();

  /** The connection for `key`, made with `connect` when there is none or it broke; `user` holds it until `release`. */
  async acquire(key: string, user: object, connect: () => Promise<FrameRpcConnection>): Promise<FrameRpcConnection> {
    const entry = this.byKey.get(key);
    if (entry === undefined) {
      const made = { connection: connect(), users: new Set([user]) };
      this.byKey.set(key, made);
      return made.connection;
    }
    entry.users.add(user); // held from now on: the others' releases cannot close it meanwhile
    const current = entry.connection;
    const connection = await current.catch(() => undefined);
    if (connection !== undefined && !connection.broken) return connection;
    // Broken, or never made: the first client to find that out makes the next one.
    if (entry.connection === current) entry.connection = connect();
    return entry.connection;
  }

  /** `user` is done with `key`'s connection: closed once nobody holds it. */
  release(key: string, user: object): void {
    const entry = this.byKey.get(key);
    if (entry === undefined || !entry.users.delete(user) || entry.users.size > 0) return;
    this.byKey.delete(key);
    entry.connection.then((connection) => connection.close()).catch(() => undefined);
  }
}

const sharedConnections = new SharedConnections();

/** How long a call waits for a namenode refusing connections, unless told otherwise (HDFS's IPC client tries 10 times, 1 s apart). */
export const reconnectWaitMsDefault = 10_000;

/** The refusals of each namenode address this process has called, shared by its clients (and a mount's own retries). */
const refusalsByAddress = new Map<string, Refusals>();
export function refusalsOf(address: string): Refusals {
  let refusals = refusalsByAddress.get(address);
  if (refusals === undefined) refusalsByAddress.set(address, (refusals = new Refusals()));
  return refusals;
}

export class NamenodeClient {
  private readonly client: ClientNamenodeClient;
  /** The framed-TCP connection, once the handshake offered one (common/frame-rpc.ts). */
  private frame: FrameRpcConnection | undefined;
  /** Its key in `sharedConnections` when shared: calls then name this client (`identity.clientId`). */
  private sharedKey: string | undefined;
  private connecting: Promise<FrameRpcConnection | undefined> | undefined;
  private grpcOnly: boolean;
  /** This namenode's refusals of connections, as every client of the process saw them. */
  private readonly refusals: Refusals;

  constructor(
    readonly address: string,
    private readonly identity: Identity,
    private readonly deadlineMs: number,
    transport: 'frame' | 'grpc' = 'frame',
    /** Shared by the clients whose changes one sync() should cover (a mount's identities). */
    private readonly tracker = new SyncTracker(),
    /** How long a call waits for a namenode that refuses connections (a restart) before failing ECONNREFUSED. */
    private readonly reconnectWaitMs = Math.min(deadlineMs, reconnectWaitMsDefault),
  ) {
    validateHostPort(address, 'namenode address');
    this.refusals = refusalsOf(address);
    const Ctor = cairnProto().cairn.ClientNamenode;
    this.client = new Ctor(address, grpc.credentials.createInsecure(), channelOptions);
    this.grpcOnly = transport === 'grpc';
  }

  /**
   * One call with credentials and a deadline. A namenode restarting is waited for: refusing
   * connections, for `reconnectWaitMs`; in safe mode after it (EROFS), until the deadline, as
   * HDFS clients wait it out.
   */
  private call<Req, Res>(name: MethodName, req: Req, opts: AheadOptions = {}): Promise<Res> {
    // A namenode that has refused every connection for reconnectWaitMs fails a call at once, even
    // one that would wait behind work run ahead (whose re-sends keep finding it refusing): each
    // waiting out its deadline would add up (a shell's ls over a mount of a stopped cluster).
    if (opts.ahead !== true && this.refusals.refusingFor(this.reconnectWaitMs)) {
      return Promise.reject(new CairnError('ECONNREFUSED', `cannot reach ${this.address}: refusing connections for ${Math.round(this.reconnectWaitMs / 1000)} s or more`));
    }
    // The deadline runs from here: a wait for calls answered ahead (SyncTracker) counts.
    const deadline = Date.now() + this.deadlineMs;
    return this.tracker.track(name, req, () => this.send<Req, Res>(name, req, deadline, opts.onSent), opts.ahead);
  }

  /** `onSent`: told once the request is handed to the connection (to the kernel, on a framed one). */
  private async send<Req, Res>(name: MethodName, req: Req, deadline: number, onSent?: () => void): Promise<Res> {
    if (Date.now() >= deadline) throw new CairnError('ETIMEDOUT', `${name} waited past its deadline for the unlinks answered before it`);
    for (let delayMs = 100; ; delayMs = Math.min(delayMs * 2, 1000)) {
      let frame: FrameRpcConnection | undefined;
      try {
        frame = await this.frameConnection(deadline);
      } catch (err) {
        // Not connected, so the request was never sent: any call may wait for a namenode that
        // refuses connections (restarting), as HDFS's IPC client tries its connects again. A
        // call whose caller waits to hear it was written (a change answered ahead) is not held:
        // its caller answers at once and sends it again itself.
        if (!(err instanceof CairnError) || err.code !== 'ECONNREFUSED') throw err;
        const leftMs = this.refusals.refused(this.reconnectWaitMs, deadline - 50);
        if (leftMs <= 0 || onSent !== undefined) throw err;
        await new Promise((resolve) => setTimeout(resolve, Math.min(delayMs, leftMs)));
        continue;
      }
      this.refusals.answered();
      try {
        if (frame !== undefined) return await frame.call<Res>(name, req, Math.max(1, deadline - Date.now()), onSent, this.sharedKey !== undefined ? this.identity.clientId : undefined);
        const answer = callUnary<Req, Res>(this.client, this.client[name] as never, req, this.identity, Math.max(1, deadline - Date.now()));
        onSent?.(); // handed to gRPC, which may still be connecting
        return await answer;
      } catch (err) {
        if (!(err instanceof CairnError) || err.code !== 'EROFS' || Date.now() + delayMs >= deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }

  /** Whether calls go over a framed connection that is up now (what is written there is sent, in order). */
  get framed(): boolean {
    return this.frame !== undefined && !this.frame.broken;
  }

  /**
   * The framed-TCP connection, made on first use (and again after it broke: a restarted
   * namenode listens on a new port) from what the gRPC handshake says; undefined for gRPC.
   */
  private async frameConnection(deadline: number): Promise<FrameRpcConnection | undefined> {
    if (this.grpcOnly) return undefined;
    if (this.frame !== undefined && !this.frame.broken) return this.frame;
    this.connecting ??= (async () => {
      let port: number;
      let local = '';
      let shareable = false;
      try {
        const reply = await callUnary<object, HandshakeReply__Output>(this.client, this.client.Handshake as never, {}, this.identity, Math.max(1, deadline - Date.now()));
        port = reply.frameRpcPort;
        local = reply.localSocket;
        shareable = reply.sharedCalls && Buffer.byteLength(this.identity.clientId) <= callAsClientIdBytesMax;
      } catch (err) {
        // A namenode without the handshake speaks gRPC only.
        if (err instanceof CairnError && err.code === 'EIO' && /UNIMPLEMENTED|not implement/i.test(err.message)) port = 0;
        else throw err;
      }
      if (port === 0) {
        this.grpcOnly = true;
        return undefined;
      }
      const host = this.address.slice(0, this.address.lastIndexOf(':'));
      const service = cairnProto().cairn.ClientNamenode.service;
      const connect = (): Promise<FrameRpcConnection> => FrameRpcConnection.connect(`${host}:${port}`, service, this.identity, Math.max(1, deadline - Date.now()), local);
      const { secret, uid, gid, groups = [] } = this.identity;
      // Not shared (or no longer: a namenode restarted as an older version): a connection of its own.
      const key = shareable ? JSON.stringify([host, port, local, secret, uid, gid, groups]) : undefined;
      if (this.sharedKey !== undefined && this.sharedKey !== key) sharedConnections.release(this.sharedKey, this);
      this.sharedKey = key;
      this.frame = key === undefined ? await connect() : await sharedConnections.acquire(key, this, connect);
      return this.frame;
    })().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async attr(name: MethodName, req: object): Promise<WireAttr> {
    const reply = await this.call<object, AttrReply__Output>(name, req);
    return reply.attr as WireAttr;
  }

  /** A change's reply: the node's attributes and the directories it changed, after it. */
  private async changed(name: MethodName, req: object): Promise<Changed> {
    const reply = await this.call<object, AttrReply__Output>(name, req);
    return { attr: reply.attr as WireAttr, dirs: reply.dirs };
  }

  mkdir(req: MkdirRequest): Promise<Changed> {
    return this.changed('Mkdir', req);
  }
  stat(path: string, follow: boolean): Promise<WireAttr> {
    return this.attr('Stat', { path, follow });
  }
  /** lstat of `path`; when its last component is not there, the directory that lacks it instead of ENOENT. */
  async lstatOrParent(path: string): Promise<{ attr: WireAttr } | { parent: WireAttr }> {
    const reply = await this.call<object, AttrReply__Output>('Stat', { path, follow: false, parentWhenAbsent: true });
    if (reply.attr !== null) return { attr: reply.attr };
    const parent = reply.dirs[0];
    if (parent === undefined) throw new CairnError('EIO', 'a Stat reply held neither the node nor its directory', { path });
    return { parent };
  }
  readdir(path: string, startAfter: string, limit = 0): Promise<ReaddirReply__Output> {
    return this.call('Readdir', { path, startAfter, limit });
  }
  async rename(src: string, dst: string): Promise<WireAttr[]> {
    return (await this.call<object, ChangeReply__Output>('Rename', { src, dst })).dirs;
  }
  async unlink(path: string, expectInode = 0, opts: AheadOptions = {}): Promise<WireAttr[]> {
    return (await this.call<object, ChangeReply__Output>('Unlink', { path, expectInode }, opts)).dirs;
  }
  async rmdir(path: string): Promise<WireAttr[]> {
    return (await this.call<object, ChangeReply__Output>('Rmdir', { path })).dirs;
  }
  setAttr(req: SetAttrRequest): Promise<WireAttr> {
    return this.attr('SetAttr', req);
  }
  symlink(target: string, path: string): Promise<Changed> {
    return this.changed('Symlink', { target, path });
  }
  async readlink(path: string): Promise<string> {
    return (await this.call<object, { target: string }>('Readlink', { path })).target;
  }
  setReplication(path: string, replication: number): Promise<WireAttr> {
    return this.attr('SetReplication', { path, replication });
  }
  link(existing: string, path: string): Promise<Changed> {
    return this.changed('Link', { existing, path });
  }
  async setXattr(req: SetXattrRequest): Promise<void> {
    await this.call('SetXattr', req);
  }
  async getXattr(path: string, name: string, follow: boolean): Promise<Buffer> {
    return (await this.call<object, XattrReply__Output>('GetXattr', { path, name, follow })).value;
  }
  async listXattr(path: string, follow: boolean): Promise<string[]> {
    return (await this.call<object, XattrReply__Output>('ListXattr', { path, follow })).names;
  }
  async removeXattr(path: string, name: string, follow: boolean): Promise<void> {
    await this.call('RemoveXattr', { path, name, follow });
  }
  statfs(): Promise<StatfsReply__Output> {
    return this.call('Statfs', {});
  }
  open(req: OpenRequest, opts: AheadOptions = {}): Promise<OpenReply__Output> {
    return this.call('Open', req, opts);
  }
  async close(inode: number): Promise<void> {
    await this.call('CloseFile', { inode });
  }
  async renewLease(): Promise<void> {
    await this.call('RenewLease', {});
  }
  getChunks(inode: number, fromIndex: number, count = 0): Promise<GetChunksReply__Output> {
    return this.call('GetChunks', { inode, fromIndex, count });
  }
  /** Every chunk of a file, a GetChunks reply (a page of at most chunksPerReplyMax) at a time. */
  async *chunkPages(inode: number): AsyncGenerator<GetChunksReply__Output> {
    for (let from = 0; ; ) {
      const reply = await this.getChunks(inode, from);
      yield reply;
      const last = reply.chunks[reply.chunks.length - 1];
      if (last === undefined || reply.chunks.length < limits.chunksPerReplyMax) return;
      from = last.index + 1;
    }
  }
  prepareChunk(inode: number, index: number, excludeDatanodes: string[], opts: AheadOptions = {}): Promise<PrepareChunkReply__Output> {
    return this.call('PrepareChunk', { inode, index, excludeDatanodes }, opts);
  }
  allocateChunks(count: number, replication: number): Promise<AllocateChunksReply__Output> {
    return this.call('AllocateChunks', { count, replication });
  }
  /** The commit's attributes, and the chunk's next version when the request asked for it (prepareNext). */
  async commitChunk(req: CommitChunkRequest, opts: AheadOptions = {}): Promise<{ attr: WireAttr; next: PrepareChunkReply__Output | undefined }> {
    const reply = await this.call<object, CommitChunkReply__Output>('CommitChunk', req, opts);
    return { attr: reply.attr as WireAttr, next: reply.next ?? undefined };
  }
  /**
   * Every namespace change acknowledged so far is on the namenode's disk when this returns. Free
   * when a synced call covered all the changes of the clients sharing the tracker (another
   * client's changes are its own to sync, as with sync(2) on another machine).
   */
  async sync(): Promise<void> {
    if (this.tracker.synced) return;
    await this.call('Sync', {});
  }
  truncate(inode: number, sizeBytes: number): Promise<WireAttr> {
    return this.attr('Truncate', { inode, sizeBytes });
  }
  fsck(path: string): Promise<FsckReply__Output> {
    return this.call('Fsck', { path, follow: true });
  }
  report(): Promise<ReportReply__Output> {
    return this.call('Report', {});
  }
  async decommission(datanodeId: string): Promise<void> {
    await this.call('Decommission', { datanodeId });
  }

  shutdown(): void {
    if (this.sharedKey === undefined) this.frame?.close();
    else {
      // Others may still use the connection: only this client's calls fail, as a close fails them.
      this.frame?.failCalls(this.identity.clientId);
      sharedConnections.release(this.sharedKey, this);
    }
    this.client.close();
  }
}
