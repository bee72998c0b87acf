// ClientNamenode methods: decode and validate, run one namespace operation, encode. The same
// methods are served over gRPC and over framed TCP (common/frame-rpc.ts).

import type * as grpc from '@grpc/grpc-js';
import { CairnError } from '../../common/errors.js';
import { limits } from '../../common/limits.js';
import { unaryHandler, type Caller } from '../../common/rpc.js';
import type { ClientNamenodeHandlers } from '../../proto/gen/cairn/ClientNamenode.js';
import type { ChunkInfo } from '../../proto/gen/cairn/ChunkInfo.js';
import type { OpContext } from '../namespace/context.js';
import { mkdir } from '../namespace/mkdir.js';
import { createReserved, open } from '../namespace/open.js';
import { readdir, stat, statOrParent } from '../namespace/readdir.js';
import { rename } from '../namespace/rename.js';
import { rmdir, unlink } from '../namespace/remove.js';
import { setAttr, setReplication, type AttrChanges } from '../namespace/setattr.js';
import { readlink, symlink } from '../namespace/symlink.js';
import { link } from '../namespace/link.js';
import { getXattr, listXattr, removeXattr, setXattr } from '../namespace/xattr.js';
import { allocateChunks, commitChunk, fileChunkIds, getChunks, prepareChunk, truncate, type ChunkPlacement, type IndexedChunk, type Pipeline, type PreparedChunk } from '../namespace/chunks.js';
import { fsck } from '../namespace/fsck.js';
import { nextId } from '../namespace/inodes.js';
import { GrantHeld } from '../grants.js';
import { placeChunk } from '../placement.js';
import { checkWritable, persistAdminState, releaseChunks, type NamenodeState } from '../state.js';
import { attrToWire, wireCount, wireExpectedInode, wireMode, wireString } from './wire.js';
import type { Attr as WireAttr } from '../../proto/gen/cairn/Attr.js';
import type { AttrChanges__Output as AttrChangesWire } from '../../proto/gen/cairn/AttrChanges.js';
import type { Attr } from '../namespace/attr.js';

/** Inode numbers reserved for a client's creates answered ahead, at most per call. */
const reserveMax = 4096;
/** Chunks handed out ahead per AllocateChunks call, and at most held by one client at once. */
const allocateBatchMax = 64;
const allocatedPerClientMax = 256;
/** All clients together (client ids are the clients' own word). */
const allocatedMax = 65_536;

/** Each method of a gRPC service as a function of the request and the caller. */
type MethodsOf<H> = {
  [K in keyof H as string extends K ? never : K]: H[K] extends grpc.handleUnaryCall<infer Req, infer Res> ? (req: Req, caller: Caller) => Promise<Res> : never;
};
export type ClientNamenodeMethods = MethodsOf<ClientNamenodeHandlers>;

/** The methods as gRPC handlers (credential check, error mapping). */
export function clientNamenodeHandlers(state: NamenodeState, methods: ClientNamenodeMethods): ClientNamenodeHandlers {
  const handlers: Record<string, grpc.handleUnaryCall<never, unknown>> = {};
  for (const [name, fn] of Object.entries(methods)) handlers[name] = unaryHandler(state.secret, state.log, fn as (req: never, caller: Caller) => Promise<unknown>);
  return handlers as unknown as ClientNamenodeHandlers;
}

