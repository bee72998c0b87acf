// unlink and rmdir: one batch removing the entry (and the inode at its last link).

import { CairnError } from '../../common/errors.js';
import type { Caller } from '../../common/rpc.js';
import type { FreedChunk, OpContext } from './context.js';
import { dropLink } from './files.js';
import { W, X, checkAccess, checkExpectedInode, lookup, mustGetInode, resolveParent, touchDir } from './inodes.js';
import { keys, prefixEnd, type InodeRecord } from './records.js';
import { dropXattrs } from './xattr.js';

/** `expectIno`: remove the name only while it names that inode (ESTALE when it names another). */
export async function unlink(ctx: OpContext, path: string, expectIno?: number): Promise<FreedChunk[]> {
  const { dir, name } = await resolveParent(ctx, path);
  const entry = await lookup(ctx, dir.ino, name);
  if (entry === undefined) throw new CairnError('ENOENT', undefined, { path });
  checkExpectedInode(entry.ino, expectIno, path);
  if (entry.type === 'd') throw new CairnError('EISDIR', undefined, { path });
  checkAccess(dir.rec, ctx.caller, W | X, path);
  checkSticky(dir.rec, await mustGetInode(ctx.tx, entry.ino, path), ctx.caller, path);
  ctx.tx.del(keys.dirent(dir.ino, name));
  await touchDir(ctx, dir.ino);
  return dropLink(ctx, entry.ino);
}

export async function rmdir(ctx: OpContext, path: string): Promise<void> {
  const { dir, name } = await resolveParent(ctx, path);
  const entry = await lookup(ctx, dir.ino, name);
  if (entry === undefined) throw new CairnError('ENOENT', undefined, { path });
  if (entry.type !== 'd') throw new CairnError('ENOTDIR', undefined, { path });
  checkAccess(dir.rec, ctx.caller, W | X, path);
  const rec = await mustGetInode(ctx.tx, entry.ino, path);
  checkSticky(dir.rec, rec, ctx.caller, path);
  // Both range reads side by side; a refusal discards the transaction, xattr deletes included.
  const [empty] = await Promise.all([isEmptyDir(ctx, entry.ino), dropXattrs(ctx, entry.ino, rec)]);
  if (!empty) throw new CairnError('ENOTEMPTY', undefined, { path });
  ctx.tx.del(keys.dirent(dir.ino, name));
  ctx.tx.del(keys.inode(entry.ino));
  await touchDir(ctx, dir.ino, -1);
}

export async function isEmptyDir(ctx: OpContext, ino: number): Promise<boolean> {
  ctx.guard?.(ino);
  const prefix = keys.direntPrefix(ino);
  const rows = await ctx.tx.range({ gte: prefix, lt: prefixEnd(prefix), limit: 1 });
  return rows.length === 0;
}

/** In a sticky directory (like /tmp) only the entry's owner, the directory's owner or root may remove it. */
export function checkSticky(dirRec: InodeRecord, rec: InodeRecord, caller: Caller, path: string): void {
  if ((dirRec.mode & 0o1000) === 0 || caller.uid === 0) return;
  if (caller.uid !== dirRec.uid && caller.uid !== rec.uid) throw new CairnError('EPERM', 'sticky directory', { path });
}
