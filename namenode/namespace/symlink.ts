// symlink and readlink.

import { CairnError } from '../../common/errors.js';
import { limits } from '../../common/limits.js';
import { toAttr, type Attr } from './attr.js';
import type { OpContext } from './context.js';
import { W, X, checkAccess, lookup, newInode, nextId, putInode, resolve, resolveParent, touchDir } from './inodes.js';
import { keys } from './records.js';

export async function symlink(ctx: OpContext, target: string, path: string): Promise<Attr> {
  if (target.length === 0) throw new CairnError('ENOENT', 'empty symlink target', { path });
  if (target.includes('\0')) throw new CairnError('EINVAL', 'NUL byte in symlink target', { path });
  if (Buffer.byteLength(target) > limits.pathBytesMax) throw new CairnError('ENAMETOOLONG', 'symlink target too long', { path });
  const { dir, name } = await resolveParent(ctx, path);
  checkAccess(dir.rec, ctx.caller, W | X, path);
  if ((await lookup(ctx, dir.ino, name)) !== undefined) throw new CairnError('EEXIST', undefined, { path });
  const ino = await nextId(ctx.tx, 'inode');
  const rec = newInode(ctx, 'l', 0o777, dir.rec, { target });
  putInode(ctx.tx, ino, rec);
  ctx.tx.putJson(keys.dirent(dir.ino, name), { ino, type: 'l' });
  await touchDir(ctx, dir.ino);
  return toAttr(ino, rec);
}

export async function readlink(ctx: OpContext, path: string): Promise<string> {
  const { rec } = await resolve(ctx, path, false);
  if (rec.type !== 'l') throw new CairnError('EINVAL', 'not a symbolic link', { path });
  return rec.target ?? '';
}
