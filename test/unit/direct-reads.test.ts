// Sequential reads of large replicas past the page cache, with a read-ahead thread
// (client/fuse/direct-reads.ts), over real replica files (bytes, then their checksum trailer) on
// this machine's disk. The read-ahead thread is the built one (dist/), as the mount runs it.

import { closeSync, constants as fsConstants, openSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { windowChecksums } from '../../common/checksum.js';
import { encodeTrailer, readTrailerSync } from '../../common/replica-file.js';
import { blockBytes, DirectReads, type DirectSource } from '../../client/fuse/direct-reads.js';
import { pseudoRandomBytes } from '../helpers/data.js';

const workerUrl = new URL('../../dist/client/fuse/prefetch-worker.js', import.meta.url);
const length = 4 * blockBytes + 12_345;
const data = pseudoRandomBytes(length, 71);
let dir: string;
let file: string;
let directRefused: string | undefined;

/** A replica file's source as the fast path holds it, its checksums loaded. */
function source(path = file): DirectSource {
  const fd = openSync(path, 'r');
  try {
    return { path, lengthBytes: length, sums: readTrailerSync(fd, length) };
  } finally {
    closeSync(fd);
  }
}

function readAll(reads: DirectReads, src: DirectSource, step: number): Buffer {
  const out = Buffer.alloc(length);
  for (let at = 0; at < length; at += step) {
    const n = Math.min(step, length - at);
    if (n >= 128 * 1024) expect(DirectReads.wants(src, at, n)).toBe(true); // sequential
    expect(reads.read(src, at, n, out, at)).toBe(true);
  }
  return out;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cairn-direct-reads-'));
  file = join(dir, 'replica.rep');
  writeFileSync(file, Buffer.concat([data, encodeTrailer(windowChecksums(data), length)]));
  try {
    closeSync(openSync(file, fsConstants.O_RDONLY | fsConstants.O_DIRECT));
  } catch (err) {
    directRefused = (err as Error).message; // a file system without O_DIRECT (tmpfs)
  }
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('direct reads of large replicas', () => {
  it('return the replica byte for byte, reading ahead of a sequential reader', async (t) => {
    if (directRefused !== undefined) t.skip();
    const reads = new DirectReads(workerUrl);
    const src = source();
    expect(readAll(reads, src, 1024 * 1024).equals(data)).toBe(true);
    // The first block is read by the reader itself, the others ahead of it (one more here only
    // if the read-ahead thread took seconds to start).
    expect(reads.blocksRead.here).toBeLessThanOrEqual(2);
    expect(reads.blocksRead.ahead).toBeGreaterThanOrEqual(3);
    // Anywhere, across blocks, to the short end.
    for (const [at, n] of [
      [blockBytes - 5000, 300_000],
      [3 * blockBytes + 7, 65_536],
      [length - 200_000, 200_000],
      [0, length],
    ] as const) {
      const out = Buffer.alloc(n);
      expect(reads.read(src, at, n, out, 0)).toBe(true);
      expect(out.equals(data.subarray(at, at + n))).toBe(true);
    }
    reads.drop(src);
    expect(src.dfd).toBeUndefined();
  });

  it('take large reads that are sequential or start the replica, and leave the others to the page cache', () => {
    const src: DirectSource = { path: file, lengthBytes: length };
    expect(DirectReads.wants(src, 3 * blockBytes, 1024 * 1024)).toBe(false); // a jump
    expect(DirectReads.wants(src, 3 * blockBytes + 1024 * 1024, 1024 * 1024)).toBe(true); // where it ended
    expect(DirectReads.wants(src, 0, 1024 * 1024)).toBe(true); // the start
    expect(DirectReads.wants(src, 1024 * 1024, 64 * 1024)).toBe(false); // small
    expect(DirectReads.wants({ path: file, lengthBytes: 1024 * 1024 }, 0, 1024 * 1024)).toBe(false); // a small replica
    expect(DirectReads.wants({ ...src, dfd: -1, nextOffset: 0 }, 0, 1024 * 1024)).toBe(false); // refused
  });

  it('refuse a block whose window fails its checksum, and serve the others', async (t) => {
    if (directRefused !== undefined) t.skip();
    const rotten = join(dir, 'rotten.rep');
    const bytes = await readFile(file);
    const at = 2 * blockBytes + 100_000;
    bytes[at] = (bytes[at] as number) ^ 0x01;
    await writeFile(rotten, bytes);
    const reads = new DirectReads(workerUrl);
    const src = source(rotten);
    const out = Buffer.alloc(128 * 1024);
    expect(reads.read(src, at - 1000, out.length, out, 0)).toBe(false);
    expect(reads.read(src, 0, out.length, out, 0)).toBe(true);
    expect(out.equals(data.subarray(0, out.length))).toBe(true);
    reads.drop(src);
  });

  it('read every block themselves when the read-ahead thread cannot start', async (t) => {
    if (directRefused !== undefined) t.skip();
    const reads = new DirectReads(new URL('./no-such-worker.js', workerUrl));
    const src = source();
    expect(readAll(reads, src, 512 * 1024).equals(data)).toBe(true);
    expect(reads.blocksRead.here).toBeGreaterThanOrEqual(4);
    reads.drop(src);
  });
});
