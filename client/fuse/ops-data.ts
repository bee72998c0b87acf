// Operations on file data: open, create, read and write (flush, fsync and release are in the
// session's dispatch: they only forward to open-files.ts).

import { constants as O } from 'node:fs';
import { CairnError } from '../../common/errors.js';
import type { Changed, Granted } from '../sdk/client.js';
import { createAhead } from './early-creates.js';
import { monotonicMs } from './fast-lookups.js';
import type { CairnFs, Reply } from './cairn-fs.js';
import * as P from './protocol.js';

export async function open(fs: CairnFs, req: P.FuseRequest): Promise<Buffer> {
  const flags = req.body.readUInt32LE(0);
  await fs.closedAhead(req.nodeid); // a close of the file answered ahead settles first
  const path = fs.pathOf(req.nodeid);
  const opened = await fs.retrying(() => fs.files.open({ client: fs.caller(req), path, ino: req.nodeid, flags, mode: 0 }));
  // A writer here (access mode bits 3: O_WRONLY, O_RDWR) changes what a lookup of the file
  // answers: its size as this mount sees it.
  if ((flags & 3) !== O.O_RDONLY || (flags & O.O_TRUNC) !== 0) fs.withdrawLookups(req.nodeid);
  // The namenode's answer to the open is the freshest there is (close-to-open); the kernel asks
  // for it before it next uses the file's size.
  if (opened.stats !== undefined) fs.fetched(opened.stats, req);
  if ((P.openInFlagsOf(req.body) & P.openKillSuidgid) !== 0) fs.killSetIdAtCommit(req); // O_TRUNC clears them as a truncate does
  fs.kernelForgets(req.nodeid);
  // The kernel keeps its cached pages only if they hold the version this open found (page-versions.ts).
  const keep = fs.pageVersions.opened(opened.fh, opened.ino, opened.version);
  // No FOPEN_NOFLUSH for read-only handles, though they have nothing to flush: close(2) would
  // return before the kernel sends RELEASE (deferred while a readahead READ is in flight), and
  // an open right after would find the pages' version not yet confirmed (page-versions.ts) and
  // read the file again. The FLUSH is answered on the fast path.
  return P.openOut(opened.fh, keep ? P.openFlagsOut.KEEP_CACHE : 0);
}

export async function create(fs: CairnFs, req: P.FuseRequest): Promise<Buffer> {
  const flags = req.body.readUInt32LE(0);
  const mode = req.body.readUInt32LE(4);
  const name = P.cStrings(req.body, 1, 16)[0] as string;
  const ahead = await createAhead(fs, req, flags, mode, name);
  if (ahead !== undefined) return ahead;
  const path = fs.childPath(req.nodeid, name);
  const client = fs.caller(req);
  let change: Changed | undefined;
  const onChanged = (c: Changed): void => void (change = c);
  // A create of a name this mount knows is absent may get the directory's grant (early-creates.ts).
  const sentAtMs = monotonicMs();
  const asking = fs.o.createsAhead === true && req.uid === 0 && fs.complete.lacks(req.nodeid, name, sentAtMs);
  let granted: Granted | undefined;
  const wants = asking ? fs.createGrants.wants(req.nodeid, sentAtMs) : undefined;
  const onGranted = (g: Granted): void => {
    granted = g;
    if (wants !== undefined && wants.reserve > 0) fs.createGrants.reserved(g.reservedFrom, g.reservedCount);
  };
  const grant = wants !== undefined ? { ...wants, onGranted } : undefined;
  let opened;
  try {
    opened = await fs.retrying(() => fs.files.open({ client, path, ino: undefined, flags: flags | O.O_CREAT, mode, onChanged, ...(grant !== undefined && { grant }) }));
  } finally {
    if (wants !== undefined && wants.reserve > 0 && granted === undefined) fs.createGrants.reserved(0, 0);
  }
  fs.changed(req, change, [{ dir: req.nodeid, name, added: true }], req.nodeid);
  const g = granted as Granted | undefined;
  if (g !== undefined && g.grantMs > 0 && opened.stats !== undefined) {
    // Given only to a create that made the file: what a new file gets here.
    fs.createGrants.defaults = { replication: opened.stats.replication, chunkSizeBytes: opened.stats.chunkSize, leaseMs: g.leaseMs };
  }
  if (g !== undefined) fs.createGrants.answered(req.nodeid, sentAtMs, g.grantMs, change?.dirs.find((d) => d.ino === req.nodeid));
  const fh = opened.fh;
  try {
    const a = fs.fetched(opened.stats ?? (await fs.retrying(() => client.lstat(path))), req);
    fs.withdrawLookups(a.ino); // an existing file opened without O_EXCL: now with a writer here
    fs.pageVersions.opened(fh, a.ino, undefined);
    fs.nodes.remember(req.nodeid, name, a.ino, false);
    return P.createOut(fs.visible(a), fs.o.cacheMs, fs.attrValidMs(a), fh);
  } catch (err) {
    fs.pageVersions.released(fh);
    await fs.files.release(fh);
    throw err;
  }
}

export async function read(fs: CairnFs, req: P.FuseRequest): Promise<Reply> {
  const { fh, offset, size } = P.parseRead(req.body);
  const out = Buffer.allocUnsafe(P.outHeaderBytes + size);
  const n = await fs.files.read(fh, out, P.outHeaderBytes, size, offset);
  return { inPlace: n === size ? out : out.subarray(0, P.outHeaderBytes + n) };
}

export async function write(fs: CairnFs, req: P.FuseRequest): Promise<Buffer> {
  const { fh, offset, size } = P.parseRead(req.body);
  // The request buffer belongs to this request alone, so the SDK may keep the bytes (retaining
  // the buffer, when the device lends it, for as long as it does).
  const data = req.body.subarray(P.writeInBytes, P.writeInBytes + size);
  if (data.length !== size) throw new CairnError('EINVAL', 'short write request');
  const written = await fs.files.write(fh, data, offset, req.retain);
  fs.dataChanged(req.nodeid);
  fs.listings.inodesChanged([req.nodeid]);
  fs.pending.written(req.nodeid);
  if ((P.writeFlagsOf(req.body) & P.writeKillSuidgid) !== 0) fs.killSetIdAtCommit(req);
  return P.writeOut(written);
}
