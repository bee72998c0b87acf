// Operations on names and attributes: lookup, getattr, access, setattr, mkdir, mknod, symlink, link,
// unlink, rmdir and rename, each made as the calling process's uid/gid. A file whose last name is
// removed while it is open on this mount is kept under a hidden name until its last close.

import { randomBytes } from 'node:crypto';
import { constants as O } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { R, W, X, permits } from '../../common/access.js';
import { CairnError } from '../../common/errors.js';
import type { Changed } from '../sdk/client.js';
import type { Stats } from '../sdk/stats.js';
import type { CairnFs } from './cairn-fs.js';
import { monotonicMs } from './fast-lookups.js';
import { unlinkAhead } from './early-unlinks.js';
import { Errno, ESTALE } from './errno.js';
import type { AttrChanges } from './pending-attrs.js';
import * as P from './protocol.js';

const fileTypeBits = O.S_IFMT;

/** The answer to a lookup of a name known not to exist (one instance: no stack to capture each time). */
const absent = new Errno(osConstants.errno.ENOENT);

export async function lookup(fs: CairnFs, req: P.FuseRequest): Promise<Buffer> {
  const name = P.cStrings(req.body, 1)[0] as string;
  const now = Date.now();
  const listed = fs.listings.get(req.nodeid, name, now);
  if (listed !== undefined) return fs.entry(req, req.nodeid, name, listed);
  if (fs.complete.lacks(req.nodeid, name, monotonicMs())) throw absent;
  const path = fs.childPath(req.nodeid, name);
  let s: Stats;
  if (fs.complete.stale(req.nodeid, monotonicMs())) {
    // The directory's names are kept but not confirmed lately: an absent name brings its version
    // back, which confirms them (git looks up .git, .gitignore and .gitattributes in each
    // directory of a tree tar just wrote; the first goes to the namenode, the others no longer).
    const found = await fs.retrying(() => fs.root.lstatOrParent(path));
    if ('parent' in found) {
      fs.complete.confirmed(found.parent, monotonicMs());
      throw absent;
    }
    s = found.stats;
  } else s = await fs.retrying(() => fs.root.lstat(path));
  // Only names that exist count towards a run: a storm of creates looks up names that do not
  // exist yet, and pages fetched for it would hold nothing to answer from.
  if (fs.listings.missed(req.nodeid, name, now)) fs.statahead(req.nodeid, name);
  return fs.entry(req, req.nodeid, name, s);
}

export async function getattr(fs: CairnFs, req: P.FuseRequest): Promise<Buffer> {
  return fs.attrReply(await attrsOf(fs, req));
}

/** The request's node's attributes: cached, or asked of the namenode. */
async function attrsOf(fs: CairnFs, req: P.FuseRequest): Promise<P.KernelAttr> {
  const cached = fs.attrs.get(req.nodeid, Date.now());
  if (cached !== undefined) return cached;
  const path = fs.pathOf(req.nodeid);
  const s = await fs.retrying(() => fs.root.lstat(path));
  if (s.ino !== req.nodeid) throw new Errno(ESTALE);
  return fs.fetched(s, req);
}

/**
 * access(2), faccessat(2), chdir(2): sent only by a mount without default_permissions (root's,
 * without --allow-other: device.ts), whose callers are all root. Answered as the kernel's own
 * check would from the attributes: root may read and write anything and execute what has an
 * execute bit or is a directory; any other caller gets the bits of their class.
 */
export async function access(fs: CairnFs, req: P.FuseRequest): Promise<undefined> {
  const want = req.body.readUInt32LE(0) & (R | W | X); // F_OK (0) asks only that it exists
  const a = await attrsOf(fs, req);
  if (!permits(a, a.mode, (a.mode & fileTypeBits) === O.S_IFDIR, req, want)) throw new Errno(osConstants.errno.EACCES);
  return undefined;
}

