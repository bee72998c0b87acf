// rename(2): atomic, in one batch, replacing an existing target as POSIX does (a file replaces a
// file, a directory replaces an empty directory) and refusing to move a directory into itself.

import { CairnError } from '../../common/errors.js';
import type { FreedChunk, OpContext } from './context.js';
import { dropLink } from './files.js';
import { W, X, checkAccess, lookup, mustGetInode, putInode, resolveParent, touchDir } from './inodes.js';
import { checkSticky, isEmptyDir } from './remove.js';
import { keys, rootInode } from './records.js';
import { dropXattrs } from './xattr.js';

export async function rename(ctx: OpContext, src: string, dst: string): Promise<FreedChunk[]> {
  const from = await resolveParent(ctx, src);
  const to = await resolveParent(ctx, dst);
  const moving = await lookup(ctx, from.dir.ino, from.name);
  if (moving === undefined) throw new CairnError('ENOENT', undefined, { path: src });
  checkAccess(from.dir.rec, ctx.caller, W | X, src);
  checkAccess(to.dir.rec, ctx.caller, W | X, dst);
  const movingRec = await mustGetInode(ctx.tx, moving.ino, src);
  checkSticky(from.dir.rec, movingRec, ctx.caller, src);

  const replaced = await lookup(ctx, to.dir.ino, to.name);
  if (replaced !== undefined && replaced.ino === moving.ino) return []; // same file: POSIX says do nothing
  if (moving.type === 'd') await refuseMoveIntoItself(ctx, moving.ino, to.dir.ino, dst);

  let freed: FreedChunk[] = [];
  if (replaced !== undefined) {
    const replacedRec = await mustGetInode(ctx.tx, replaced.ino, dst);
    checkSticky(to.dir.rec, replacedRec, ctx.caller, dst);
    if (moving.type === 'd' && replaced.type !== 'd') throw new CairnError('ENOTDIR', undefined, { path: dst });
    if (moving.type !== 'd' && replaced.type === 'd') throw new CairnError('EISDIR', undefined, { path: dst });
    if (replaced.type === 'd') {
      if (!(await isEmptyDir(ctx, replaced.ino))) throw new CairnError('ENOTEMPTY', undefined, { path: dst });
      ctx.tx.del(keys.inode(replaced.ino));
      await dropXattrs(ctx, replaced.ino, replacedRec);
      await touchDir(ctx, to.dir.ino, -1);
    } else {
      freed = await dropLink(ctx, replaced.ino);
    }
  }

  ctx.tx.del(keys.dirent(from.dir.ino, from.name));
  ctx.tx.putJson(keys.dirent(to.dir.ino, to.name), moving);
  const movedDir = moving.type === 'd' && from.dir.ino !== to.dir.ino;
  await touchDir(ctx, from.dir.ino, movedDir ? -1 : 0);
  await touchDir(ctx, to.dir.ino, movedDir ? 1 : 0);
  const current = await mustGetInode(ctx.tx, moving.ino, src);
  putInode(ctx.tx, moving.ino, { ...current, ctime: ctx.nowMs, ...(moving.type === 'd' ? { parent: to.dir.ino } : {}) });
  return freed;
}

/** EINVAL when `newParent` is `dirIno` or lies beneath it. */
async function refuseMoveIntoItself(ctx: OpContext, dirIno: number, newParent: number, dst: string): Promise<void> {
  let at = newParent;
  while (at !== rootInode) {
    if (at === dirIno) throw new CairnError('EINVAL', 'cannot move a directory into itself', { path: dst });
    const rec = await mustGetInode(ctx.tx, at);
    at = rec.parent ?? rootInode;
  }
  if (dirIno === rootInode) throw new CairnError('EBUSY', 'cannot move the root', { path: dst });
}
