// A datanode's replica files on a real disk: the one-file layout (bytes, then checksums), the
// reads that verify it, copy-on-write updates, and the conversion of the first layout's pairs.

import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeChecksums, windowChecksums } from '../../common/checksum.js';
import { decodeTrailer, encodeTrailer, lengthFromFileBytes, replicaFileBytes } from '../../common/replica-file.js';
import { ChunkStore, mergeRanges } from '../../datanode/chunk-store.js';
import { pseudoRandomBytes } from '../helpers/data.js';
import { tmpContents } from '../helpers/datanode-tmp.js';
import { waitFor } from '../helpers/mini-cluster.js';

const window = 64 * 1024;

describe('replica file sizes', () => {
  it('give back the replica length for every length, and no length for sizes no replica has', () => {
    const lengths = [0, 1, 4095, window - 1, window, window + 1, 3 * window + 7, 64 * 1024 * 1024, 1024 * 1024 * 1024];
    for (let l = 0; l < 3 * window + 10; l += 997) lengths.push(l);
    for (const length of lengths) {
      expect(lengthFromFileBytes(replicaFileBytes(length))).toBe(length);
    }
    const sizes = new Set(lengths.map(replicaFileBytes));
    let refused = 0;
    for (let size = 0; size < 3 * window; size += 13) {
      const length = lengthFromFileBytes(size);
      if (length === undefined) refused++;
      else expect(replicaFileBytes(length)).toBe(size);
    }
    expect(refused).toBeGreaterThan(0); // e.g. sizes below the 16-byte tail, or between two replica sizes
    expect(lengthFromFileBytes(15)).toBeUndefined();
    expect(sizes.has(replicaFileBytes(window))).toBe(true);
  });

  it('a trailer decodes to its checksums, and refuses another length or a flipped bit', () => {
    const data = pseudoRandomBytes(2 * window + 5, 1);
    const sums = windowChecksums(data);
    const trailer = encodeTrailer(sums, data.length);
    expect(decodeTrailer(trailer, data.length)).toEqual(sums);
    expect(() => decodeTrailer(trailer, data.length + 1)).toThrow();
    for (const at of [0, 5, trailer.length - 10, trailer.length - 1]) {
      const bad = Buffer.from(trailer);
      bad[at] = (bad[at] as number) ^ 0x04;
      expect(() => decodeTrailer(bad, data.length)).toThrow();
    }
  });
});

describe('mergeRanges', () => {
  it('sorts, joins overlapping and adjacent ranges, cuts at the end and drops empty ones', () => {
    expect(mergeRanges([[10, 20], [0, 5], [5, 8], [15, 30], [40, 41], [50, 60], [7, 7]], 55)).toEqual([[0, 8], [10, 30], [40, 41], [50, 55]]);
    expect(mergeRanges([[60, 70]], 55)).toEqual([]);
    expect(mergeRanges([], 10)).toEqual([]);
  });
});