export function clientNamenodeMethods(state: NamenodeState): ClientNamenodeMethods {
  const { namespace, leases, log } = state;
  const chunkSize = namespace.settings.chunkSizeBytes;
  const handler = <Req, Res>(fn: (req: Req, caller: Caller) => Promise<Res>): ((req: Req, caller: Caller) => Promise<Res>) => fn;
  /**
   * One operation. An operation that touched a directory another client holds the grant of
   * changed nothing: it runs again once the grant has ended (grants.ts).
   */
  const run = async <T>(caller: Caller, op: (ctx: OpContext) => Promise<T>, opts: { sync?: boolean } = {}): Promise<T> => {
    const guard = (dir: number): void => state.grants.guard(caller.clientId, dir);
    for (;;) {
      try {
        return await namespace.run(caller, state.now(), op, { ...opts, guard });
      } catch (err) {
        if (!(err instanceof GrantHeld)) throw err;
        await state.grants.waitOut(err.dir);
      }
    }
  };
  const mutate = <T>(caller: Caller, op: (ctx: OpContext) => Promise<T>, opts: { sync?: boolean } = {}): Promise<T> => {
    checkWritable(state);
    return run(caller, op, opts);
  };
  /** A change, and the directories it changed as they are after it (AttrReply.dirs). */
  const change = async <T>(caller: Caller, op: (ctx: OpContext) => Promise<T>): Promise<{ result: T; dirs: WireAttr[] }> => {
    let dirs: WireAttr[] = [];
    const result = await mutate(caller, async (ctx) => {
      const r = await op(ctx);
      dirs = [...ctx.dirs.values()].map((a) => attrToWire(a, chunkSize));
      return r;
    });
    return { result, dirs };
  };
  const attrReply = (attr: Attr, dirs: WireAttr[] = []) => ({ attr: attrToWire(attr, chunkSize), dirs });
  const changeReply = async (caller: Caller, op: (ctx: OpContext) => Promise<Attr>) => {
    const { result, dirs } = await change(caller, op);
    return attrReply(result, dirs);
  };
  const lease = (caller: Caller) => (ino: number) => leases.acquire(ino, caller.clientId, state.now());
  const reservedOf = (clientId: string) => ({
    state: (ino: number) => state.reserved.state(clientId, ino),
    made: (ino: number) => state.reserved.made(ino),
  });
  const addresses = (chunkId: number, gen: number): Pipeline[] =>
    state.chunks
      .holders(chunkId, gen, (dn) => state.registry.isLive(dn))
      .map((id) => ({ id, address: state.registry.get(id)?.address ?? '' }))
      .sort(() => Math.random() - 0.5); // spread reads over replicas
  /** Chunks as a reader needs them: where the replicas are, and a read token. */
  const chunkInfos = (chunks: IndexedChunk[]): ChunkInfo[] => {
    const now = state.now();
    return chunks.map((c) => ({
      index: c.index,
      chunkId: c.id,
      gen: c.gen,
      lengthBytes: c.len,
      locations: addresses(c.id, c.gen),
      token: state.tokens.sign(c.id, c.gen, 'r', now),
    }));
  };
  /** A prepared version as the wire answers it, with its write token. */
  const withToken = (version: PreparedChunk, now: number) => ({
    ...version,
    baseLengthBytes: version.baseLength,
    token: state.tokens.sign(version.chunkId, version.gen, 'w', now),
  });
  /** Remembers a version prepared for a file's chunk (`next`: by a commit) and answers it. */
  const prepared = (ino: number, index: number, version: PreparedChunk, next = false) => {
    const now = state.now();
    const { chunkId, gen, baseGen, baseLength } = version;
    state.prepared.add(ino, index, { chunkId, gen, baseGen, baseLength }, now, next);
    return withToken(version, now);
  };
  const placement: ChunkPlacement = {
    place: (replication, exclude, turn) =>
      placeChunk(state.registry.writable(), replication, chunkSize, exclude, turn).map((dn) => ({ id: dn.id, address: dn.address })),
    replicasOf: (chunkId, gen) => addresses(chunkId, gen),
  };

  return {
    Mkdir: handler(async (req, caller) => changeReply(caller, (ctx) => mkdir(ctx, req.path, wireMode(req.mode), req.recursive))),
    Stat: handler(async (req, caller) => {
      if (!req.parentWhenAbsent) return attrReply(await run(caller, (ctx) => stat(ctx, req.path, req.follow)));
      const found = await run(caller, (ctx) => statOrParent(ctx, req.path, req.follow));
      return 'attr' in found ? attrReply(found.attr) : { attr: null, dirs: [attrToWire(found.parent, chunkSize)] };
    }),
    Readdir: handler(async (req, caller) => {
      const page = await run(caller, (ctx) => readdir(ctx, req.path, req.startAfter, req.limit));
      return { entries: page.entries.map((e) => ({ name: e.name, attr: attrToWire(e.attr, chunkSize) })), more: page.more };
    }),
    Rename: handler(async (req, caller) => {
      const { result, dirs } = await change(caller, (ctx) => rename(ctx, req.src, req.dst));
      releaseChunks(state, result);
      return { dirs };
    }),
    Unlink: handler(async (req, caller) => {
      const expectIno = wireExpectedInode(req.expectInode);
      const { result, dirs } = await change(caller, (ctx) => unlink(ctx, req.path, expectIno));
      releaseChunks(state, result);
      return { dirs };
    }),
    Rmdir: handler(async (req, caller) => ({ dirs: (await change(caller, (ctx) => rmdir(ctx, req.path))).dirs })),
    SetAttr: handler(async (req, caller) => {
      const expectIno = wireExpectedInode(req.expectInode);
      return attrReply(await mutate(caller, (ctx) => setAttr(ctx, req.path, req.follow, attrChanges(req.changes), expectIno)));
    }),
    Symlink: handler(async (req, caller) => changeReply(caller, (ctx) => symlink(ctx, req.target, req.path))),
    Readlink: handler(async (req, caller) => ({ target: await run(caller, (ctx) => readlink(ctx, req.path)) })),
    SetReplication: handler(async (req, caller) => {
      const attr = await mutate(caller, (ctx) => setReplication(ctx, req.path, req.replication));
      // The planner adds or trims replicas of every chunk of the file.
      const ids = await run(caller, (ctx) => fileChunkIds(ctx, attr.inode));
      for (const chunkId of ids) state.chunks.setReplication(chunkId, attr.replication);
      return attrReply(attr);
    }),
    Link: handler(async (req, caller) => changeReply(caller, (ctx) => link(ctx, req.existing, req.path))),
    SetXattr: handler(async (req, caller) => {
      const flags = { create: req.create, replace: req.replace };
      await mutate(caller, (ctx) => setXattr(ctx, req.path, req.follow, req.name, req.value, flags));
      return {};
    }),
    GetXattr: handler(async (req, caller) => ({ value: await run(caller, (ctx) => getXattr(ctx, req.path, req.follow, req.name)) })),
    ListXattr: handler(async (req, caller) => ({ names: await run(caller, (ctx) => listXattr(ctx, req.path, req.follow)) })),
    RemoveXattr: handler(async (req, caller) => {
      await mutate(caller, (ctx) => removeXattr(ctx, req.path, req.follow, req.name));
      return {};
    }),
    Statfs: handler(async () => {
      const live = state.registry.live();
      const sum = (nodes: typeof live, field: 'capacityBytes' | 'usedBytes' | 'availableBytes'): number =>
        nodes.reduce((total, dn) => total + dn[field], 0);
      return {
        capacityBytes: sum(live, 'capacityBytes'),
        usedBytes: sum(live, 'usedBytes'),
        availableBytes: sum(state.registry.writable(), 'availableBytes'),
        liveDatanodes: live.length,
        defaultReplication: state.settings.defaultReplication,
        chunkSizeBytes: chunkSize,
      };
    }),

    Open: handler(async (req, caller) => {
      const flags = {
        write: req.write,
        create: req.create,
        exclusive: req.exclusive,
        truncate: req.truncate,
        mode: wireMode(req.mode),
        replication: req.replication,
        leaseAtFirstWrite: req.leaseAtFirstWrite,
      };
      const inode = wireCount(req.inode, 'inode');
      // Reserved inodes serve creates answered ahead: root's, of a client that names itself.
      const reserve = caller.uid === 0 && caller.clientId !== '' ? Math.min(req.reserve, reserveMax) : 0;
      const parentInode = wireCount(req.parentInode, 'parentInode');
      // A create answered ahead extends its holder's grant as it arrives, before it waits for its
      // turn among the transactions (grants.ts).
      const extended = inode > 0 ? state.grants.extend(caller.clientId, parentInode) : 0;
      if ((flags.truncate || flags.create) && !flags.write) throw new CairnError('EINVAL', 'create and truncate need write', { path: req.path });
      if ((inode > 0 || req.wantGrant || reserve > 0) && !flags.create) throw new CairnError('EINVAL', 'inode, want_grant and reserve go with create', { path: req.path });
      let grantMs = 0;
      let reserved = { from: 0, count: 0 };
      const opening = async (ctx: OpContext) => {
        const opened =
          inode > 0
            ? await createReserved(ctx, parentInode, req.path, flags, inode, reservedOf(caller.clientId))
            : await open(ctx, req.path, flags, lease(caller));
        if (inode > 0) grantMs = extended;
        else if (opened.dir !== undefined && req.wantGrant) grantMs = state.grants.give(caller, opened.dir);
        if (reserve > 0) {
          reserved = { from: await nextId(ctx.tx, 'inode', reserve), count: reserve };
          state.reserved.reserve(caller.clientId, reserved.from, reserve);
        }
        return opened;
      };
      if (!flags.write) {
        // A reader: its first chunks in the same read, when asked and there are any.
        const { result, chunks } = await run(caller, async (ctx) => {
          const opened = await opening(ctx);
          const wanted = opened.attr.kind === 'file' && opened.attr.sizeBytes > 0 && req.chunks > 0;
          return { result: opened, chunks: wanted ? (await getChunks(ctx, opened.attr.inode, 0, req.chunks)).chunks : undefined };
        });
        const given = chunks !== undefined ? { chunks: chunkInfos(chunks), chunksGiven: true } : {};
        return { attr: attrToWire(result.attr, chunkSize), leaseMs: state.settings.leaseExpiryMs, ...given };
      }
      const { result, dirs } = await change(caller, opening);
      releaseChunks(state, result.freed);
      return {
        attr: attrToWire(result.attr, chunkSize),
        leaseMs: state.settings.leaseExpiryMs,
        dirs,
        leased: result.leased,
        grantMs,
        reservedFrom: reserved.from,
        reservedCount: reserved.count,
      };
    }),
    CloseFile: handler(async (req, caller) => {
      const ino = wireCount(req.inode, 'inode');
      if (leases.release(ino, caller.clientId)) state.prepared.forgetNext(ino);
      return {};
    }),
    RenewLease: handler(async (_req, caller) => {
      leases.renew(caller.clientId, state.now());
      return {};
    }),
    GetChunks: handler(async (req, caller) => {
      const ino = wireCount(req.inode, 'inode');
      const found = await run(caller, (ctx) => getChunks(ctx, ino, wireCount(req.fromIndex, 'fromIndex'), req.count));
      return { chunks: chunkInfos(found.chunks), sizeBytes: found.rec.size, chunkSizeBytes: chunkSize };
    }),
    PrepareChunk: handler(async (req, caller) => {
      const ino = wireCount(req.inode, 'inode');
      const index = wireCount(req.index, 'index');
      const version = await mutate(caller, (ctx) => prepareChunk(ctx, ino, index, req.excludeDatanodes, lease(caller), placement));
      log.debug({ ino, index, chunkId: version.chunkId, gen: version.gen, pipeline: version.pipeline.map((p) => p.id) }, version.baseGen === 0 ? 'chunk allocated' : 'chunk update prepared');
      return prepared(ino, index, version);
    }),
    AllocateChunks: handler(async (req, caller) => {
      const count = Math.min(wireCount(req.count, 'count'), allocateBatchMax, state.prepared.allocatable(caller.clientId, allocatedPerClientMax, allocatedMax));
      const replication = req.replication > 0 ? req.replication : state.settings.defaultReplication;
      if (replication > limits.replicationMax) throw new CairnError('EINVAL', `replication must be 1..${limits.replicationMax}`);
      if (count === 0) return { chunks: [] };
      const chunks = await mutate(caller, (ctx) => allocateChunks(ctx, count, replication, placement));
      const now = state.now();
      for (const c of chunks) state.prepared.addAllocated(c.chunkId, c.gen, caller.clientId, now);
      return { chunks: chunks.map((c) => withToken(c, now)) };
    }),
    CommitChunk: handler(async (req, caller) => {
      const input = {
        ino: wireCount(req.inode, 'inode'),
        index: wireCount(req.index, 'index'),
        chunkId: wireCount(req.chunkId, 'chunkId'),
        gen: wireCount(req.gen, 'gen'),
        lengthBytes: wireCount(req.lengthBytes, 'lengthBytes'),
        mtimeMs: wireCount(req.mtimeMs, 'mtimeMs'),
        ...(req.setAttr !== null && { setAttr: attrChanges(req.setAttr) }),
        allocated: req.allocated,
        ...(req.allocated && req.checkSize && { expectSizeBytes: wireCount(req.expectSizeBytes, 'expectSizeBytes') }),
      };
      if (req.datanodeIds.length === 0) throw new CairnError('EINVAL', 'a commit needs at least one acknowledged replica');
      const version = req.allocated ? undefined : state.prepared.take(input.ino, input.index, input.chunkId, input.gen);
      if (req.allocated ? !state.prepared.takeAllocated(input.chunkId, input.gen, caller.clientId) : version === undefined) {
        throw new CairnError('EAGAIN', `chunk ${input.chunkId} gen ${input.gen} was not prepared for this file and index (prepare again)`);
      }
      const base = version !== undefined && version.baseGen > 0 ? { gen: version.baseGen, len: version.baseLength } : undefined;
      const prepareNext = req.prepareNext && req.sync && !req.releaseLease;
      const { attr, nextGen } = await mutate(
        caller,
        async (ctx) => ({
          attr: await commitChunk(ctx, { ...input, ...(base !== undefined && { base }) }, lease(caller)),
          nextGen: prepareNext ? await nextId(ctx.tx, 'gen') : 0,
        }),
        { sync: req.sync },
      );
      if (req.releaseLease && leases.release(input.ino, caller.clientId)) state.prepared.forgetNext(input.ino);
      state.chunks.commit(
        input.chunkId,
        { gen: input.gen, len: input.lengthBytes, rep: attr.replication, ino: input.ino },
        req.datanodeIds.filter((id) => state.registry.get(id) !== undefined),
      );
      // The chunk's next version, as PrepareChunk would answer it now (the stamp is persisted by
      // the commit's own write): an update of the replicas just committed. Not if the writer let
      // the lease go meanwhile (it would prepare anyway).
      const pipeline = nextGen > 0 ? addresses(input.chunkId, input.gen) : [];
      if (pipeline.length === 0 || leases.holder(input.ino, state.now()) !== caller.clientId) return attrReply(attr);
      const next = { chunkId: input.chunkId, gen: nextGen, baseGen: input.gen, baseLength: input.lengthBytes, pipeline, fileSizeBytes: attr.sizeBytes };
      return { ...attrReply(attr), next: prepared(input.ino, input.index, next, true) };
    }),
    Handshake: handler(async () => ({ frameRpcPort: state.frameRpcPort, localSocket: state.localSocket, sharedCalls: state.settings.sharedCalls })),
    Sync: handler(async () => {
      await namespace.db.sync();
      return {};
    }),
    Truncate: handler(async (req, caller) => {
      const ino = wireCount(req.inode, 'inode');
      const result = await mutate(caller, (ctx) => truncate(ctx, ino, wireCount(req.sizeBytes, 'size'), lease(caller)));
      releaseChunks(state, result.freed);
      return attrReply(result.attr);
    }),

    Fsck: handler(async (req, caller) => {
      const isLive = (dn: string): boolean => state.registry.isLive(dn);
      const summary = await run(caller, (ctx) =>
        fsck(
          ctx,
          wireString(req.path, 'path'),
          (chunkId, gen) => state.chunks.holders(chunkId, gen, isLive).length,
          (chunkId) => state.chunks.corruptCount(chunkId),
        ),
      );
      return { ...summary, healthy: summary.missing === 0 && summary.underReplicated === 0 && summary.corrupt === 0 };
    }),
    Decommission: handler(async (req, caller) => {
      if (caller.uid !== 0) throw new CairnError('EPERM', 'only root may decommission a datanode');
      const id = wireString(req.datanodeId, 'datanodeId');
      if (state.registry.get(id) === undefined) throw new CairnError('ENOENT', `no datanode ${id}`);
      if (state.registry.adminStateOf(id) !== 'normal') return {};
      state.registry.setAdminState(id, 'decommissioning');
      await persistAdminState(state, id, 'decommissioning');
      state.chunks.attendTo(id);
      log.info({ datanode: id }, 'decommissioning datanode');
      return {};
    }),
    Report: handler(async () => {
      const now = state.now();
      const isLive = (dn: string): boolean => state.registry.isLive(dn);
      return {
        clusterId: namespace.cluster.clusterId,
        safeMode: state.safeMode.active,
        replicationsScheduled: state.planner.scheduledTotal,
        replicationsPending: state.planner.pendingCount,
        underReplicated: state.planner.underReplicated,
        chunksTotal: state.chunks.expectedCount(),
        chunksReported: state.chunks.reportedCount(isLive),
        chunkSizeBytes: chunkSize,
        defaultReplication: state.settings.defaultReplication,
        datanodes: state.registry.all().map((dn) => ({
          id: dn.id,
          address: dn.address,
          state: state.registry.displayState(dn),
          capacityBytes: dn.capacityBytes,
          usedBytes: dn.usedBytes,
          availableBytes: dn.availableBytes,
          chunks: state.chunks.chunksOn(dn.id),
          lastHeartbeatMsAgo: Math.max(0, now - dn.lastHeartbeatMs),
          activeTransfers: dn.activeTransfers,
        })),
      };
    }),
  };
}

/** The attribute changes a SetAttr request or a commit asks for (none when the message is absent). */
function attrChanges(req: AttrChangesWire | null): AttrChanges {
  const changes: AttrChanges = {};
  if (req === null) return changes;
  if (req.setMode) changes.mode = wireMode(req.mode);
  if (req.setUid) changes.uid = req.uid;
  if (req.setGid) changes.gid = req.gid;
  if (req.setAtime) changes.atimeMs = wireCount(req.atimeMs, 'atime');
  if (req.setMtime) changes.mtimeMs = wireCount(req.mtimeMs, 'mtime');
  if (req.killSuidgid) changes.killSuidgid = true;
  return changes;
}
