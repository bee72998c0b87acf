// The FUSE kernel protocol (linux/fuse.h, version 7.x) as pure encoders and decoders: request
// headers and bodies in, reply bodies out. No I/O here; device.ts moves the bytes.
//
// Every request starts with fuse_in_header (40 bytes); every reply with fuse_out_header (16
// bytes: total length, negative errno or 0, and the request's `unique`). Structures are little
// endian and 64-bit aligned. Only the parts Cairn uses are described; unknown opcodes get ENOSYS.

export const protocolMajor = 7;
/** The newest minor version these layouts describe (linux/fuse.h of Debian 12). */
export const protocolMinorMax = 38;

export const op = {
  LOOKUP: 1,
  FORGET: 2,
  GETATTR: 3,
  SETATTR: 4,
  READLINK: 5,
  SYMLINK: 6,
  MKNOD: 8,
  MKDIR: 9,
  UNLINK: 10,
  RMDIR: 11,
  RENAME: 12,
  LINK: 13,
  OPEN: 14,
  READ: 15,
  WRITE: 16,
  STATFS: 17,
  RELEASE: 18,
  FSYNC: 20,
  SETXATTR: 21,
  GETXATTR: 22,
  LISTXATTR: 23,
  REMOVEXATTR: 24,
  FLUSH: 25,
  INIT: 26,
  OPENDIR: 27,
  READDIR: 28,
  RELEASEDIR: 29,
  FSYNCDIR: 30,
  ACCESS: 34,
  CREATE: 35,
  INTERRUPT: 36,
  DESTROY: 38,
  BATCH_FORGET: 42,
  READDIRPLUS: 44,
  RENAME2: 45,
} as const;

export const opNames: Record<number, string> = Object.fromEntries(Object.entries(op).map(([name, code]) => [code, name.toLowerCase()]));

/** fuse_init_out flags Cairn asks for. */
export const initFlags = {
  ASYNC_READ: 1 << 0,
  ATOMIC_O_TRUNC: 1 << 3,
  BIG_WRITES: 1 << 5,
  /** READDIRPLUS: a listing carries each entry's attributes, so `ls -l`, find and rm need no LOOKUP per name. */
  DO_READDIRPLUS: 1 << 13,
  /** ...but only where the kernel sees lookups follow a listing (and for its first page). */
  READDIRPLUS_AUTO: 1 << 14,
  PARALLEL_DIROPS: 1 << 18,
  MAX_PAGES: 1 << 22,
  /** The server clears setuid/setgid on write, chown and truncate (the kernel tells it when: the *_KILL_SUIDGID flags below). */
  HANDLE_KILLPRIV_V2: 1 << 28,
} as const;

export const setattrValid = {
  MODE: 1 << 0,
  UID: 1 << 1,
  GID: 1 << 2,
  SIZE: 1 << 3,
  ATIME: 1 << 4,
  MTIME: 1 << 5,
  FH: 1 << 6,
  ATIME_NOW: 1 << 7,
  MTIME_NOW: 1 << 8,
  /** FATTR_KILL_SUIDGID (HANDLE_KILLPRIV_V2): a chown of a file, or a truncate by a caller without CAP_FSETID. */
  KILL_SUIDGID: 1 << 11,
} as const;

/** fuse_write_in write_flags: FUSE_WRITE_KILL_SUIDGID (HANDLE_KILLPRIV_V2, a writer without CAP_FSETID). */
export const writeKillSuidgid = 1 << 2;
/** fuse_open_in open_flags: FUSE_OPEN_KILL_SUIDGID (HANDLE_KILLPRIV_V2, O_TRUNC by a caller without CAP_FSETID). */
export const openKillSuidgid = 1 << 0;

export const renameFlags = { NOREPLACE: 1, EXCHANGE: 2, WHITEOUT: 4 } as const;
export const xattrFlags = { CREATE: 1, REPLACE: 2 } as const;

export const inHeaderBytes = 40;
export const outHeaderBytes = 16;
export const attrBytes = 88;
export const entryOutBytes = 40 + attrBytes;
export const attrOutBytes = 16 + attrBytes;
export const openOutBytes = 16;

