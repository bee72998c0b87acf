// CRC32C over fixed windows of a chunk (hardware-accelerated through @node-rs/crc32).
// A chunk's checksum file holds one little-endian uint32 per `checksumWindowBytes` of data; the
// last window may be short.

import { crc32c } from '@node-rs/crc32';
import { limits } from './limits.js';

export const windowBytes = limits.checksumWindowBytes;

export function crc(data: Uint8Array, initial = 0): number {
  return crc32c(Buffer.from(data.buffer, data.byteOffset, data.byteLength), initial) >>> 0;
}

/** Checksums of consecutive windows of `data`, which starts at a window boundary. */
export function windowChecksums(data: Buffer): number[] {
  const sums: number[] = [];
  for (let at = 0; at < data.length; at += windowBytes) {
    sums.push(crc(data.subarray(at, Math.min(at + windowBytes, data.length))));
  }
  return sums;
}

export function encodeChecksums(sums: readonly number[]): Buffer {
  const out = Buffer.alloc(sums.length * 4);
  sums.forEach((sum, i) => out.writeUInt32LE(sum, i * 4));
  return out;
}

export function decodeChecksums(buf: Buffer): number[] {
  const sums: number[] = [];
  for (let at = 0; at + 4 <= buf.length; at += 4) sums.push(buf.readUInt32LE(at));
  return sums;
}

/**
 * The whole windows around [offset, end) of a replica of `lengthBytes` bytes: `from` is
 * window-aligned, `to` a window boundary or the replica's end. A reader reads and verifies
 * [from, to) to hand out [offset, end).
 */
export function windowSpan(offset: number, end: number, lengthBytes: number): { from: number; to: number } {
  return { from: Math.floor(offset / windowBytes) * windowBytes, to: Math.min(lengthBytes, Math.ceil(end / windowBytes) * windowBytes) };
}

/**
 * The first window of `data` whose checksum is not in `sums`, or -1 when all match. `data` holds
 * a replica's bytes from the window-aligned offset `at` (its last window may be short).
 */
export function firstBadWindow(data: Buffer, at: number, sums: readonly number[]): number {
  for (let w = 0; w < data.length; w += windowBytes) {
    const index = (at + w) / windowBytes;
    if (crc(data.subarray(w, Math.min(w + windowBytes, data.length))) !== sums[index]) return index;
  }
  return -1;
}