export async function setattr(fs: CairnFs, req: P.FuseRequest): Promise<Buffer> {
  const a = P.parseSetattr(req.body);
  const V = P.setattrValid;
  // A close of the file answered ahead sends the changes it held first: one made after it must
  // not land before them (a chown clearing setuid, then a chmod held before it putting it back).
  await fs.closedAhead(req.nodeid);
  // So does a RELEASE received before it (the changes held while the file had a writer).
  await fs.releasing(req.nodeid);
  const client = fs.caller(req);
  const path = fs.pathOf(req.nodeid);
  const now = Date.now();
  if ((a.valid & V.SIZE) !== 0) {
    fs.pageVersions.changed(req.nodeid);
    if (await fs.files.truncateOpen(req.nodeid, a.sizeBytes)) {
      fs.dataChanged(req.nodeid);
    } else {
      await fs.retrying(() => client.truncate(path, a.sizeBytes));
      fs.invalidate(req, req.nodeid);
      fs.files.bumpVersion(req.nodeid);
    }
  }
  const changes: AttrChanges = {};
  // A directory's mode and group decide a new file's group: creates answered ahead there would
  // compose it from what they were before (early-creates.ts).
  if ((a.valid & (V.MODE | V.GID)) !== 0) fs.createGrants.drop(req.nodeid);
  if ((a.valid & V.MODE) !== 0) changes.mode = a.mode & 0o7777;
  if ((a.valid & V.UID) !== 0) changes.uid = a.uid;
  if ((a.valid & V.GID) !== 0) changes.gid = a.gid;
  if ((a.valid & V.ATIME) !== 0) changes.atimeMs = (a.valid & V.ATIME_NOW) !== 0 ? now : a.atimeMs;
  if ((a.valid & V.MTIME) !== 0) changes.mtimeMs = (a.valid & V.MTIME_NOW) !== 0 ? now : a.mtimeMs;
  // A chown (sent anyway), or a truncate by a caller without CAP_FSETID where the bits may be set.
  if ((a.valid & V.KILL_SUIDGID) !== 0 && ((a.valid & (V.UID | V.GID)) !== 0 || fs.maySetId(req.nodeid))) changes.killSuidgid = true;
  const changing = Object.keys(changes).length > 0;
  if (changing && fs.files.hasWriter(req.nodeid)) {
    // Held until the data is committed (pending-attrs.ts), which starts now (the close is likely next).
    fs.pending.add(req.nodeid, client, changes, now);
    if ((a.valid & V.SIZE) === 0) fs.files.endAhead(req.nodeid);
  } else if (changing) {
    const s = await fs.retrying(() => client.setAttributes(path, changes, { follow: false, expectIno: req.nodeid }));
    fs.invalidate(req, req.nodeid);
    return fs.attrReply(fs.fetched(s, req));
  }
  const cached = fs.attrs.get(req.nodeid, now);
  if (cached !== undefined) return fs.attrReply(cached);
  const s = await fs.retrying(() => fs.root.lstat(path));
  if (s.ino !== req.nodeid) throw new Errno(ESTALE);
  return fs.attrReply(fs.fetched(s, req));
}

export async function mkdir(fs: CairnFs, req: P.FuseRequest): Promise<Buffer> {
  const mode = req.body.readUInt32LE(0);
  const name = P.cStrings(req.body, 1, 8)[0] as string;
  const path = fs.childPath(req.nodeid, name);
  const client = fs.caller(req);
  let change: Changed | undefined;
  await fs.retrying(() => client.mkdir(path, { mode: mode & 0o7777, onChanged: (c) => void (change = c) }));
  fs.changed(req, change, [{ dir: req.nodeid, name, added: true }], req.nodeid);
  if (change?.node !== undefined) fs.complete.made(change.node, monotonicMs());
  return fs.entry(req, req.nodeid, name, change?.node ?? (await fs.retrying(() => client.lstat(path))));
}