describe('ChunkStore', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cairn-cs-'));
  });
  afterEach(async () => {
    await fsp.rm(dir, { recursive: true, force: true });
  });

  async function readAll(store: ChunkStore, chunkId: number, gen: number, offset = 0, length = Number.MAX_SAFE_INTEGER): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const part of store.read(chunkId, gen, offset, length)) parts.push(part);
    return Buffer.concat(parts);
  }

  async function put(store: ChunkStore, chunkId: number, gen: number, data: Buffer): Promise<void> {
    const writer = await store.createWriter({ chunkId, gen, baseGen: 0, baseLengthBytes: 0, offsetBytes: 0 });
    for (let at = 0; at < data.length; at += 100_000) await writer.write(data.subarray(at, at + 100_000));
    await writer.finish(-1, true);
  }

  it('keeps a replica in one file: its bytes, then their CRC32C checksums, listed again after a restart', async () => {
    const store = await ChunkStore.open(dir);
    const small = pseudoRandomBytes(3000, 2);
    const big = pseudoRandomBytes(5 * window + 123, 3);
    await put(store, 0x2a3, 1, small);
    await put(store, 0x1a3, 4, big);
    const file = store.replicaPath(0x1a3, 4);
    expect(path.basename(file)).toBe('1a3_4.rep');
    const bytes = await fsp.readFile(file);
    expect(bytes.length).toBe(big.length + 6 * 4 + 16);
    expect(bytes.subarray(0, big.length).equals(big)).toBe(true);
    for (let w = 0; w < 6; w++) expect(bytes.readUInt32LE(big.length + 4 * w)).toBe(crc32c(big.subarray(w * window, (w + 1) * window)) >>> 0);
    expect((await fsp.readdir(path.dirname(file))).sort()).toEqual(['1a3_4.rep', '2a3_1.rep']);
    expect(await fsp.readdir(path.join(dir, 'tmp'))).toEqual([]);

    const again = await ChunkStore.open(dir);
    expect(again.list().sort((a, b) => a.chunkId - b.chunkId)).toEqual([
      { chunkId: 0x1a3, gen: 4, lengthBytes: big.length },
      { chunkId: 0x2a3, gen: 1, lengthBytes: small.length },
    ]);
    expect((await readAll(again, 0x2a3, 1)).equals(small)).toBe(true);
    expect((await readAll(again, 0x1a3, 4, 70_000, 200_000)).equals(big.subarray(70_000, 270_000))).toBe(true);
    expect((await readAll(again, 0x1a3, 4)).equals(big)).toBe(true);
  });

  it('writes bytes that arrive as many uneven pieces (a frame as the socket delivered it) with the same checksums', async () => {
    const store = await ChunkStore.open(dir);
    const data = pseudoRandomBytes(4 * window + 777, 9);
    const writer = await store.createWriter({ chunkId: 11, gen: 1, baseGen: 0, baseLengthBytes: 0, offsetBytes: 0 });
    // Pieces of 5, 0, 65,531, 1, 70,000... bytes: windows begin and end inside pieces.
    const sizes = [5, 0, window - 5, 1, 70_000, 3, 100_000];
    let at = 0;
    for (let i = 0; at < data.length; i++) {
      const frame: Buffer[] = [];
      for (let k = 0; k < 3 && at < data.length; k++) {
        const take = Math.min(sizes[(i * 3 + k) % sizes.length] as number, data.length - at);
        frame.push(data.subarray(at, at + take));
        at += take;
      }
      await writer.write(frame);
    }
    await writer.finish(-1, false);
    const bytes = await fsp.readFile(store.replicaPath(11, 1));
    expect(bytes.equals(Buffer.concat([data, encodeTrailer(windowChecksums(data), data.length)]))).toBe(true);
    expect((await readAll(store, 11, 1)).equals(data)).toBe(true);

    // Scattered pieces at an offset (DATA_AT) in a copy-on-write update.
    const update = await store.createWriter({ chunkId: 11, gen: 2, baseGen: 1, baseLengthBytes: data.length, offsetBytes: window - 2 });
    const patch = [Buffer.alloc(3, 0xaa), Buffer.alloc(0), Buffer.alloc(window, 0xbb)];
    await update.writeAt(window - 2, patch);
    await update.finish(-1, false);
    const expected = Buffer.from(data);
    Buffer.concat(patch).copy(expected, window - 2);
    expect((await readAll(store, 11, 2)).equals(expected)).toBe(true);
  });

  it('writes the bulk of a large replica past the page cache, and the same bytes as a buffered write, whatever the pieces', async () => {
    const store = await ChunkStore.open(dir);
    expect(store.directWrites).toBe(true); // ext4 or xfs: the temporary directory takes O_DIRECT
    // Sequential: 1 MiB buffered, then direct writes of 1 MiB, then a tail that is not a whole block.
    const data = pseudoRandomBytes(3 * 1024 * 1024 + 5 * window + 4321, 31);
    const writer = await store.createWriter({ chunkId: 40, gen: 1, baseGen: 0, baseLengthBytes: 0, offsetBytes: 0 });
    for (let at = 0, i = 0; at < data.length; i++) {
      const take = [1024 * 1024, 300_001, 65_535, 777_777][i % 4] as number;
      await writer.write([data.subarray(at, at + Math.floor(take / 3)), data.subarray(at + Math.floor(take / 3), at + take)].filter((b) => b.length > 0));
      at += take;
    }
    await writer.finish(-1, true);
    expect(store.directBytes).toBeGreaterThanOrEqual(2 * 1024 * 1024);
    const bytes = await fsp.readFile(store.replicaPath(40, 1));
    expect(bytes.equals(Buffer.concat([data, encodeTrailer(windowChecksums(data), data.length)]))).toBe(true);
    expect((await readAll(store, 40, 1)).equals(data)).toBe(true);

    // A write elsewhere ends the direct part: what it staged lands first, then the write.
    const jumped = pseudoRandomBytes(2 * 1024 * 1024 + 100, 32);
    const second = await store.createWriter({ chunkId: 41, gen: 1, baseGen: 0, baseLengthBytes: 0, offsetBytes: 0 });
    await second.write(jumped.subarray(0, 1024 * 1024));
    await second.write(jumped.subarray(1024 * 1024, 1024 * 1024 + 5000)); // staged, not yet written
    const patch = Buffer.alloc(3000, 0x5c);
    await second.writeAt(10, patch);
    await second.writeAt(1024 * 1024 + 5000, jumped.subarray(1024 * 1024 + 5000));
    await second.finish(-1, false);
    const expected = Buffer.from(jumped);
    patch.copy(expected, 10);
    expect((await readAll(store, 41, 1)).equals(expected)).toBe(true);
    expect(await tmpContents(dir)).toMatchObject({ writes: [], free: 0 });

    // An update of an empty replica (its trailer still in the file) is sequential too, and goes direct past its first MiB.
    await put(store, 43, 1, Buffer.alloc(0));
    const before = store.directBytes;
    const grown = pseudoRandomBytes(2 * 1024 * 1024 + 7, 34);
    const update = await store.createWriter({ chunkId: 43, gen: 2, baseGen: 1, baseLengthBytes: 0, offsetBytes: 0 });
    for (let at = 0; at < grown.length; at += 256 * 1024) await update.write(grown.subarray(at, at + 256 * 1024));
    await update.finish(-1, true);
    expect(store.directBytes).toBeGreaterThan(before);
    expect((await fsp.readFile(store.replicaPath(43, 2))).equals(Buffer.concat([grown, encodeTrailer(windowChecksums(grown), grown.length)]))).toBe(true);

    // An aborted write leaves nothing behind.
    const aborted = await store.createWriter({ chunkId: 42, gen: 1, baseGen: 0, baseLengthBytes: 0, offsetBytes: 0 });
    await aborted.write(jumped);
    await aborted.abort();
    expect(store.has(42, 1)).toBe(false);
    expect(await tmpContents(dir)).toMatchObject({ writes: [], free: 1, freeBytes: 0 }); // its file emptied and kept for a later one
  });

  it('writes a large replica through the page cache when direct writes are off (CAIRN_DIRECT_WRITES=0, or refused)', async () => {
    const store = await ChunkStore.open(dir);
    store.directWrites = false;
    const data = pseudoRandomBytes(2 * 1024 * 1024 + 99, 33);
    await put(store, 50, 1, data);
    expect(store.directBytes).toBe(0);
    expect((await readAll(store, 50, 1)).equals(data)).toBe(true);
  });

  it('a deleted replica is forgotten at once and its file unlinked in the background; the same version written again stays', async () => {
    const store = await ChunkStore.open(dir);
    const data = pseudoRandomBytes(3 * window + 5, 31);
    await put(store, 40, 2, data);
    const file = store.replicaPath(40, 2);
    const bucket = path.dirname(file);
    expect(await store.delete(40, 2)).toBe(true);
    expect(store.has(40, 2)).toBe(false);
    expect(store.unlinked(file)).toBeInstanceOf(Promise); // the unlink is under way in the thread pool
    expect(await store.delete(40, 2)).toBe(false);
    // The same version copied here again (re-replication) at once: installed only after the
    // unlink, which therefore cannot take the new file.
    await put(store, 40, 2, data);
    expect(store.unlinked(file)).toBeUndefined();
    expect((await readAll(store, 40, 2)).equals(data)).toBe(true);
    expect(await fsp.readdir(bucket)).toEqual([path.basename(file)]);
    // Deleted again: the file goes (a stopping datanode waits for that: drained).
    const failures: string[] = [];
    store.onUnlinkFailed = (file) => failures.push(file);
    expect(await store.delete(40, 2)).toBe(true);
    await store.drained();
    expect(await fsp.readdir(bucket)).toEqual([]);
    // A file that went by other hands already: deleted all the same, and no failure to tell.
    await put(store, 40, 3, data);
    await fsp.rm(store.replicaPath(40, 3));
    expect(await store.delete(40, 3)).toBe(true);
    await store.drained();
    expect(store.count).toBe(0);
    expect(failures).toEqual([]);
    const again = await ChunkStore.open(dir);
    expect(again.count).toBe(0);
  });

  it('a deleted replica\'s file is emptied and taken by the next new file, which holds only its own bytes; a restart keeps the free files', async () => {
    const store = await ChunkStore.open(dir);
    const old = pseudoRandomBytes(3 * window + 11, 35);
    await put(store, 60, 1, old);
    const { ino } = await fsp.stat(store.replicaPath(60, 1));
    expect(await store.delete(60, 1)).toBe(true);
    await store.drained();
    expect(await tmpContents(dir)).toEqual({ writes: [], free: 1, freeBytes: 0 });
    // Shorter than the old replica, and written out of order: no old byte shows through.
    const data = pseudoRandomBytes(window + 5, 36);
    const writer = await store.createWriter({ chunkId: 61, gen: 1, baseGen: 0, baseLengthBytes: 0, offsetBytes: 0 });
    await writer.writeAt(window, data.subarray(window));
    await writer.writeAt(0, data.subarray(0, window));
    await writer.finish(-1, true);
    expect((await fsp.stat(store.replicaPath(61, 1))).ino).toBe(ino);
    expect((await readAll(store, 61, 1)).equals(data)).toBe(true);
    expect((await fsp.readFile(store.replicaPath(61, 1))).equals(Buffer.concat([data, encodeTrailer(windowChecksums(data), data.length)]))).toBe(true);

    // An update's copy of its base goes into a free file too.
    await put(store, 62, 1, old);
    const { ino: ino62 } = await fsp.stat(store.replicaPath(62, 1));
    expect(await store.delete(62, 1)).toBe(true);
    await store.drained();
    const update = await store.createWriter({ chunkId: 61, gen: 2, baseGen: 1, baseLengthBytes: data.length, offsetBytes: 0 });
    await update.writeAt(3, Buffer.from('abc'));
    await update.finish(-1, false);
    expect((await fsp.stat(store.replicaPath(61, 2))).ino).toBe(ino62);
    const expected = Buffer.from(data);
    expected.write('abc', 3);
    expect((await readAll(store, 61, 2)).equals(expected)).toBe(true);

    // A restart keeps free files and removes what writes left.
    await store.delete(61, 1);
    await store.drained();
    await fsp.writeFile(path.join(dir, 'tmp', '7_1.99'), 'a write that never finished');
    const again = await ChunkStore.open(dir);
    expect(await tmpContents(dir)).toEqual({ writes: [], free: 1, freeBytes: 0 });
    const { ino: ino61 } = await fsp.stat(path.join(dir, 'tmp', (await fsp.readdir(path.join(dir, 'tmp')))[0] as string));
    await put(again, 63, 1, old);
    expect((await fsp.stat(again.replicaPath(63, 1))).ino).toBe(ino61);
    expect((await readAll(again, 63, 1)).equals(old)).toBe(true);
  });

  it('a replica deleted while it is read is read to its end intact: its file is unlinked, not emptied for reuse', async () => {
    const store = await ChunkStore.open(dir);
    const data = pseudoRandomBytes(3 * 1024 * 1024 + 17, 37);
    await put(store, 70, 1, data);
    const parts: Buffer[] = [];
    const reading = store.read(70, 1, 0, Number.MAX_SAFE_INTEGER);
    const first = await reading.next();
    parts.push(Buffer.from(first.value as Buffer));
    expect(await store.delete(70, 1)).toBe(true);
    await store.drained();
    expect(await tmpContents(dir)).toEqual({ writes: [], free: 0, freeBytes: 0 });
    // New replicas meanwhile (they would take a free file).
    await put(store, 71, 1, pseudoRandomBytes(2 * window, 38));
    for await (const part of { [Symbol.asyncIterator]: () => reading }) parts.push(Buffer.from(part));
    expect(Buffer.concat(parts).equals(data)).toBe(true);
    // Once the read is over, deleted replicas' files are kept again.
    await store.delete(71, 1);
    await store.drained();
    expect(await tmpContents(dir)).toEqual({ writes: [], free: 1, freeBytes: 0 });
  });

  it('a copy-on-write update keeps the base, rewrites the windows written, and writes a fresh trailer', async () => {
    const store = await ChunkStore.open(dir);
    const base = pseudoRandomBytes(3 * window + 10, 4);
    await put(store, 7, 1, base);
    const writer = await store.createWriter({ chunkId: 7, gen: 2, baseGen: 1, baseLengthBytes: base.length, offsetBytes: window + 5 });
    const patch = Buffer.alloc(100, 0xee);
    await writer.writeAt(window + 5, patch);
    await writer.writeAt(10, patch);
    await writer.finish(-1, false);
    const expected = Buffer.from(base);
    patch.copy(expected, window + 5);
    patch.copy(expected, 10);
    expect((await readAll(store, 7, 2)).equals(expected)).toBe(true);
    expect((await readAll(store, 7, 1)).equals(base)).toBe(true);
    expect((await fsp.stat(store.replicaPath(7, 2))).size).toBe(replicaFileBytes(base.length));
    // Truncated shorter by the update.
    const shorter = await store.createWriter({ chunkId: 7, gen: 3, baseGen: 2, baseLengthBytes: window + 50, offsetBytes: window + 50 });
    await shorter.finish(window + 50, true);
    expect((await readAll(store, 7, 3)).equals(expected.subarray(0, window + 50))).toBe(true);
  });

  it('a synced update leaves a spare copy of its replica, which the next update starts from; a deleted replica takes its spare along', async () => {
    const store = await ChunkStore.open(dir);
    const tmpFiles = async () => (await fsp.readdir(path.join(dir, 'tmp'))).filter((f) => f.includes('.spare'));
    const model = pseudoRandomBytes(5 * window + 123, 8);
    await put(store, 12, 1, model);
    for (const gen of [2, 3, 4]) {
      const writer = await store.createWriter({ chunkId: 12, gen, baseGen: gen - 1, baseLengthBytes: model.length, offsetBytes: 0 });
      const page = pseudoRandomBytes(4096, 20 + gen);
      await writer.writeAt(gen * window + 17, page); // in part: the window is verified first (from the spare after the first)
      page.copy(model, gen * window + 17);
      await writer.finish(-1, true);
      expect((await readAll(store, 12, gen)).equals(model)).toBe(true);
      await waitFor(async () => (await tmpFiles()).length === 1, 10_000, 'a spare copy');
      await store.delete(12, gen - 1); // superseded: its spare (none after the first update) is not the one kept
    }
    // Updates 3 and 4 started from the spares of 2 and 3; the trailer each wrote is exact.
    expect(store.spareTaken).toBe(2);
    const onDisk = await fsp.readFile(store.replicaPath(12, 4));
    expect(onDisk.length).toBe(replicaFileBytes(model.length));
    expect(decodeTrailer(onDisk.subarray(model.length), model.length)).toEqual(windowChecksums(model));
    // A small replica gets none (its copy costs less than keeping one), nor an update committed
    // without sync (a rewrite closed, not fsynced: not a database's pattern). A spare is registered
    // in the turn after the finish: the next update would take it.
    const afterTurn = () => new Promise((resolve) => setImmediate(resolve));
    await put(store, 13, 1, Buffer.from('small'));
    for (const gen of [2, 3]) {
      const small = await store.createWriter({ chunkId: 13, gen, baseGen: gen - 1, baseLengthBytes: 5, offsetBytes: 0 });
      await small.writeAt(0, Buffer.from('S'));
      await small.finish(-1, true);
      await afterTurn();
    }
    expect(store.spareTaken).toBe(2);
    const unsynced = await store.createWriter({ chunkId: 12, gen: 5, baseGen: 4, baseLengthBytes: model.length, offsetBytes: 0 });
    await unsynced.writeAt(0, Buffer.from('U'));
    await unsynced.finish(-1, false);
    await afterTurn();
    expect(store.spareTaken).toBe(3); // 4's spare
    const next = await store.createWriter({ chunkId: 12, gen: 6, baseGen: 5, baseLengthBytes: model.length, offsetBytes: 0 });
    await next.finish(-1, false);
    expect(store.spareTaken).toBe(3); // none of 5
    // A deleted replica takes its spare along.
    const last = await store.createWriter({ chunkId: 12, gen: 7, baseGen: 6, baseLengthBytes: model.length, offsetBytes: 0 });
    await last.finish(-1, true);
    await waitFor(async () => (await tmpFiles()).length === 1, 10_000, 'a spare copy of 7');
    await store.delete(12, 7);
    await waitFor(async () => (await tmpFiles()).length === 0, 10_000, 'the spare removed with its replica');
  });

  it('a spare is the file of the version two updates back, patched where they wrote: byte for byte the replica, whatever their shapes', async () => {
    const store = await ChunkStore.open(dir);
    let model = pseudoRandomBytes(4 * window + 321, 40);
    await put(store, 21, 1, model);
    const inode = async (file: string): Promise<number> => (await fsp.stat(file)).ino;
    const inodes = new Map<number, number>([[1, await inode(store.replicaPath(21, 1))]]);
    // Each update as a database's fsync: pages rewritten, the file grown or cut, adjacent pages,
    // a write straddling windows. The namenode's deletions lag (a heartbeat away): none here.
    const shapes: Array<(m: Buffer) => { writes: Array<[number, Buffer]>; baseLength: number }> = [
      (m) => ({ writes: [[0, pseudoRandomBytes(100, 1)], [2 * window + 4096, pseudoRandomBytes(4096, 2)]], baseLength: m.length }),
      (m) => ({ writes: [[m.length - 10, pseudoRandomBytes(5000, 3)]], baseLength: m.length }), // grows
      (m) => ({ writes: [[4096, pseudoRandomBytes(4096, 4)], [8192, pseudoRandomBytes(4096, 5)], [window - 50, pseudoRandomBytes(100, 6)]], baseLength: m.length }),
      (m) => ({ writes: [[17, pseudoRandomBytes(33, 7)]], baseLength: m.length - window - 77 }), // cut by a truncate first
      (m) => ({ writes: [[m.length + 3 * 4096, pseudoRandomBytes(4096, 8)]], baseLength: m.length }), // a hole, then a page
      (m) => ({ writes: [[3 * window, pseudoRandomBytes(10, 9)]], baseLength: m.length }),
      (m) => ({ writes: [[0, pseudoRandomBytes(4096, 10)]], baseLength: m.length }),
    ];
    for (const [i, shape] of shapes.entries()) {
      const gen = i + 2;
      const { writes, baseLength } = shape(model);
      // As the writer of a database does: each version after the first was given by the synced commit of the one before.
      const writer = await store.createWriter({ chunkId: 21, gen, baseGen: gen - 1, baseLengthBytes: baseLength, offsetBytes: 0, baseDurable: gen > 2 });
      let next = Buffer.from(model.subarray(0, baseLength));
      for (const [at, page] of writes) {
        await writer.writeAt(at, page);
        if (at + page.length > next.length) next = Buffer.concat([next, Buffer.alloc(at + page.length - next.length)]);
        page.copy(next, at);
      }
      await writer.finish(-1, true);
      model = next;
      inodes.set(gen, await inode(store.replicaPath(21, gen)));
      expect((await readAll(store, 21, gen)).equals(model)).toBe(true);
      const spare = await store.spareOf(21);
      expect(spare?.key).toBe(`15_${gen}`);
      expect((await fsp.readFile(spare!.file)).equals(await fsp.readFile(store.replicaPath(21, gen)))).toBe(true);
      if (gen >= 3) {
        // The version two back left the store when this update started from its successor: its
        // file is the spare, and the namenode's deletion of it finds nothing.
        expect(await inode(spare!.file)).toBe(inodes.get(gen - 2));
        expect(store.has(21, gen - 2)).toBe(false);
        expect(await store.delete(21, gen - 2)).toBe(false);
        expect(store.has(21, gen - 1)).toBe(true);
      }
    }
    expect(store.sparesPatched).toBe(shapes.length - 1);
    expect(store.spareTaken).toBe(shapes.length - 1);
    // A stopping store leaves only free files behind (no spare, no superseded file); after a
    // restart it lists the versions still here, and reads the last one whole.
    await store.drained();
    expect((await fsp.readdir(path.join(dir, 'tmp'))).filter((f) => !f.startsWith('free.'))).toEqual([]);
    const again = await ChunkStore.open(dir);
    expect(again.list().map((r) => r.gen).sort((a, b) => a - b)).toEqual([shapes.length, shapes.length + 1]);
    expect((await readAll(again, 21, shapes.length + 1)).equals(model)).toBe(true);
  });

  it('a store stopping while a synced update finishes makes no spare after it settled', async () => {
    const store = await ChunkStore.open(dir);
    const model = pseudoRandomBytes(3 * window, 43);
    await put(store, 24, 1, model);
    const writer = await store.createWriter({ chunkId: 24, gen: 2, baseGen: 1, baseLengthBytes: model.length, offsetBytes: 0 });
    await writer.writeAt(10, Buffer.from('x'));
    await Promise.all([writer.finish(-1, true), store.drained()]);
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve)); // where a spare would begin
    expect(await store.spareOf(24)).toBeUndefined();
    expect((await fsp.readdir(path.join(dir, 'tmp'))).filter((f) => !f.startsWith('free.'))).toEqual([]);
  });

  it('an update too scattered to note (more than 256 runs) gets a full copy for its spare, byte for byte', async () => {
    const store = await ChunkStore.open(dir);
    let model = pseudoRandomBytes(4 * window, 42);
    await put(store, 23, 1, model);
    for (const [gen, writes] of [[2, 1], [3, 300], [4, 1]] as const) {
      const writer = await store.createWriter({ chunkId: 23, gen, baseGen: gen - 1, baseLengthBytes: model.length, offsetBytes: 0, baseDurable: gen > 2 });
      model = Buffer.from(model);
      for (let i = 0; i < writes; i++) {
        const at = (i * 797 + gen) % model.length; // apart from one another
        await writer.writeAt(at, Buffer.from([gen]));
        model[at] = gen;
      }
      await writer.finish(-1, true);
      await new Promise((resolve) => setImmediate(resolve));
      const spare = await store.spareOf(23);
      expect((await fsp.readFile(spare!.file)).equals(await fsp.readFile(store.replicaPath(23, gen)))).toBe(true);
    }
    // 3's spare: 1's file was retired, but 3's writes were not noted: a full copy. 4 started from
    // 3, whose changes are unknown, so it retired nothing: a full copy again.
    expect(store.sparesPatched).toBe(0);
    expect((await readAll(store, 23, 4)).equals(model)).toBe(true);
  });

  it('supersedes nothing from an update not synced, or from a base whose commit the writer does not know durable', async () => {
    const store = await ChunkStore.open(dir);
    const model = pseudoRandomBytes(3 * window, 41);
    await put(store, 22, 1, model);
    for (const [gen, sync, baseDurable] of [[2, false, true], [3, true, true], [4, true, false], [5, true, true]] as const) {
      const writer = await store.createWriter({ chunkId: 22, gen, baseGen: gen - 1, baseLengthBytes: model.length, offsetBytes: 0, baseDurable });
      await writer.writeAt(gen * 1000, Buffer.from('x'));
      await writer.finish(-1, sync);
      // Its spare is made before the next update starts (which takes it): no copy of a version
      // still under way, which would hold that version (a file being read is not retired).
      await new Promise((resolve) => setImmediate(resolve));
      await store.spareOf(22);
    }
    // 3 started from 2, not synced: 1 stays. 4 started from 3 (synced), whose commit may not be
    // durable at the namenode (prepared by PrepareChunk, a retry): 2 stays. 5 started from 4,
    // given by 4's synced commit: 3 left.
    expect(store.has(22, 1) && store.has(22, 2)).toBe(true);
    expect(store.has(22, 3)).toBe(false);
    expect(store.has(22, 4) && store.has(22, 5)).toBe(true);
  });

  it('an update writes fresh checksums for the windows it changed and keeps the base ones elsewhere, whatever its shape', async () => {
    const store = await ChunkStore.open(dir);
    const cases: Array<{ base: number; kept: number; writes: Array<[number, number]>; final: number }> = [
      { base: 17 * window + 300, kept: 17 * window + 300, writes: [[0, 4096], [16 * window + 8, 4096]], final: -1 }, // a database's pages
      { base: 3 * window, kept: 3 * window, writes: [[window, window]], final: -1 }, // one whole window
      { base: 3 * window + 10, kept: 3 * window + 10, writes: [[5 * window + 7, 20]], final: -1 }, // past the end, a hole between
      { base: 3 * window + 10, kept: 3 * window + 10, writes: [[3 * window + 10, 5]], final: -1 }, // an append
      { base: 4 * window, kept: window + 99, writes: [[10, 10]], final: -1 }, // after a truncate the namenode made
      { base: 4 * window, kept: 4 * window, writes: [[window + 1, 3]], final: 2 * window + 500 }, // cut shorter at the end
      { base: 2 * window + 1, kept: 2 * window + 1, writes: [], final: 3 * window + 2 }, // grown with zeros only
      { base: 8720, kept: 8720, writes: [[0, 12]], final: -1 }, // a journal's header: the new trailer over the old one
      { base: 2 * window + 100, kept: 2 * window + 100, writes: [[2 * window + 50, 100]], final: -1 }, // across the end, over the old trailer
      { base: 2 * window + 100, kept: 2 * window + 100, writes: [[10, 10], [2 * window + 200, 1]], final: -1 }, // within, then past a gap
    ];
    let chunkId = 100;
    for (const c of cases) {
      const base = pseudoRandomBytes(c.base, chunkId);
      await put(store, ++chunkId, 1, base);
      const first = c.writes[0]?.[0] ?? c.kept;
      const writer = await store.createWriter({ chunkId, gen: 2, baseGen: 1, baseLengthBytes: c.kept, offsetBytes: first });
      let expected = Buffer.concat([base.subarray(0, c.kept)]);
      for (const [at, n] of c.writes) {
        const patch = pseudoRandomBytes(n, at);
        await writer.writeAt(at, patch);
        if (expected.length < at + n) expected = Buffer.concat([expected, Buffer.alloc(at + n - expected.length)]);
        patch.copy(expected, at);
      }
      if (c.final >= 0) expected = c.final <= expected.length ? expected.subarray(0, c.final) : Buffer.concat([expected, Buffer.alloc(c.final - expected.length)]);
      await writer.finish(c.final, false);
      const bytes = await fsp.readFile(store.replicaPath(chunkId, 2));
      expect(bytes.equals(Buffer.concat([expected, encodeTrailer(windowChecksums(expected), expected.length)])), JSON.stringify(c)).toBe(true);
      expect((await readAll(store, chunkId, 1)).equals(base)).toBe(true);
    }
  });

  it('an update reads only the base windows it rewrites in part: damage there refuses it, damage elsewhere is carried, not laundered', async () => {
    const store = await ChunkStore.open(dir);
    const base = pseudoRandomBytes(6 * window, 21);
    await put(store, 9, 1, base);
    const file = store.replicaPath(9, 1);
    const bytes = await fsp.readFile(file);
    for (const w of [1, 3, 5]) bytes[w * window + 7] = (bytes[w * window + 7] as number) ^ 0x10;
    await fsp.writeFile(file, bytes);
    const fresh = await ChunkStore.open(dir); // no checksums cached from the good bytes

    // Window 1 rewritten in part: its damaged bytes would get a fresh checksum, so the update is refused.
    const partial = await fresh.createWriter({ chunkId: 9, gen: 2, baseGen: 1, baseLengthBytes: base.length, offsetBytes: window + 100 });
    await expect(partial.writeAt(window + 100, Buffer.alloc(10, 1))).rejects.toThrow(/base replica window 1/);
    await partial.abort();
    expect(await tmpContents(dir)).toMatchObject({ writes: [], freeBytes: 0 });

    // Window 3 rewritten whole (new bytes), window 5 untouched: the update lands, 5 still fails its checksum.
    const whole = await fresh.createWriter({ chunkId: 9, gen: 3, baseGen: 1, baseLengthBytes: base.length, offsetBytes: 3 * window });
    await whole.writeAt(3 * window, Buffer.alloc(window, 2));
    await whole.finish(-1, false);
    await expect(readAll(fresh, 9, 3, 3 * window, window)).resolves.toEqual(Buffer.alloc(window, 2));
    await expect(readAll(fresh, 9, 3, 5 * window, 10)).rejects.toThrow(/checksum mismatch in window 5/);

    // A truncate that ends inside damaged window 5 keeps some of its bytes under a fresh checksum: refused.
    const cut = await fresh.createWriter({ chunkId: 9, gen: 4, baseGen: 1, baseLengthBytes: 5 * window + 100, offsetBytes: 0 }).catch((err: unknown) => err);
    expect(cut).toBeInstanceOf(Error);
    expect((cut as Error).message).toMatch(/base replica window 5/);
    const grown = await fresh.createWriter({ chunkId: 9, gen: 5, baseGen: 3, baseLengthBytes: base.length, offsetBytes: 0 });
    await expect(grown.finish(5 * window + 50, false)).rejects.toThrow(/base replica window 5/);
    await grown.abort();
  });

  it('refuses to serve a replica whose checksums or trailer were damaged, small or large, cached or not', async () => {
    const store = await ChunkStore.open(dir);
    await put(store, 1, 1, pseudoRandomBytes(5000, 5));
    await put(store, 2, 1, pseudoRandomBytes(6 * window, 6));
    await expect(readAll(store, 2, 1, 0, 10)).resolves.toHaveLength(10); // checksums now cached
    for (const [chunkId, at] of [[1, 100], [1, 5000 + 2], [2, 6 * window + 3], [2, 6 * window + 4 * 6 + 1]] as const) {
      const file = store.replicaPath(chunkId, 1);
      const bytes = await fsp.readFile(file);
      bytes[at] = (bytes[at] as number) ^ 0x20;
      await fsp.writeFile(file, bytes);
      const fresh = await ChunkStore.open(dir);
      await expect(readAll(fresh, chunkId, 1)).rejects.toThrow(/trailer|checksum/);
      bytes[at] = (bytes[at] as number) ^ 0x20;
      await fsp.writeFile(file, bytes);
    }
    const file = store.replicaPath(2, 1);
    const bytes = await fsp.readFile(file);
    bytes[3 * window] = (bytes[3 * window] as number) ^ 0x01;
    await fsp.writeFile(file, bytes);
    await expect(readAll(store, 2, 1, 3 * window, 10)).rejects.toThrow(/checksum mismatch in window 3/); // cached checksums
    await expect(readAll(store, 2, 1, 0, 10)).resolves.toHaveLength(10); // other windows still serve
  });

  it('converts replicas of the first layout (.dat and .crc) at start, and drops half-deleted ones', async () => {
    const bucket = path.join(dir, 'chunks', '05');
    await fsp.mkdir(bucket, { recursive: true });
    const old = pseudoRandomBytes(2 * window + 99, 7);
    await fsp.writeFile(path.join(bucket, '105_3.dat'), old);
    await fsp.writeFile(path.join(bucket, '105_3.crc'), encodeChecksums(windowChecksums(old)));
    await fsp.writeFile(path.join(bucket, '205_1.dat'), old); // its checksum file was deleted first
    // A conversion that stopped after appending the trailer, and one that stopped after its rename.
    const small = pseudoRandomBytes(1000, 8);
    const sums = windowChecksums(small);
    await fsp.writeFile(path.join(bucket, '305_2.dat'), Buffer.concat([small, encodeTrailer(sums, small.length)]));
    await fsp.writeFile(path.join(bucket, '305_2.crc'), encodeChecksums(sums));
    await fsp.writeFile(path.join(bucket, '405_1.rep'), Buffer.concat([small, encodeTrailer(sums, small.length)]));
    await fsp.writeFile(path.join(bucket, '405_1.crc'), encodeChecksums(sums));
    const store = await ChunkStore.open(dir);
    expect(store.list().sort((a, b) => a.chunkId - b.chunkId)).toEqual([
      { chunkId: 0x105, gen: 3, lengthBytes: old.length },
      { chunkId: 0x305, gen: 2, lengthBytes: small.length },
      { chunkId: 0x405, gen: 1, lengthBytes: small.length },
    ]);
    expect((await fsp.readdir(bucket)).sort()).toEqual(['105_3.rep', '305_2.rep', '405_1.rep']);
    expect((await readAll(store, 0x105, 3)).equals(old)).toBe(true);
    expect((await readAll(store, 0x305, 2)).equals(small)).toBe(true);
    expect((await readAll(store, 0x405, 1)).equals(small)).toBe(true);
  });
});