/** A request as read from /dev/fuse; `body` is what follows the header. */
export interface FuseRequest {
  opcode: number;
  unique: bigint;
  nodeid: number;
  uid: number;
  gid: number;
  pid: number;
  body: Buffer;
  /**
   * For a request read into a buffer the device uses again (a large WRITE): `retain` keeps the
   * buffer for whoever keeps the bytes past the request (an upload), returning that holder's
   * release; `release` is the request's own, once it is handled (device.ts, RequestBuffers).
   */
  retain?: () => () => void;
  release?: () => void;
}

export function parseRequest(buf: Buffer): FuseRequest {
  if (buf.length < inHeaderBytes) throw new Error(`short FUSE request: ${buf.length} bytes`);
  const len = buf.readUInt32LE(0);
  if (len > buf.length || len < inHeaderBytes) throw new Error(`FUSE request length ${len} does not match ${buf.length} bytes read`);
  return {
    opcode: buf.readUInt32LE(4),
    unique: buf.readBigUInt64LE(8),
    nodeid: Number(buf.readBigUInt64LE(16)),
    uid: buf.readUInt32LE(24),
    gid: buf.readUInt32LE(28),
    pid: buf.readUInt32LE(32),
    body: buf.subarray(inHeaderBytes, len),
  };
}

/** A whole reply: header plus payload. `errno` is positive (ENOENT = 2) or 0. */
export function encodeReply(unique: bigint, errno: number, payload?: Buffer): Buffer {
  const out = Buffer.allocUnsafe(outHeaderBytes + (errno === 0 && payload !== undefined ? payload.length : 0));
  writeOutHeader(out, unique, errno);
  if (errno === 0 && payload !== undefined) payload.copy(out, outHeaderBytes);
  return out;
}

/** Fills the header of a reply buffer that already holds its payload at offset 16. */
export function writeOutHeader(out: Buffer, unique: bigint, errno: number): void {
  out.writeUInt32LE(out.length, 0);
  out.writeInt32LE(-errno, 4);
  out.writeBigUInt64LE(unique, 8);
}

// ---------------------------------------------------------------------------------------------
// Attributes

/** What the kernel needs to know about an inode (fuse_attr). Times in ms. */
export interface KernelAttr {
  ino: number;
  sizeBytes: number;
  /** S_IFMT type bits and permission bits together. */
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  atimeMs: number;
  mtimeMs: number;
  ctimeMs: number;
  /** The inode never had an extended attribute, as the namenode said (not sent to the kernel). */
  noXattrs?: boolean;
}

export const blockSizeBytes = 128 * 1024;

export function writeAttr(out: Buffer, at: number, a: KernelAttr): void {
  out.writeBigUInt64LE(BigInt(a.ino), at);
  out.writeBigUInt64LE(BigInt(a.sizeBytes), at + 8);
  out.writeBigUInt64LE(BigInt(Math.ceil(a.sizeBytes / 512)), at + 16);
  writeTime(out, at + 24, at + 48, a.atimeMs);
  writeTime(out, at + 32, at + 52, a.mtimeMs);
  writeTime(out, at + 40, at + 56, a.ctimeMs);
  out.writeUInt32LE(a.mode >>> 0, at + 60);
  out.writeUInt32LE(a.nlink >>> 0, at + 64);
  out.writeUInt32LE(a.uid >>> 0, at + 68);
  out.writeUInt32LE(a.gid >>> 0, at + 72);
  out.writeUInt32LE(0, at + 76); // rdev
  out.writeUInt32LE(blockSizeBytes, at + 80);
  out.writeUInt32LE(0, at + 84); // flags
}

function writeTime(out: Buffer, secAt: number, nsecAt: number, ms: number): void {
  const whole = Math.max(0, Math.floor(ms));
  out.writeBigUInt64LE(BigInt(Math.floor(whole / 1000)), secAt);
  out.writeUInt32LE((whole % 1000) * 1_000_000, nsecAt);
}

/** Cache lifetimes in ms, split into seconds and nanoseconds for the kernel. */
function writeValid(out: Buffer, secAt: number, nsecAt: number, ms: number): void {
  out.writeBigUInt64LE(BigInt(Math.floor(ms / 1000)), secAt);
  out.writeUInt32LE((ms % 1000) * 1_000_000, nsecAt);
}

export function entryOut(a: KernelAttr, entryValidMs: number, attrValidMs: number): Buffer {
  const out = Buffer.alloc(entryOutBytes);
  writeEntryOut(out, 0, a, entryValidMs, attrValidMs);
  return out;
}