/** Regular files only: Cairn has no devices, FIFOs or sockets. */
export async function mknod(fs: CairnFs, req: P.FuseRequest): Promise<Buffer> {
  const mode = req.body.readUInt32LE(0);
  const name = P.cStrings(req.body, 1, 16)[0] as string;
  if ((mode & fileTypeBits) !== O.S_IFREG) throw new CairnError('EPERM', 'only regular files, directories and symlinks exist in Cairn');
  const path = fs.childPath(req.nodeid, name);
  const client = fs.caller(req);
  let change: Changed | undefined;
  const handle = await fs.retrying(() => client.open(path, O.O_WRONLY | O.O_CREAT | O.O_EXCL, mode & 0o7777, { onChanged: (c) => void (change = c) }));
  fs.changed(req, change, [{ dir: req.nodeid, name, added: true }], req.nodeid);
  await handle.close();
  return fs.entry(req, req.nodeid, name, await fs.retrying(() => client.lstat(path)));
}

export async function symlink(fs: CairnFs, req: P.FuseRequest): Promise<Buffer> {
  const [name, target] = P.cStrings(req.body, 2) as [string, string];
  const path = fs.childPath(req.nodeid, name);
  const client = fs.caller(req);
  let change: Changed | undefined;
  await fs.retrying(() => client.symlink(target, path, { onChanged: (c) => void (change = c) }));
  fs.changed(req, change, [{ dir: req.nodeid, name, added: true }], req.nodeid);
  return fs.entry(req, req.nodeid, name, change?.node ?? (await fs.retrying(() => client.lstat(path))));
}

export async function link(fs: CairnFs, req: P.FuseRequest): Promise<Buffer> {
  const oldNode = Number(req.body.readBigUInt64LE(0));
  const name = P.cStrings(req.body, 1, 8)[0] as string;
  const existing = fs.pathOf(oldNode);
  const path = fs.childPath(req.nodeid, name);
  const client = fs.caller(req);
  let change: Changed | undefined;
  await fs.retrying(() => client.link(existing, path, { onChanged: (c) => void (change = c) }));
  fs.changed(req, change, [{ dir: req.nodeid, name, added: true }], req.nodeid, oldNode);
  return fs.entry(req, req.nodeid, name, change?.node ?? (await fs.retrying(() => client.lstat(path))));
}

export async function remove(fs: CairnFs, req: P.FuseRequest): Promise<undefined> {
  const name = P.cStrings(req.body, 1)[0] as string;
  const path = fs.childPath(req.nodeid, name);
  if (req.opcode === P.op.UNLINK && (await unlinkAhead(fs, req, name))) return undefined;
  const client = fs.caller(req);
  if (req.opcode === P.op.UNLINK && (await hideIfOpen(fs, req, req.nodeid, name)) !== undefined) return undefined;
  let change: Changed | undefined;
  const onChanged = (c: Changed): void => void (change = c);
  if (req.opcode === P.op.RMDIR) await fs.retrying(() => client.rmdir(path, { onChanged }));
  else await fs.retrying(() => client.unlink(path, { onChanged }));
  fs.changed(req, change, [{ dir: req.nodeid, name, added: false }], req.nodeid, ...fs.nodes.idsOf(req.nodeid, name));
  fs.listings.nameChanged(req.nodeid, name);
  fs.nodes.removed(req.nodeid, name);
  return undefined;
}

