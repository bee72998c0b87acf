// One file per replica: the bytes, then their checksums, then a 16-byte tail.
//
//   [0, L)            the replica's L bytes (so a byte of the chunk is at its own offset)
//   [L, L + 4n)       CRC32C (LE uint32) of each 64 KiB window, n = ceil(L / window)
//   [L + 4n, +8)      L (LE uint64)
//   [+8, +4)          CRC32C of the checksums and L: a flipped bit in the trailer reads as such
//   [+12, +4)         magic "CRN1"
//
// MooseFS keeps a chunk's checksums in its chunk file too. Against a data file and a checksum
// file side by side (Cairn's first layout), a written replica is one file to create, rename,
// fsync and delete instead of two, and a small replica read cold is one read of one file.
// The trailer is written last, after the data, and the file is renamed into place only then
// (datanode/chunk-store.ts), so a visible replica always has one. L follows from the file's
// size alone (lengthFromFileBytes), so a datanode lists its replicas at start without reading
// them.

import { fstatSync, read as readCallback, readSync, statSync } from 'node:fs';
import { promisify } from 'node:util';
import { crc, firstBadWindow, windowBytes, windowSpan } from './checksum.js';

const readFd = promisify(readCallback);

const tailBytes = 16;
const magic = 0x314e5243; // "CRN1" read as LE uint32

/**
 * Where the file of replica (chunkId, gen) is under a datanode's data directory: a bucket per
 * low byte of the chunk id, then `<chunk id in hex>_<gen>.rep` (the version is in the name: an
 * update is a new file).
 */
export const replicaRelativePath = (chunkId: number, gen: number): string =>
  `chunks/${(chunkId & 0xff).toString(16).padStart(2, '0')}/${chunkId.toString(16)}_${gen}.rep`;

/**
 * Whether `file` still names the file open as `fd`. A datanode empties a deleted replica's file
 * and gives it to a later replica (datanode/free-files.ts), but renames it away before anything
 * is written into it: what a reader read through `fd` before this says true was the replica's
 * own (or cut short, which fails as a short read). A reader checks it after reading checksums
 * from the file itself; bytes read later are verified against those checksums.
 */
export function namesFile(file: string, fd: number): boolean {
  const named = statSync(file, { throwIfNoEntry: false });
  if (named === undefined) return false;
  const open = fstatSync(fd);
  return named.ino === open.ino && named.dev === open.dev;
}

/** Windows of a replica of `length` bytes. */
const windowsOf = (length: number): number => Math.ceil(length / windowBytes);

/** Bytes after the data: checksums and the tail. */
export const trailerBytes = (length: number): number => windowsOf(length) * 4 + tailBytes;

/** The size of the file of a replica of `length` bytes. */
export const replicaFileBytes = (length: number): number => length + trailerBytes(length);

/**
 * The replica length a file of `size` bytes holds, or undefined when no length gives that size
 * (a file that is not a replica). size - 16 = L + 4 * ceil(L / w), strictly increasing in L.
 */
export function lengthFromFileBytes(size: number): number | undefined {
  const rest = size - tailBytes;
  if (rest < 0) return undefined;
  const windows = Math.ceil(rest / (windowBytes + 4));
  const length = rest - windows * 4;
  return length >= 0 && windowsOf(length) === windows ? length : undefined;
}

/** The trailer of a replica of `length` bytes with these window checksums. */
export function encodeTrailer(sums: readonly number[], length: number): Buffer {
  if (sums.length !== windowsOf(length)) throw new Error(`${sums.length} checksums for ${length} bytes`);
  const out = Buffer.alloc(trailerBytes(length));
  sums.forEach((sum, i) => out.writeUInt32LE(sum >>> 0, i * 4));
  const at = sums.length * 4;
  out.writeBigUInt64LE(BigInt(length), at);
  out.writeUInt32LE(crc(out.subarray(0, at + 8)), at + 8);
  out.writeUInt32LE(magic, at + 12);
  return out;
}

/** The window checksums in the trailer of a replica of `length` bytes; throws if it is not intact. */
export function decodeTrailer(trailer: Buffer, length: number): number[] {
  const at = windowsOf(length) * 4;
  if (trailer.length !== at + tailBytes) throw new Error(`trailer of ${trailer.length} bytes, expected ${at + tailBytes}`);
  if (trailer.readUInt32LE(at + 12) !== magic) throw new Error('not a replica trailer');
  if (trailer.readBigUInt64LE(at) !== BigInt(length)) throw new Error('trailer records another length');
  if (trailer.readUInt32LE(at + 8) !== crc(trailer.subarray(0, at + 8))) throw new Error('trailer checksum mismatch');
  const sums: number[] = [];
  for (let i = 0; i < at; i += 4) sums.push(trailer.readUInt32LE(i));
  return sums;
}

/** The window checksums of the open replica file `fd` of `length` bytes; throws if its trailer is short or not intact. */
export async function readTrailer(fd: number, length: number): Promise<number[]> {
  const trailer = Buffer.allocUnsafe(trailerBytes(length));
  const { bytesRead } = await readFd(fd, trailer, 0, trailer.length, length);
  if (bytesRead !== trailer.length) throw new Error('replica file shorter than recorded');
  return decodeTrailer(trailer, length);
}

/** readTrailer, synchronously (the mount's reader threads never wait on their event loop). */
export function readTrailerSync(fd: number, length: number): number[] {
  const trailer = Buffer.allocUnsafe(trailerBytes(length));
  if (readSync(fd, trailer, 0, trailer.length, length) !== trailer.length) throw new Error('replica file shorter than recorded');
  return decodeTrailer(trailer, length);
}

/**
 * Reads [offset, offset + length) of the open replica file `fd` (`replicaLength` bytes, checksums
 * `sums`) into `out` at `at`, verified: the whole windows around the range, straight into `out`
 * when the range is whole windows, else through `scratch` (kept by the caller, grown as needed).
 * False when the file is shorter or a window fails its checksum.
 */
export function readVerifiedSync(
  fd: number,
  replicaLength: number,
  sums: readonly number[],
  offset: number,
  length: number,
  out: Buffer,
  at: number,
  scratch: { buf: Buffer },
): boolean {
  const { from, to } = windowSpan(offset, offset + length, replicaLength);
  const direct = from === offset && to === offset + length;
  if (!direct && scratch.buf.length < to - from) scratch.buf = Buffer.allocUnsafeSlow(to - from);
  const buf = direct ? out.subarray(at, at + length) : scratch.buf.subarray(0, to - from);
  let ok = true;
  for (let got = 0; ok && got < buf.length; ) {
    const n = readSync(fd, buf, got, buf.length - got, from + got);
    if (n === 0) ok = false;
    got += n;
  }
  if (ok && firstBadWindow(buf, from, sums) < 0) {
    if (!direct) buf.copy(out, at, offset - from, offset - from + length);
    return true;
  }
  // Bytes that failed read straight into the caller's buffer are not left there: they may be
  // another replica's (a deleted replica's file is reused: datanode/free-files.ts).
  if (direct) buf.fill(0);
  return false;
}
