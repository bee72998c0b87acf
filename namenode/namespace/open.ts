// open(2) on the namespace: look up or create a file, check permissions, take the write lease,
// and truncate when asked; one batch.

import { CairnError } from '../../common/errors.js';
import { limits } from '../../common/limits.js';
import { toAttr, type Attr } from './attr.js';
import type { FreedChunk, OpContext } from './context.js';
import { dropChunks } from './files.js';
import { R, W, X, checkAccess, getInode, idCounters, lookup, mustGetInode, newInode, nextId, putInode, resolve, resolveParent, touchDir } from './inodes.js';
import { keys, rootInode, type InodeRecord } from './records.js';
import { splitPath } from '../../common/paths.js';

export interface OpenFlags {
  write: boolean;
  create: boolean;
  exclusive: boolean;
  truncate: boolean;
  mode: number;
  replication: number; // 0: cluster default
  /** A file this open creates is not leased yet (its first write takes the lease). */
  leaseAtFirstWrite?: boolean;
}

export interface OpenResult {
  attr: Attr;
  freed: FreedChunk[];
  /** Whether the caller holds the write lease now. */
  leased: boolean;
  /** A create: the directory it made the file in. */
  dir?: number;
}

/** `takeLease` throws EBUSY when another client holds the file's write lease. */
export async function open(
  ctx: OpContext,
  path: string,
  flags: OpenFlags,
  takeLease: (ino: number) => void,
): Promise<OpenResult> {
  checkReplication(flags.replication, path);
  const { dir, name } = await resolveParent(ctx, path);
  const entry = await lookup(ctx, dir.ino, name);
  if (entry === undefined) {
    if (!flags.create) throw new CairnError('ENOENT', undefined, { path });
    checkAccess(dir.rec, ctx.caller, W | X, path);
    const ino = await nextId(ctx.tx, 'inode');
    const rec = await makeFile(ctx, dir.ino, dir.rec, name, flags, ino);
    const leased = flags.write && flags.leaseAtFirstWrite !== true;
    if (leased) takeLease(ino);
    return { attr: toAttr(ino, rec), freed: [], leased, dir: dir.ino };
  }
  if (flags.create && flags.exclusive) throw new CairnError('EEXIST', undefined, { path });
  const target = await resolve(ctx, path, true);
  if (target.rec.type === 'd') {
    if (flags.write) throw new CairnError('EISDIR', undefined, { path });
    checkAccess(target.rec, ctx.caller, R, path);
    return { attr: toAttr(target.ino, target.rec), freed: [], leased: false };
  }
  if (target.rec.type !== 'f') throw new CairnError('EINVAL', 'not a regular file', { path });
  checkAccess(target.rec, ctx.caller, flags.write ? W : R, path);
  if (!flags.write) return { attr: toAttr(target.ino, target.rec), freed: [], leased: false };
  takeLease(target.ino);
  if (!flags.truncate) return { attr: toAttr(target.ino, target.rec), freed: [], leased: true };
  // Size 0 does not mean no chunks: a committed zero-length chunk must go too, or the next write
  // to index 0 would need that chunk's replicas to be alive.
  const freed = await dropChunks(ctx, target.ino, target.rec, 0);
  if (target.rec.size === 0 && freed.length === 0) return { attr: toAttr(target.ino, target.rec), freed, leased: true };
  const rec = { ...target.rec, size: 0, mtime: ctx.nowMs, ctime: ctx.nowMs };
  putInode(ctx.tx, target.ino, rec);
  return { attr: toAttr(target.ino, rec), freed, leased: true };
}

async function makeFile(ctx: OpContext, dirIno: number, dirRec: InodeRecord, name: string, flags: OpenFlags, ino: number): Promise<InodeRecord> {
  const rec = newInode(ctx, 'f', flags.mode, dirRec, { rep: flags.replication || ctx.settings.defaultReplication });
  putInode(ctx.tx, ino, rec);
  ctx.tx.putJson(keys.dirent(dirIno, name), { ino, type: 'f' });
  await touchDir(ctx, dirIno);
  return rec;
}

/**
 * A create a mount answered ahead (client/fuse/early-creates.ts): file `ino`, an inode number
 * reserved for it earlier, named by the last name of `path` in directory `dirIno` (found by its
 * inode: a rename of the directory since the mount answered does not move the create). Sent
 * again after a lost connection, it finds its file and answers it unchanged. Root only, as the
 * mount answers only root's creates ahead: no path is walked, so no search permission checked.
 * The file is not leased (its first write takes the lease).
 */
export async function createReserved(
  ctx: OpContext,
  dirIno: number,
  path: string,
  flags: OpenFlags,
  ino: number,
  /** The caller's reservations (grants.ts ReservedInodes): what `ino` is to it, and marking it made. */
  reserved: { state: (ino: number) => 'fresh' | 'made' | 'foreign' | 'unknown'; made: (ino: number) => void },
): Promise<OpenResult> {
  if (ctx.caller.uid !== 0) throw new CairnError('EPERM', 'only root creates by directory inode', { path });
  checkReplication(flags.replication, path);
  const name = splitPath(path).pop();
  if (name === undefined) throw new CairnError('EINVAL', 'no name to create', { path });
  if (ino <= rootInode || ino >= (await idCounters(ctx.tx)).inode) throw new CairnError('EINVAL', `inode ${ino} was never reserved`, { path });
  const dirRec = await mustGetInode(ctx.tx, dirIno, path);
  if (dirRec.type !== 'd') throw new CairnError('ENOTDIR', undefined, { path });
  const entry = await lookup(ctx, dirIno, name);
  const made = await getInode(ctx.tx, ino);
  // Already made by this call (its answer was lost): as it was, whatever its name is now.
  if (made !== undefined) return { attr: toAttr(ino, made), freed: [], leased: false, dir: dirIno };
  // Made and removed since (by another client, once the grant ended): not made again. A
  // restarted namenode knows no reservations and cannot tell; it makes it if the name is free.
  const state = reserved.state(ino);
  if (state === 'made') throw new CairnError('ESTALE', `inode ${ino} was made and removed since`, { path });
  if (state === 'foreign') throw new CairnError('EINVAL', `inode ${ino} is reserved for another client`, { path });
  if (entry !== undefined) throw new CairnError('EEXIST', undefined, { path });
  const rec = await makeFile(ctx, dirIno, dirRec, name, { ...flags, leaseAtFirstWrite: true }, ino);
  reserved.made(ino);
  return { attr: toAttr(ino, rec), freed: [], leased: false, dir: dirIno };
}

function checkReplication(replication: number, path: string): void {
  if (replication < 0 || replication > limits.replicationMax) throw new CairnError('EINVAL', `replication must be 1..${limits.replicationMax}`, { path });
}
