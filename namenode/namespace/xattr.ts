// Extended attributes (setxattr, getxattr, listxattr, removexattr), one batch each, stored under
// `x/<inode>/<name>` (DESIGN §3) with the value in base64.
//
// Permissions follow Linux (fs/xattr.c xattr_permission and the capability module):
//   user.*      regular files and directories only; reading needs read permission, writing needs
//               write permission, and in a sticky directory only its owner or root may write.
//   trusted.*   root only; to anyone else the names are invisible (ENODATA) and writes are EPERM.
//   security.*  anyone may read; only root may write.
//   system.*    (POSIX ACLs) and any other prefix: ENOTSUP.
// Invariant: an inode's attributes are deleted in the same batch as the inode (dropXattrs).

import { CairnError } from '../../common/errors.js';
import { limits } from '../../common/limits.js';
import type { OpContext } from './context.js';
import { R, W, checkAccess, putInode, resolve, type Resolved } from './inodes.js';
import { keys, prefixEnd, type InodeRecord } from './records.js';

export type XattrNamespace = 'user' | 'trusted' | 'security';

export interface SetXattrFlags {
  /** XATTR_CREATE: fail with EEXIST if the attribute exists. */
  create: boolean;
  /** XATTR_REPLACE: fail with ENODATA if it does not. */
  replace: boolean;
}

export async function setXattr(
  ctx: OpContext,
  path: string,
  follow: boolean,
  name: string,
  value: Buffer,
  flags: SetXattrFlags,
): Promise<void> {
  const ns = checkName(name, path);
  if (value.length > limits.xattrValueBytesMax) throw new CairnError('E2BIG', `xattr value over ${limits.xattrValueBytesMax} bytes`, { path });
  if (flags.create && flags.replace) throw new CairnError('EINVAL', 'XATTR_CREATE and XATTR_REPLACE together', { path });
  const target = await resolve(ctx, path, follow);
  checkWrite(ctx, target, ns, path);
  const key = keys.xattr(target.ino, name);
  const existing = await ctx.tx.get(key);
  if (existing !== undefined && flags.create) throw new CairnError('EEXIST', `xattr ${name} exists`, { path });
  if (existing === undefined && flags.replace) throw new CairnError('ENODATA', `no xattr ${name}`, { path });
  if (existing === undefined) {
    const listBytes = (await names(ctx, target.ino)).reduce((sum, n) => sum + Buffer.byteLength(n) + 1, 0);
    if (listBytes + Buffer.byteLength(name) + 1 > limits.xattrListBytesMax) {
      throw new CairnError('ENOSPC', `the xattr names of one inode are limited to ${limits.xattrListBytesMax} bytes`, { path });
    }
  }
  ctx.tx.put(key, value.toString('base64'));
  const { nx: _none, ...rec } = target.rec; // it has an attribute now
  putInode(ctx.tx, target.ino, { ...rec, ctime: ctx.nowMs });
}

export async function getXattr(ctx: OpContext, path: string, follow: boolean, name: string): Promise<Buffer> {
  const ns = checkName(name, path);
  const target = await resolve(ctx, path, follow);
  checkRead(ctx, target, ns, path);
  const raw = target.rec.nx === true ? undefined : await ctx.tx.get(keys.xattr(target.ino, name));
  if (raw === undefined) throw new CairnError('ENODATA', `no xattr ${name}`, { path });
  return Buffer.from(raw, 'base64');
}

/** Names in byte order; trusted.* only for root (as Linux filters them). */
export async function listXattr(ctx: OpContext, path: string, follow: boolean): Promise<string[]> {
  const target = await resolve(ctx, path, follow);
  if (target.rec.nx === true) return [];
  const all = await names(ctx, target.ino);
  return ctx.caller.uid === 0 ? all : all.filter((n) => !n.startsWith('trusted.'));
}

export async function removeXattr(ctx: OpContext, path: string, follow: boolean, name: string): Promise<void> {
  const ns = checkName(name, path);
  const target = await resolve(ctx, path, follow);
  checkWrite(ctx, target, ns, path);
  const key = keys.xattr(target.ino, name);
  if ((await ctx.tx.get(key)) === undefined) throw new CairnError('ENODATA', `no xattr ${name}`, { path });
  ctx.tx.del(key);
  putInode(ctx.tx, target.ino, { ...target.rec, ctime: ctx.nowMs });
}

/** Deletes every attribute of an inode that is being deleted (none to read for if it never had one: `nx`). */
export async function dropXattrs(ctx: OpContext, ino: number, rec: InodeRecord): Promise<void> {
  if (rec.nx === true) return;
  const prefix = keys.xattrPrefix(ino);
  for (const [key] of await ctx.tx.range({ gte: prefix, lt: prefixEnd(prefix) })) ctx.tx.del(key);
}

async function names(ctx: OpContext, ino: number): Promise<string[]> {
  const prefix = keys.xattrPrefix(ino);
  const rows = await ctx.tx.range({ gte: prefix, lt: prefixEnd(prefix) });
  return rows.map(([key]) => key.slice(prefix.length));
}

function checkName(name: string, path: string): XattrNamespace {
  if (typeof name !== 'string' || name.length === 0 || Buffer.byteLength(name) > limits.xattrNameBytesMax) {
    throw new CairnError('ERANGE', `xattr names are 1..${limits.xattrNameBytesMax} bytes`, { path });
  }
  if (name.includes('\0')) throw new CairnError('EINVAL', 'NUL byte in xattr name', { path });
  const ns = /^(user|trusted|security)\.(.+)$/s.exec(name)?.[1];
  if (ns === undefined) throw new CairnError('ENOTSUP', `xattr namespace of '${name}' not supported (user., trusted., security.)`, { path });
  return ns as XattrNamespace;
}

function isRoot(ctx: OpContext): boolean {
  return ctx.caller.uid === 0;
}

function checkRead(ctx: OpContext, target: Resolved, ns: XattrNamespace, path: string): void {
  if (ns === 'trusted' && !isRoot(ctx)) throw new CairnError('ENODATA', undefined, { path });
  if (ns === 'user') {
    if (!userXattrsAllowed(target.rec)) throw new CairnError('ENODATA', undefined, { path });
    checkAccess(target.rec, ctx.caller, R, path);
  }
}

function checkWrite(ctx: OpContext, target: Resolved, ns: XattrNamespace, path: string): void {
  if (ns !== 'user') {
    if (!isRoot(ctx)) throw new CairnError('EPERM', `only root may write ${ns}.* attributes`, { path });
    return;
  }
  if (!userXattrsAllowed(target.rec)) throw new CairnError('EPERM', 'user.* attributes apply to files and directories only', { path });
  const sticky = target.rec.type === 'd' && (target.rec.mode & 0o1000) !== 0;
  if (sticky && !isRoot(ctx) && ctx.caller.uid !== target.rec.uid) throw new CairnError('EPERM', 'sticky directory', { path });
  checkAccess(target.rec, ctx.caller, W, path);
}

function userXattrsAllowed(rec: InodeRecord): boolean {
  return rec.type === 'f' || rec.type === 'd';
}
