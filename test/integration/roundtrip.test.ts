// Files round-trip byte for byte through a real cluster (namenode + 3 datanode processes),
// and every chunk lands as a checksummed replica on 3 distinct datanodes.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32c } from '@node-rs/crc32';
import { MiniCluster } from '../helpers/mini-cluster.js';
import { pseudoRandomBytes, sha256 } from '../helpers/data.js';
import type { CairnClient } from '../../client/sdk/client.js';

const chunk = 1024 * 1024;
let cluster: MiniCluster;
let fs: CairnClient;

beforeAll(async () => {
  cluster = await MiniCluster.start({ datanodes: 3, chunkSizeBytes: chunk });
  fs = cluster.client();
});
afterAll(async () => {
  await cluster?.stop();
});

describe('round trips through the SDK', () => {
  const sizes: Array<[string, number]> = [
    ['0 bytes', 0],
    ['1 byte', 1],
    ['exactly one chunk', chunk],
    ['one chunk and one byte', chunk + 1],
    ['many chunks with a partial last chunk', 5 * chunk + 12_345],
    ['many whole chunks', 4 * chunk],
  ];
  for (const [name, size] of sizes) {
    it(`a file of ${name} reads back byte-identical (SHA-256)`, async () => {
      const data = pseudoRandomBytes(size, size + 7);
      const file = `/roundtrip-${size}`;
      await fs.writeFile(file, data);
      const back = await fs.readFile(file);
      expect(back.length).toBe(size);
      expect(sha256(back)).toBe(sha256(data));
      expect((await fs.stat(file)).size).toBe(size);
    });
  }

  it('streams in and out with backpressure (createWriteStream / createReadStream)', async () => {
    const data = pseudoRandomBytes(3 * chunk + 777, 42);
    const pieces = [];
    for (let at = 0; at < data.length; at += 64 * 1024) pieces.push(data.subarray(at, at + 64 * 1024));
    await pipeline(Readable.from(pieces), fs.createWriteStream('/streamed'));
    const got: Buffer[] = [];
    for await (const piece of fs.createReadStream('/streamed', { highWaterMark: 256 * 1024 })) got.push(piece as Buffer);
    expect(sha256(Buffer.concat(got))).toBe(sha256(data));
    // Pieces are read into a few kept buffers and handed out as copies: every piece kept here
    // must still hold its own bytes after many more were read (an odd size straddles windows).
    const kept: Buffer[] = [];
    for await (const piece of fs.createReadStream('/streamed', { highWaterMark: 64 * 1024 + 3 })) kept.push(piece as Buffer);
    expect(kept.length).toBeGreaterThan(8);
    expect(sha256(Buffer.concat(kept))).toBe(sha256(data));
    expect(() => fs.createReadStream('/streamed', { highWaterMark: 0 })).toThrow(/EINVAL/);
    const ranged: Buffer[] = [];
    for await (const piece of fs.createReadStream('/streamed', { start: chunk - 10, end: chunk + 9 })) ranged.push(piece as Buffer);
    expect(Buffer.concat(ranged).equals(data.subarray(chunk - 10, chunk + 10))).toBe(true);
  });

  it('positional writes and overwrites anywhere in a file, with holes reading as zeros', async () => {
    const handle = await fs.open('/random', 'w+');
    const model = Buffer.alloc(3 * chunk + 100);
    const writes: Array<[number, number]> = [
      [0, 1000],
      [chunk - 500, 1000], // spans a chunk boundary
      [2 * chunk + 50, 4000], // leaves a hole before it
      [10, 20], // overwrite inside the first chunk
      [3 * chunk + 60, 40], // extends the file
    ];
    for (const [i, [at, len]] of writes.entries()) {
      const bytes = pseudoRandomBytes(len, i + 100);
      await handle.write(bytes, 0, len, at);
      bytes.copy(model, at);
      // A writer reads its own writes at once.
      const check = Buffer.alloc(len);
      await handle.read(check, 0, len, at);
      expect(check.equals(bytes)).toBe(true);
    }
    await handle.close();
    const back = await fs.readFile('/random');
    expect(back.length).toBe(model.length);
    expect(back.equals(model)).toBe(true);
  });

  it('scattered writes into one chunk of an existing file, below and above the first, are one update and read back exactly', async () => {
    const base = pseudoRandomBytes(chunk - 3000, 40); // a partial chunk, as a database file is
    await fs.writeFile('/pages', base);
    const genBefore = (await fs.getChunkLocations('/pages'))[0]?.gen as number;
    const model = Buffer.alloc(chunk - 1000);
    base.copy(model);
    const handle = await fs.open('/pages', 'r+');
    const writes: Array<[number, number]> = [
      [300_000, 4096], // the first write of the update
      [0, 4096], // lower than the first: the base windows it rewrites are verified first
      [150_000, 100],
      [300_002, 10], // overlapping an earlier write of the same update: the later one wins
      [chunk - 3000, 2000], // extends the file
    ];
    for (const [i, [at, len]] of writes.entries()) {
      const bytes = pseudoRandomBytes(len, i + 200);
      await handle.write(bytes, 0, len, at);
      bytes.copy(model, at);
    }
    await handle.sync();
    await handle.close();
    expect((await fs.readFile('/pages')).equals(model)).toBe(true);
    // One copy-on-write update, so one new generation stamp.
    expect((await fs.getChunkLocations('/pages'))[0]?.gen).toBe(genBefore + 1);
  });

  it('truncates down and up; the cut bytes never come back', async () => {
    const data = pseudoRandomBytes(2 * chunk + 5000, 9);
    await fs.writeFile('/trunc', data);
    await fs.truncate('/trunc', chunk + 100);
    expect((await fs.readFile('/trunc')).equals(data.subarray(0, chunk + 100))).toBe(true);
    await fs.truncate('/trunc', 2 * chunk);
    const grown = await fs.readFile('/trunc');
    expect(grown.length).toBe(2 * chunk);
    expect(grown.subarray(0, chunk + 100).equals(data.subarray(0, chunk + 100))).toBe(true);
    expect(grown.subarray(chunk + 100).every((b) => b === 0)).toBe(true);
    // Writing into the shortened chunk keeps the cut region zero.
    const handle = await fs.open('/trunc', 'r+');
    await handle.write(Buffer.from('xyz'), 0, 3, chunk + 200);
    await handle.close();
    const after = await fs.readFile('/trunc');
    expect(after.subarray(chunk + 100, chunk + 200).every((b) => b === 0)).toBe(true);
    expect(after.subarray(chunk + 200, chunk + 203).toString()).toBe('xyz');
  });

  it('appends with flag "a"', async () => {
    await fs.writeFile('/appended', 'hello ');
    await fs.appendFile('/appended', 'world');
    expect(await fs.readFile('/appended', 'utf8')).toBe('hello world');
  });
});

