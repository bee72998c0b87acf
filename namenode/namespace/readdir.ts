// stat, lstat and readdir (paged in byte order of names).

import { CairnError } from '../../common/errors.js';
import { limits } from '../../common/limits.js';
import { toAttr, type Attr } from './attr.js';
import type { OpContext } from './context.js';
import { splitPath } from '../../common/paths.js';
import { R, X, checkAccess, lookup, mustGetInode, resolve, resolveParent } from './inodes.js';
import { keys, nameFromDirentKey, prefixEnd, type DirentRecord, type InodeRecord } from './records.js';

export async function stat(ctx: OpContext, path: string, follow: boolean): Promise<Attr> {
  const found = await resolve(ctx, path, follow);
  return toAttr(found.ino, found.rec);
}

/**
 * stat of `path`, or, when its last component is not there, the attributes of the directory
 * that lacks it (PathRequest.parent_when_absent): its version tells a mount that knows the
 * directory's names whether they are still all of them.
 */
export async function statOrParent(ctx: OpContext, path: string, follow: boolean): Promise<{ attr: Attr } | { parent: Attr }> {
  if (splitPath(path).length === 0) return { attr: await stat(ctx, path, follow) };
  const { dir, name } = await resolveParent(ctx, path);
  checkAccess(dir.rec, ctx.caller, X, path);
  const entry = await lookup(ctx, dir.ino, name);
  if (entry === undefined) return { parent: toAttr(dir.ino, dir.rec) };
  const rec = await mustGetInode(ctx.tx, entry.ino, path);
  // A symlink to follow leads elsewhere: resolved from the start, as stat does.
  if (rec.type === 'l' && follow) return { attr: await stat(ctx, path, true) };
  return { attr: toAttr(entry.ino, rec) };
}

export interface ReaddirPage {
  entries: Array<{ name: string; attr: Attr }>;
  more: boolean;
}

export async function readdir(ctx: OpContext, path: string, startAfter: string, limit: number): Promise<ReaddirPage> {
  const pageEntries = Math.min(limit || limits.readdirPageEntriesDefault, limits.readdirPageEntriesMax);
  const dir = await resolve(ctx, path, true);
  if (dir.rec.type !== 'd') throw new CairnError('ENOTDIR', undefined, { path });
  checkAccess(dir.rec, ctx.caller, R | X, path);
  ctx.guard?.(dir.ino);
  const prefix = keys.direntPrefix(dir.ino);
  const rows = await ctx.tx.range({
    ...(startAfter === '' ? { gte: prefix } : { gt: prefix + startAfter }),
    lt: prefixEnd(prefix),
    limit: pageEntries + 1,
  });
  const entries: ReaddirPage['entries'] = [];
  for (const [key, value] of rows.slice(0, pageEntries)) {
    const entry = JSON.parse(value) as DirentRecord;
    const rec = await ctx.tx.getJsonOnce<InodeRecord>(keys.inode(entry.ino));
    if (rec !== undefined) entries.push({ name: nameFromDirentKey(key), attr: toAttr(entry.ino, rec) });
  }
  return { entries, more: rows.length > pageEntries };
}