function writeEntryOut(out: Buffer, at: number, a: KernelAttr, entryValidMs: number, attrValidMs: number): void {
  out.writeBigUInt64LE(BigInt(a.ino), at); // nodeid: Cairn inode numbers are never reused
  out.writeBigUInt64LE(0n, at + 8); // generation
  writeValid(out, at + 16, at + 32, entryValidMs);
  writeValid(out, at + 24, at + 36, attrValidMs);
  writeAttr(out, at + 40, a);
}

export function attrOut(a: KernelAttr, attrValidMs: number): Buffer {
  const out = Buffer.alloc(attrOutBytes);
  writeValid(out, 0, 8, attrValidMs);
  writeAttr(out, 16, a);
  return out;
}

export const openFlagsOut = { DIRECT_IO: 1 << 0, KEEP_CACHE: 1 << 1 } as const;

export function openOut(fh: number, openFlags = 0): Buffer {
  const out = Buffer.alloc(openOutBytes);
  out.writeBigUInt64LE(BigInt(fh), 0);
  out.writeUInt32LE(openFlags, 8);
  return out;
}

export function createOut(a: KernelAttr, entryValidMs: number, attrValidMs: number, fh: number, openFlags = 0): Buffer {
  return Buffer.concat([entryOut(a, entryValidMs, attrValidMs), openOut(fh, openFlags)]);
}

export function writeOut(size: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeUInt32LE(size, 0);
  return out;
}

/** getxattr/listxattr with size 0: how big the answer would be. */
export function xattrSizeOut(size: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeUInt32LE(size, 0);
  return out;
}

export interface StatfsOut {
  blocks: number;
  blocksFree: number;
  blocksAvailable: number;
  files: number;
  filesFree: number;
  blockSizeBytes: number;
  nameBytesMax: number;
}

export function statfsOut(s: StatfsOut): Buffer {
  const out = Buffer.alloc(80);
  out.writeBigUInt64LE(BigInt(s.blocks), 0);
  out.writeBigUInt64LE(BigInt(s.blocksFree), 8);
  out.writeBigUInt64LE(BigInt(s.blocksAvailable), 16);
  out.writeBigUInt64LE(BigInt(s.files), 24);
  out.writeBigUInt64LE(BigInt(s.filesFree), 32);
  out.writeUInt32LE(s.blockSizeBytes, 40); // bsize
  out.writeUInt32LE(s.nameBytesMax, 44);
  out.writeUInt32LE(s.blockSizeBytes, 48); // frsize
  return out;
}

// ---------------------------------------------------------------------------------------------
// Directory listings

export const direntType = { FILE: 8, DIRECTORY: 4, SYMLINK: 10 } as const;

export interface DirentOut {
  ino: number;
  name: string;
  type: number;
}

/** An entry of a READDIRPLUS reply: the entry reply the kernel takes as a lookup of the name. */
export interface EntryPlus {
  attr: KernelAttr;
  entryValidMs: number;
  attrValidMs: number;
}

/**
 * READDIRPLUS records (fuse_direntplus: an entry reply, then the dirent) from `entries[from]` on,
 * as many as fit in `sizeBytes`. `plus` is asked only for the records that fit, in order, and
 * says what the kernel is to take as a lookup of the name (counted by the caller then), or
 * undefined for a name given without (node id 0: the kernel makes no dentry of it).
 */
export function direntsPlusOut<E extends DirentOut>(entries: readonly E[], from: number, sizeBytes: number, plus: (entry: E) => EntryPlus | undefined): Buffer {
  return dirents(entries, from, sizeBytes, entryOutBytes, (record, entry) => {
    const given = plus(entry);
    if (given !== undefined) writeEntryOut(record, 0, given.attr, given.entryValidMs, given.attrValidMs);
  });
}

/**
 * As many entries from `entries[from..]` as fit in `sizeBytes` (fuse_dirent records, each
 * padded to 8 bytes). Each record's `off` is the index of the entry after it, so a listing
 * resumes where the kernel stopped.
 */
export function direntsOut(entries: readonly DirentOut[], from: number, sizeBytes: number): Buffer {
  return dirents(entries, from, sizeBytes, 0);
}

/**
 * Records of `headBytes` (zeroed, then filled by `head` for each record that fits) followed by
 * a fuse_dirent, for READDIR (no head) and READDIRPLUS (an entry reply).
 */
