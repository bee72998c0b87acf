// Synchronous writes that write everything they are given: write(2) and writev(2) may write
// less than asked, and the rest follows from where they stopped. Page-cache writes, for callers
// that measured a trip through libuv's thread pool as costlier than the write (datanode/chunk-store.ts,
// namenode/store/journal.ts).

import { writeSync, writevSync } from 'node:fs';

/** Writes all of `data` at `position` (null: at the file's offset, as an append). */
export function writeAllSync(fd: number, data: Buffer, position: number | null): void {
  for (let written = 0; written < data.length; ) {
    const n = writeSync(fd, data, written, data.length - written, position === null ? null : position + written);
    if (n <= 0) throw new Error('write made no progress');
    written += n;
  }
}

/** One writev for all the pieces at `position` (more only if the kernel writes less than asked). */
export function writevAllSync(fd: number, pieces: Buffer[], position: number): void {
  if (pieces.length === 1) return writeAllSync(fd, pieces[0] as Buffer, position);
  for (let rest = pieces; rest.length > 0; ) {
    const n = writevSync(fd, rest, position);
    if (n <= 0) throw new Error('write made no progress');
    position += n;
    rest = skipBytes(rest, n);
  }
}

/** `pieces` without their first `bytes` bytes. */
export function skipBytes(pieces: Buffer[], bytes: number): Buffer[] {
  const rest: Buffer[] = [];
  for (const piece of pieces) {
    if (bytes >= piece.length) bytes -= piece.length;
    else {
      rest.push(bytes > 0 ? piece.subarray(bytes) : piece);
      bytes = 0;
    }
  }
  return rest;
}