export async function rename(fs: CairnFs, req: P.FuseRequest): Promise<undefined> {
  const newParent = Number(req.body.readBigUInt64LE(0));
  const flags = req.opcode === P.op.RENAME2 ? req.body.readUInt32LE(8) : 0;
  const [name, newName] = P.cStrings(req.body, 2, req.opcode === P.op.RENAME2 ? 16 : 8) as [string, string];
  const src = fs.childPath(req.nodeid, name);
  const dst = fs.childPath(newParent, newName);
  const client = fs.caller(req);
  if ((flags & ~P.renameFlags.NOREPLACE) !== 0) throw new CairnError('EINVAL', 'RENAME_EXCHANGE and RENAME_WHITEOUT are not supported');
  if ((flags & P.renameFlags.NOREPLACE) !== 0 && (await fs.retrying(() => client.exists(dst)))) {
    throw new CairnError('EEXIST', undefined, { path: dst });
  }
  const hid = await hideIfOpen(fs, req, newParent, newName);
  let change: Changed | undefined;
  try {
    await fs.retrying(() => client.rename(src, dst, { onChanged: (c) => void (change = c) }));
  } catch (err) {
    if (hid !== undefined) await unhide(fs, req, hid, newName);
    throw err;
  }
  const edits = [
    { dir: req.nodeid, name, added: false },
    { dir: newParent, name: newName, added: true },
  ];
  fs.changed(req, change, edits, req.nodeid, newParent, ...fs.nodes.idsOf(req.nodeid, name), ...fs.nodes.idsOf(newParent, newName));
  fs.listings.nameChanged(req.nodeid, name);
  fs.listings.nameChanged(newParent, newName);
  fs.nodes.renamed(req.nodeid, name, newParent, newName);
  return undefined;
}

/**
 * Removing the last name of a file that is open on this mount would delete the inode under its
 * open descriptors (the namenode deletes at the last unlink). As libfuse does, the name is
 * renamed to a hidden one instead, removed at the last close. Returns the inode it hid.
 */
export async function hideIfOpen(fs: CairnFs, req: P.FuseRequest, parent: number, name: string): Promise<number | undefined> {
  const ino = fs.nodes.idsOf(parent, name)[0];
  if (ino === undefined) return undefined;
  if (!fs.files.openAfterReleases(ino)) return undefined;
  const path = fs.childPath(parent, name);
  const client = fs.caller(req);
  const s = await fs.retrying(() => fs.root.lstat(path));
  if (s.ino !== ino || !s.isFile() || s.nlink > 1) return undefined;
  const hiddenName = `.cairn-hidden-${ino.toString(16)}-${randomBytes(4).toString('hex')}`;
  await fs.retrying(() => client.rename(path, fs.childPath(parent, hiddenName)));
  fs.complete.forget(parent);
  fs.nodes.renamed(parent, name, parent, hiddenName);
  fs.listings.nameChanged(parent, name);
  fs.hidden.set(ino, { parent, name: hiddenName, client });
  fs.withdrawLookups(ino); // its other names now answer nlink 0
  fs.invalidate(req, parent, ino);
  return ino;
}

/** Gives a hidden file its name back (the rename that hid it failed). */
export async function unhide(fs: CairnFs, req: P.FuseRequest, ino: number, name: string): Promise<void> {
  const hidden = fs.hidden.get(ino);
  if (hidden === undefined) return;
  const { parent } = hidden;
  await fs.retrying(() => hidden.client.rename(fs.childPath(parent, hidden.name), fs.childPath(parent, name))).catch(() => undefined);
  fs.hidden.delete(ino);
  fs.complete.forget(parent);
  fs.nodes.renamed(parent, hidden.name, parent, name);
  fs.listings.nameChanged(parent, hidden.name);
  fs.listings.nameChanged(parent, name);
  fs.invalidate(req, parent, ino);
}

/** The last close of a file hidden by hideIfOpen: now it goes. */
export async function removeHidden(fs: CairnFs, ino: number): Promise<void> {
  const hidden = fs.hidden.get(ino);
  if (hidden === undefined) return;
  fs.hidden.delete(ino);
  const path = fs.nodes.childPath(hidden.parent, hidden.name);
  if (path === undefined) return;
  await fs.retrying(() => hidden.client.unlink(path)).catch((err: unknown) => fs.o.log.warn({ err, path }, 'removing a hidden unlinked file failed'));
  fs.complete.forget(hidden.parent);
  fs.nodes.removed(hidden.parent, hidden.name);
  fs.listings.nameChanged(hidden.parent, hidden.name);
  fs.attrs.invalidate(hidden.parent, ino);
}