function dirents<E extends DirentOut>(entries: readonly E[], from: number, sizeBytes: number, headBytes: number, head?: (record: Buffer, entry: E) => void): Buffer {
  const parts: Buffer[] = [];
  let used = 0;
  for (let i = from; i < entries.length; i++) {
    const entry = entries[i] as E;
    const name = Buffer.from(entry.name);
    const recordBytes = align8(headBytes + 24 + name.length);
    if (used + recordBytes > sizeBytes) break;
    const record = Buffer.alloc(recordBytes);
    head?.(record, entry);
    record.writeBigUInt64LE(BigInt(entry.ino), headBytes);
    record.writeBigUInt64LE(BigInt(i + 1), headBytes + 8);
    record.writeUInt32LE(name.length, headBytes + 16);
    record.writeUInt32LE(entry.type, headBytes + 20);
    name.copy(record, headBytes + 24);
    parts.push(record);
    used += recordBytes;
  }
  return Buffer.concat(parts, used);
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

// ---------------------------------------------------------------------------------------------
// Request bodies

/** NUL-terminated strings at the start of a body ("name\0" or "name\0target\0"). */
export function cStrings(body: Buffer, count: number, from = 0): string[] {
  const out: string[] = [];
  let at = from;
  for (let i = 0; i < count; i++) {
    const end = body.indexOf(0, at);
    if (end < 0) throw new Error('unterminated string in FUSE request');
    out.push(body.toString('utf8', at, end));
    at = end + 1;
  }
  return out;
}

export interface InitIn {
  major: number;
  minor: number;
  maxReadaheadBytes: number;
  flags: number;
}

export function parseInit(body: Buffer): InitIn {
  return { major: body.readUInt32LE(0), minor: body.readUInt32LE(4), maxReadaheadBytes: body.readUInt32LE(8), flags: body.readUInt32LE(12) };
}

export interface InitOut {
  minor: number;
  maxReadaheadBytes: number;
  flags: number;
  maxBackground: number;
  congestionThreshold: number;
  maxWriteBytes: number;
  timeGranularityNs: number;
  maxPages: number;
}

export function initOut(o: InitOut): Buffer {
  const out = Buffer.alloc(64);
  out.writeUInt32LE(protocolMajor, 0);
  out.writeUInt32LE(o.minor, 4);
  out.writeUInt32LE(o.maxReadaheadBytes, 8);
  out.writeUInt32LE(o.flags >>> 0, 12);
  out.writeUInt16LE(o.maxBackground, 16);
  out.writeUInt16LE(o.congestionThreshold, 18);
  out.writeUInt32LE(o.maxWriteBytes, 20);
  out.writeUInt32LE(o.timeGranularityNs, 24);
  out.writeUInt16LE(o.maxPages, 28);
  return out;
}

export interface SetattrIn {
  valid: number;
  fh: number;
  sizeBytes: number;
  atimeMs: number;
  mtimeMs: number;
  mode: number;
  uid: number;
  gid: number;
}

export function parseSetattr(body: Buffer): SetattrIn {
  const time = (secAt: number, nsecAt: number): number =>
    Number(body.readBigUInt64LE(secAt)) * 1000 + Math.floor(body.readUInt32LE(nsecAt) / 1_000_000);
  return {
    valid: body.readUInt32LE(0),
    fh: Number(body.readBigUInt64LE(8)),
    sizeBytes: Number(body.readBigUInt64LE(16)),
    atimeMs: time(32, 56),
    mtimeMs: time(40, 60),
    mode: body.readUInt32LE(68),
    uid: body.readUInt32LE(76),
    gid: body.readUInt32LE(80),
  };
}

export interface ReadIn {
  fh: number;
  offset: number;
  size: number;
}

/** fuse_read_in; also the start of fuse_write_in (fh, offset, size). */
export function parseRead(body: Buffer): ReadIn {
  return { fh: Number(body.readBigUInt64LE(0)), offset: Number(body.readBigUInt64LE(8)), size: body.readUInt32LE(16) };
}

/** fuse_write_in is 40 bytes at minor >= 9; the data follows. */
export const writeInBytes = 40;

/** fuse_open_in's open_flags (after the open(2) flags). */
export function openInFlagsOf(body: Buffer): number {
  return body.length >= 8 ? body.readUInt32LE(4) : 0;
}

/** fuse_write_in's write_flags (after fh, offset and size). */
export function writeFlagsOf(body: Buffer): number {
  return body.readUInt32LE(20);
}

export function fhOf(body: Buffer): number {
  return Number(body.readBigUInt64LE(0));
}
