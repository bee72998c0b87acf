// Directory listings, statfs and extended attributes.

import { CairnError } from '../../common/errors.js';
import type { Stats } from '../sdk/stats.js';
import type { CairnFs } from './cairn-fs.js';
import * as P from './protocol.js';

/** A listed name, with its attributes as the namenode gave them with the listing ('.' and '..' without). */
type ListedEntry = P.DirentOut & { stats?: Stats };

/** A directory open on this mount, with the listing its first READDIR read. */
export interface OpenDir {
  ino: number;
  entries: ListedEntry[] | undefined;
  /** `DirListings.begin()` before the listing was fetched, and when it came (Date.now() ms). */
  since: number;
  fetchedMs: number;
}

export function opendir(fs: CairnFs, req: P.FuseRequest): Buffer {
  fs.pathOf(req.nodeid); // ENOENT for a removed directory
  const fh = fs.nextDirFh++;
  fs.dirs.set(fh, { ino: req.nodeid, entries: undefined, since: 0, fetchedMs: 0 });
  return P.openOut(fh);
}

export async function readdir(fs: CairnFs, req: P.FuseRequest): Promise<Buffer> {
  const { dir, offset, size } = await listing(fs, req);
  return P.direntsOut(dir.entries, offset, size);
}

/**
 * READDIRPLUS: the listing with each name's attributes, which the kernel takes as a lookup of the
 * name (so `ls -l`, find, du, rm and git status ask no LOOKUP per name). Only while the listing
 * is as fresh as a lookup answered from it would be (dir-listings.ts): at most `--cache-ms` old,
 * and the name and its inode untouched by changes through this mount since it was fetched;
 * other names go without attributes (node id 0), as plain READDIR gives them.
 */
export async function readdirplus(fs: CairnFs, req: P.FuseRequest): Promise<Buffer> {
  const { dir, offset, size } = await listing(fs, req);
  const fresh = Date.now() - dir.fetchedMs < fs.o.cacheMs;
  const changed = fresh ? fs.listings.changesSince(dir.ino, dir.since) : undefined;
  return P.direntsPlusOut(dir.entries, offset, size, (entry) => {
    const s = entry.stats;
    if (changed === undefined || s === undefined || changed.names.has(entry.name) || changed.inos.has(s.ino)) return undefined;
    return fs.entryPlus(req, dir.ino, entry.name, s);
  });
}

/** The open directory of a READDIR(PLUS), its listing read whole at its start (offset 0, also after rewinddir). */
async function listing(fs: CairnFs, req: P.FuseRequest): Promise<{ dir: OpenDir & { entries: ListedEntry[] }; offset: number; size: number }> {
  const { fh, offset, size } = P.parseRead(req.body);
  const dir = fs.dirs.get(fh);
  if (dir === undefined) throw new CairnError('EBADF', 'directory not open');
  if (dir.entries === undefined || offset === 0) {
    const path = fs.pathOf(dir.ino);
    const since = fs.listings.begin();
    const listed = await fs.retrying(() => fs.root.readdir(path, { withFileTypes: true }));
    const fetchedMs = Date.now();
    // The lookups that usually follow (ls -l, find, rm -r) are answered from it.
    fs.listings.put(dir.ino, listed.map((d): [string, Stats] => [d.name, d.stats]), since, fetchedMs);
    dir.since = since;
    dir.fetchedMs = fetchedMs;
    dir.entries = [
      { ino: dir.ino, name: '.', type: P.direntType.DIRECTORY },
      { ino: fs.nodes.parentOf(dir.ino), name: '..', type: P.direntType.DIRECTORY },
      ...listed.map((d) => ({
        ino: d.stats.ino,
        name: d.name,
        type: d.isDirectory() ? P.direntType.DIRECTORY : d.isSymbolicLink() ? P.direntType.SYMLINK : P.direntType.FILE,
        stats: d.stats,
      })),
    ];
  }
  return { dir: dir as OpenDir & { entries: ListedEntry[] }, offset, size };
}

export async function statfs(fs: CairnFs): Promise<Buffer> {
  const s = await fs.retrying(() => fs.root.statfs());
  const block = 4096;
  const files = 2 ** 32;
  return P.statfsOut({
    blocks: Math.floor(s.capacityBytes / block),
    blocksFree: Math.floor(s.availableBytes / block),
    blocksAvailable: Math.floor(s.availableBytes / block),
    files,
    filesFree: files,
    blockSizeBytes: block,
    nameBytesMax: 255,
  });
}

export async function setxattr(fs: CairnFs, req: P.FuseRequest): Promise<undefined> {
  const size = req.body.readUInt32LE(0);
  const flags = req.body.readUInt32LE(4);
  const name = P.cStrings(req.body, 1, 8)[0] as string;
  const valueAt = 8 + Buffer.byteLength(name) + 1;
  const value = Buffer.from(req.body.subarray(valueAt, valueAt + size));
  // File capabilities would have to be honoured by the kernel at exec and dropped at every
  // write; Cairn does not store them (getxattr answers ENODATA at once, see below).
  if (name === 'security.capability') throw new CairnError('ENOTSUP', 'file capabilities are not supported');
  const flag = (flags & P.xattrFlags.CREATE) !== 0 ? 'create' : (flags & P.xattrFlags.REPLACE) !== 0 ? 'replace' : undefined;
  if ((flags & P.xattrFlags.CREATE) !== 0 && (flags & P.xattrFlags.REPLACE) !== 0) throw new CairnError('EINVAL', 'XATTR_CREATE with XATTR_REPLACE');
  const path = fs.pathOf(req.nodeid);
  await fs.retrying(() => fs.caller(req).setxattr(path, name, value, { ...(flag !== undefined && { flag }), follow: false }));
  fs.invalidate(req, req.nodeid);
  return undefined;
}

export async function getxattr(fs: CairnFs, req: P.FuseRequest): Promise<Buffer> {
  const size = req.body.readUInt32LE(0);
  const name = P.cStrings(req.body, 1, 8)[0] as string;
  // The kernel asks for this one before writes to a file; answering here saves a round trip.
  if (name === 'security.capability') throw new CairnError('ENODATA');
  // A file that never had one has none to give: `ls -l` asks every file for security.selinux.
  if (fs.lacksXattrs(req.nodeid)) throw new CairnError('ENODATA');
  const path = fs.pathOf(req.nodeid);
  const value = await fs.retrying(() => fs.caller(req).getxattr(path, name, { follow: false }));
  return sized(value, size);
}

export async function listxattr(fs: CairnFs, req: P.FuseRequest): Promise<Buffer> {
  const size = req.body.readUInt32LE(0);
  if (fs.lacksXattrs(req.nodeid)) return sized(Buffer.alloc(0), size);
  const path = fs.pathOf(req.nodeid);
  const names = await fs.retrying(() => fs.caller(req).listxattr(path, { follow: false }));
  return sized(Buffer.concat(names.map((n) => Buffer.from(`${n}\0`))), size);
}

/** getxattr/listxattr answers: the size alone when asked with size 0, ERANGE when it does not fit. */
function sized(value: Buffer, size: number): Buffer {
  if (size === 0) return P.xattrSizeOut(value.length);
  if (value.length > size) throw new CairnError('ERANGE');
  return value;
}
