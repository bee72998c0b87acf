// mkdir and mkdir -p: one batch creating the directory (or every missing ancestor) and its entry.

import { CairnError } from '../../common/errors.js';
import { splitPath } from '../../common/paths.js';
import { toAttr, type Attr } from './attr.js';
import type { OpContext } from './context.js';
import { W, X, checkAccess, lookup, mustGetInode, newInode, nextId, putInode, resolve, resolveParent, touchDir } from './inodes.js';
import { keys } from './records.js';

export async function mkdir(ctx: OpContext, path: string, mode: number, recursive: boolean): Promise<Attr> {
  if (recursive) return mkdirRecursive(ctx, path, mode);
  const { dir, name } = await resolveParent(ctx, path);
  checkAccess(dir.rec, ctx.caller, W | X, path);
  if ((await lookup(ctx, dir.ino, name)) !== undefined) throw new CairnError('EEXIST', undefined, { path });
  return createDir(ctx, dir.ino, name, mode);
}

async function createDir(ctx: OpContext, parentIno: number, name: string, mode: number): Promise<Attr> {
  const parentRec = await mustGetInode(ctx.tx, parentIno);
  const ino = await nextId(ctx.tx, 'inode');
  const rec = newInode(ctx, 'd', mode, parentRec, { parent: parentIno });
  if ((parentRec.mode & 0o2000) !== 0) rec.mode |= 0o2000;
  putInode(ctx.tx, ino, rec);
  ctx.tx.putJson(keys.dirent(parentIno, name), { ino, type: 'd' });
  await touchDir(ctx, parentIno, 1);
  return toAttr(ino, rec);
}

async function mkdirRecursive(ctx: OpContext, path: string, mode: number): Promise<Attr> {
  const parts = splitPath(path);
  let current = await resolve(ctx, '/', true);
  for (let i = 0; i < parts.length; i++) {
    const name = parts[i] as string;
    const here = `/${parts.slice(0, i + 1).join('/')}`;
    const entry = await lookup(ctx, current.ino, name);
    if (entry === undefined) {
      checkAccess(current.rec, ctx.caller, W | X, path);
      const attr = await createDir(ctx, current.ino, name, i === parts.length - 1 ? mode : mode | 0o300);
      current = { ino: attr.inode, rec: await mustGetInode(ctx.tx, attr.inode), parts: [...current.parts, name] };
      continue;
    }
    // Existing components may be symlinks to directories (mkdir -p follows them).
    current = await resolve(ctx, here, true);
    if (current.rec.type !== 'd') throw new CairnError(i === parts.length - 1 ? 'EEXIST' : 'ENOTDIR', undefined, { path });
  }
  return toAttr(current.ino, current.rec);
}
