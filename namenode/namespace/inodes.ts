// Reading and writing inodes, allocating ids, permission checks and path resolution: the
// pieces every namespace operation shares.

import { CairnError } from '../../common/errors.js';
import { limits } from '../../common/limits.js';
import { normalizePath, splitPath } from '../../common/paths.js';
import type { Caller } from '../../common/rpc.js';
import type { OpContext } from './context.js';
import { keys, rootInode, type DirentRecord, type IdCounters, type InodeRecord } from './records.js';
import type { Tx } from '../store/metadb.js';
import { toAttr } from './attr.js';
import { R, W, X, inGroup, permits } from '../../common/access.js';

export { R, W, X };

export async function getInode(tx: Tx, ino: number): Promise<InodeRecord | undefined> {
  return tx.getJson<InodeRecord>(keys.inode(ino));
}

export async function mustGetInode(tx: Tx, ino: number, path?: string): Promise<InodeRecord> {
  const rec = await getInode(tx, ino);
  if (rec === undefined) throw new CairnError('ENOENT', `inode ${ino} does not exist`, path !== undefined ? { path } : {});
  return rec;
}

export function putInode(tx: Tx, ino: number, rec: InodeRecord): void {
  tx.putJson(keys.inode(ino), rec);
}

/** The entry `name` of directory `parent` (a read of its names: ctx.guard). */
export async function lookup(ctx: OpContext, parent: number, name: string): Promise<DirentRecord | undefined> {
  ctx.guard?.(parent);
  return ctx.tx.getJson<DirentRecord>(keys.dirent(parent, name));
}

/** The next id of `kind` (the first of `count` in a row), never handed out again. */
export async function nextId(tx: Tx, kind: keyof IdCounters, count = 1): Promise<number> {
  const ids = await idCounters(tx);
  const id = ids[kind];
  tx.putJson(keys.ids, { ...ids, [kind]: id + count });
  return id;
}

export async function idCounters(tx: Tx): Promise<IdCounters> {
  return (await tx.getJson<IdCounters>(keys.ids)) ?? { inode: rootInode + 1, chunk: 1, gen: 1 };
}

/** POSIX access check against the owner, group or other bits (common/access.ts). */
export function mayAccess(rec: InodeRecord, caller: Caller, want: number): boolean {
  return permits(rec, rec.mode, rec.type === 'd', caller, want);
}

/** A change that names the inode it means (unlink's and SetAttr's `expect_inode`): ESTALE, before anything changes, when `path` leads to another. */
export function checkExpectedInode(ino: number, expectIno: number | undefined, path: string): void {
  if (expectIno !== undefined && ino !== expectIno) throw new CairnError('ESTALE', `names another inode than ${expectIno}`, { path });
}

export function checkAccess(rec: InodeRecord, caller: Caller, want: number, path: string): void {
  if (!mayAccess(rec, caller, want)) throw new CairnError('EACCES', undefined, { path });
}

export function checkOwner(rec: InodeRecord, caller: Caller, path: string): void {
  if (caller.uid !== 0 && caller.uid !== rec.uid) throw new CairnError('EPERM', 'only the owner may do this', { path });
}

export interface Resolved {
  ino: number;
  rec: InodeRecord;
  /** The canonical path of the inode (symlinks resolved). */
  parts: string[];
}

/**
 * Resolves an absolute path to an inode, following symlinks in intermediate components and,
 * when `followLast`, in the last one. Checks search permission on every directory walked.
 */
export async function resolve(ctx: OpContext, path: string, followLast: boolean): Promise<Resolved> {
  let pending = splitPath(path);
  let hops = 0;
  for (;;) {
    let ino = rootInode;
    let rec = await mustGetInode(ctx.tx, rootInode);
    const walked: string[] = [];
    let restarted = false;
    for (let i = 0; i < pending.length; i++) {
      const name = pending[i] as string;
      if (rec.type !== 'd') throw new CairnError('ENOTDIR', undefined, { path });
      checkAccess(rec, ctx.caller, X, path);
      const entry = await lookup(ctx, ino, name);
      if (entry === undefined) throw new CairnError('ENOENT', undefined, { path });
      const child = await mustGetInode(ctx.tx, entry.ino, path);
      const isLast = i === pending.length - 1;
      if (child.type === 'l' && (!isLast || followLast)) {
        if (++hops > limits.symlinkHopsMax) throw new CairnError('ELOOP', undefined, { path });
        const target = child.target ?? '';
        const base = target.startsWith('/') ? target : `/${walked.join('/')}/${target}`;
        const rest = pending.slice(i + 1).join('/');
        pending = splitPath(normalizePath(rest === '' ? base : `${base}/${rest}`));
        restarted = true;
        break;
      }
      ino = entry.ino;
      rec = child;
      walked.push(name);
    }
    if (!restarted) return { ino, rec, parts: walked };
  }
}

/** Resolves the parent directory of `path` (following symlinks) and returns it with the last name. */
export async function resolveParent(ctx: OpContext, path: string): Promise<{ dir: Resolved; name: string }> {
  const parts = splitPath(path);
  const name = parts.pop();
  if (name === undefined) throw new CairnError('EBUSY', 'the root cannot be changed this way', { path });
  const dir = await resolve(ctx, `/${parts.join('/')}`, true);
  if (dir.rec.type !== 'd') throw new CairnError('ENOTDIR', undefined, { path });
  return { dir, name };
}

export function newInode(
  ctx: OpContext,
  type: InodeRecord['type'],
  mode: number,
  parentRec: InodeRecord,
  extra: Partial<InodeRecord> = {},
): InodeRecord {
  // New entries in a setgid directory inherit its group, and new directories its setgid bit
  // (so that the whole tree keeps the group), as Linux's inode_init_owner does. A file's setgid
  // bit stays only for root or a member of the file's group (the kernel strips it before a FUSE
  // create already; an SDK client's create is checked here).
  const inherits = (parentRec.mode & 0o2000) !== 0;
  const gid = inherits ? parentRec.gid : ctx.caller.gid;
  let bits = mode & 0o7777;
  if (type === 'd' && inherits) bits |= 0o2000;
  else if (type !== 'd' && (bits & 0o2000) !== 0 && ctx.caller.uid !== 0 && !inGroup(ctx.caller, gid)) bits &= ~0o2000;
  return {
    type,
    mode: bits,
    uid: ctx.caller.uid,
    gid,
    size: 0,
    nlink: type === 'd' ? 2 : 1,
    atime: ctx.nowMs,
    mtime: ctx.nowMs,
    ctime: ctx.nowMs,
    rep: 0,
    nx: true,
    ...(type === 'f' && { nc: true }),
    ...extra,
  };
}

/**
 * Marks a directory's contents changed (new/removed entry): mtime and ctime move to now, and its
 * version moves by one per operation (a rename within one directory touches it twice).
 */
export async function touchDir(ctx: OpContext, ino: number, nlinkDelta = 0): Promise<void> {
  // Re-read: this transaction may already have changed the directory (rename within one directory).
  const rec = await mustGetInode(ctx.tx, ino);
  const ver = (rec.ver ?? 0) + (ctx.dirs.has(ino) ? 0 : 1);
  const next = { ...rec, mtime: ctx.nowMs, ctime: ctx.nowMs, nlink: rec.nlink + nlinkDelta, ver };
  putInode(ctx.tx, ino, next);
  ctx.dirs.set(ino, toAttr(ino, next));
}
