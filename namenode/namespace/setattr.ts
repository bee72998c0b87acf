// chmod, chown, utimes and setReplication: one batch each, with POSIX ownership rules.

import { inGroup } from '../../common/access.js';
import { withoutSuidgid, type AttrChanges } from '../../common/attr-changes.js';
import { CairnError } from '../../common/errors.js';
import { limits } from '../../common/limits.js';
import { toAttr, type Attr } from './attr.js';
import type { OpContext } from './context.js';
import { W, checkExpectedInode, checkOwner, mayAccess, putInode, resolve } from './inodes.js';
import type { InodeRecord } from './records.js';

export type { AttrChanges };

/** `expectIno`: change the file only while `path` names that inode (ESTALE when it names another). */
export async function setAttr(ctx: OpContext, path: string, follow: boolean, changes: AttrChanges, expectIno?: number): Promise<Attr> {
  const { ino, rec } = await resolve(ctx, path, follow);
  checkExpectedInode(ino, expectIno, path);
  return applyAttrChanges(ctx, ino, rec, changes, path);
}

/**
 * The changes to one inode, if the caller may make them (POSIX's ownership rules), as one put;
 * throws before writing anything if not. `path` only names the inode in errors.
 */
export function applyAttrChanges(ctx: OpContext, ino: number, rec: InodeRecord, changes: AttrChanges, path: string): Attr {
  const next = { ...rec };
  const { caller } = ctx;
  // A directory's mode and group decide a new file's group (setgid): a mount answering creates
  // there ahead composes them from what it saw (namenode/grants.ts).
  if (rec.type === 'd' && (changes.mode !== undefined || changes.gid !== undefined)) ctx.guard?.(ino);
  if (changes.mode !== undefined) {
    checkOwner(rec, caller, path);
    next.mode = changes.mode & 0o7777;
    // A non-root owner outside the file's group cannot set the setgid bit (Linux clears it).
    if (caller.uid !== 0 && !inGroup(caller, rec.gid)) next.mode &= ~0o2000;
  }
  if (changes.uid !== undefined && changes.uid !== rec.uid) {
    if (caller.uid !== 0) throw new CairnError('EPERM', 'only root may change the owner', { path });
    next.uid = changes.uid;
  }
  if (changes.gid !== undefined && changes.gid !== rec.gid) {
    if (caller.uid !== 0 && (caller.uid !== rec.uid || !inGroup(caller, changes.gid))) {
      throw new CairnError('EPERM', 'only root, or the owner to one of its groups, may change the group', { path });
    }
    next.gid = changes.gid;
  }
  if (changes.uid !== undefined || changes.gid !== undefined) {
    if (caller.uid !== 0 && rec.type === 'f') next.mode &= ~0o6000; // chown clears setuid/setgid
  }
  if (changes.killSuidgid === true && rec.type === 'f') next.mode = withoutSuidgid(next.mode);
  if (changes.atimeMs !== undefined || changes.mtimeMs !== undefined) {
    // Setting explicit times needs ownership; "now" would also be allowed with write access.
    if (caller.uid !== 0 && caller.uid !== rec.uid && !mayAccess(rec, caller, W)) {
      throw new CairnError('EPERM', 'only the owner may set times', { path });
    }
    if (changes.atimeMs !== undefined) next.atime = checkTime(changes.atimeMs, path);
    if (changes.mtimeMs !== undefined) next.mtime = checkTime(changes.mtimeMs, path);
  }
  next.ctime = ctx.nowMs;
  putInode(ctx.tx, ino, next);
  return toAttr(ino, next);
}

export async function setReplication(ctx: OpContext, path: string, replication: number): Promise<Attr> {
  if (!Number.isInteger(replication) || replication < 1 || replication > limits.replicationMax) {
    throw new CairnError('EINVAL', `replication must be 1..${limits.replicationMax}`, { path });
  }
  const { ino, rec } = await resolve(ctx, path, true);
  if (rec.type !== 'f') throw new CairnError('EISDIR', 'replication applies to files', { path });
  checkOwner(rec, ctx.caller, path);
  const next = { ...rec, rep: replication, ctime: ctx.nowMs };
  putInode(ctx.tx, ino, next);
  return toAttr(ino, next);
}

function checkTime(ms: number, path: string): number {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new CairnError('EINVAL', 'time out of range', { path });
  return ms;
}
