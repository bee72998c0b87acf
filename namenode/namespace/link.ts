// link(2): a new name for an existing file or symlink, in one batch that adds the entry and
// counts the link (nlink + 1, ctime now). The inode is deleted only when its last name goes
// (files.ts dropLink).
//
// As on Linux, `existing` is not followed when it is a symlink (the new name links the symlink
// itself), directories cannot be linked (EPERM), and with fs.protected_hardlinks a caller who
// does not own the file needs read and write permission on it.

import { CairnError } from '../../common/errors.js';
import { toAttr, type Attr } from './attr.js';
import type { OpContext } from './context.js';
import { R, W, X, checkAccess, lookup, mayAccess, putInode, resolve, resolveParent, touchDir } from './inodes.js';
import { keys } from './records.js';

/** Links that one inode may have (Linux ext4's EXT4_LINK_MAX). */
export const linksMax = 65_000;

export async function link(ctx: OpContext, existing: string, path: string): Promise<Attr> {
  const source = await resolve(ctx, existing, false);
  if (source.rec.type === 'd') throw new CairnError('EPERM', 'hard links to directories are not allowed', { path: existing });
  const { caller } = ctx;
  if (caller.uid !== 0 && caller.uid !== source.rec.uid && !mayAccess(source.rec, caller, R | W)) {
    throw new CairnError('EPERM', 'linking a file you do not own needs read and write permission on it', { path: existing });
  }
  if (source.rec.nlink >= linksMax) throw new CairnError('EMLINK', `a file has at most ${linksMax} links`, { path: existing });
  const { dir, name } = await resolveParent(ctx, path);
  checkAccess(dir.rec, caller, W | X, path);
  if ((await lookup(ctx, dir.ino, name)) !== undefined) throw new CairnError('EEXIST', undefined, { path });
  ctx.tx.putJson(keys.dirent(dir.ino, name), { ino: source.ino, type: source.rec.type });
  await touchDir(ctx, dir.ino);
  // touchDir may have rewritten nothing of this inode (it is not a directory), so the record read
  // above is still current.
  const rec = { ...source.rec, nlink: source.rec.nlink + 1, ctime: ctx.nowMs };
  putInode(ctx.tx, source.ino, rec);
  return toAttr(source.ino, rec);
}