describe('reads over the network', () => {
  it('readers at once get their own bytes, whole and in ranges (clients and datanodes reuse their buffers)', async () => {
    // Without short-circuit reads every byte comes from a datanode: read from disk into send
    // buffers the datanode reuses once sent, and received into slabs the client reuses once
    // copied out (common/read-slabs.ts). A buffer reused too early would mix files or ranges.
    const remote = cluster.client({ localReads: false });
    try {
      const files = Array.from({ length: 4 }, (_, i) => ({ file: `/remote-${i}`, data: pseudoRandomBytes(3 * chunk + 777 * i, 600 + i) }));
      for (const { file, data } of files) await fs.writeFile(file, data);
      await Promise.all(
        files.map(async ({ file, data }) => {
          expect(sha256(await remote.readFile(file))).toBe(sha256(data));
          const handle = await remote.open(file, 'r');
          try {
            for (const [at, len] of [[chunk - 100, 200], [5, 3 * chunk], [2 * chunk + 1, 70_000]] as const) {
              const out = Buffer.alloc(len);
              const { bytesRead } = await handle.read(out, 0, len, at);
              expect(out.subarray(0, bytesRead).equals(data.subarray(at, at + len))).toBe(true);
            }
          } finally {
            await handle.close();
          }
        }),
      );
      expect(remote.localReads.local).toBe(0);
    } finally {
      await remote.close();
    }
  });
});

describe('replicas on disk', () => {
  /** Every chunk of `file` is on 3 distinct datanodes, each replica with `data`'s bytes and their CRC32C checksums. */
  async function expectReplicasHold(file: string, data: Buffer): Promise<void> {
    const locations = await fs.getChunkLocations(file);
    expect(locations.map((l) => l.index)).toEqual(Array.from({ length: Math.ceil(data.length / chunk) }, (_, i) => i));
    for (const loc of locations) {
      const ids = loc.datanodes.map((d) => d.id);
      expect(new Set(ids).size).toBe(3);
      const expected = data.subarray(loc.offsetBytes, loc.offsetBytes + loc.lengthBytes);
      for (const id of ids) {
        const dir = path.join(cluster.datanodeDir(cluster.indexOfDatanode(id)), 'chunks', (loc.chunkId & 0xff).toString(16).padStart(2, '0'));
        const base = `${loc.chunkId.toString(16)}_${loc.gen}`;
        // One file: the bytes, a CRC32C per 64 KiB window, then a 16-byte tail (common/replica-file.ts).
        const replica = await readFile(path.join(dir, `${base}.rep`));
        const windows = Math.ceil(expected.length / 65536);
        expect(replica.length).toBe(expected.length + windows * 4 + 16);
        const bytes = replica.subarray(0, expected.length);
        expect(bytes.equals(expected)).toBe(true);
        for (let w = 0; w < windows; w++) {
          expect(replica.readUInt32LE(expected.length + w * 4)).toBe(crc32c(bytes.subarray(w * 65536, (w + 1) * 65536)) >>> 0);
        }
      }
    }
  }

  it('puts each chunk on 3 distinct datanodes, with the current stamp and valid CRC32C checksums', async () => {
    const data = pseudoRandomBytes(3 * chunk + 4321, 77);
    await fs.writeFile('/placed', data);
    await expectReplicasHold('/placed', data);
  });

  it('writers at once through the same datanodes each get their own bytes on every replica (datanodes read into reused memory)', async () => {
    // The datanodes read chunk bytes into slabs they reuse once the bytes are written and
    // forwarded (common/read-slabs.ts): a slab reused too early would put one writer's bytes,
    // or later bytes of the same one, into another's replica.
    const writers = Array.from({ length: 4 }, (_, i) => ({ file: `/together-${i}`, data: pseudoRandomBytes(6 * chunk + 1000 * i, 300 + i) }));
    await Promise.all(
      writers.map(async ({ file, data }) => {
        const pieces = [];
        for (let at = 0; at < data.length; at += 192 * 1024) pieces.push(data.subarray(at, at + 192 * 1024));
        await pipeline(Readable.from(pieces), fs.createWriteStream(file));
      }),
    );
    for (const { file, data } of writers) await expectReplicasHold(file, data);
  });

  it('an overwrite gets a new generation stamp and the old replicas are deleted', async () => {
    await fs.writeFile('/restamped', pseudoRandomBytes(1000, 1));
    const [before] = await fs.getChunkLocations('/restamped');
    const handle = await fs.open('/restamped', 'r+');
    await handle.write(Buffer.from('new'), 0, 3, 10);
    await handle.close();
    const [after] = await fs.getChunkLocations('/restamped');
    expect(after?.chunkId).toBe(before?.chunkId);
    expect(after?.gen).toBeGreaterThan(before?.gen ?? Infinity);
    const oldFile = (i: number): string =>
      path.join(cluster.datanodeDir(i), 'chunks', ((before?.chunkId ?? 0) & 0xff).toString(16).padStart(2, '0'), `${before?.chunkId.toString(16)}_${before?.gen}.rep`);
    const { waitFor } = await import('../helpers/mini-cluster.js');
    const fse = (await import('fs-extra')).default;
    await waitFor(async () => !(await fse.pathExists(oldFile(0))) && !(await fse.pathExists(oldFile(1))) && !(await fse.pathExists(oldFile(2))), 10_000, 'stale replicas deleted');
  });

  it('deleting a file frees its replicas on the datanodes', async () => {
    await fs.writeFile('/doomed', pseudoRandomBytes(2 * chunk, 3));
    const locations = await fs.getChunkLocations('/doomed');
    await fs.unlink('/doomed');
    const fse = (await import('fs-extra')).default;
    const { waitFor } = await import('../helpers/mini-cluster.js');
    await waitFor(async () => {
      for (const loc of locations) {
        for (const dn of loc.datanodes) {
          const file = path.join(cluster.datanodeDir(cluster.indexOfDatanode(dn.id)), 'chunks', (loc.chunkId & 0xff).toString(16).padStart(2, '0'), `${loc.chunkId.toString(16)}_${loc.gen}.rep`);
          if (await fse.pathExists(file)) return false;
        }
      }
      return true;
    }, 10_000, 'replicas of a deleted file removed');
  });
});
