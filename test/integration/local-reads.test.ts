// Short-circuit local reads (client/sdk/local-reads.ts): a client on the datanodes' machine reads
// replica files itself, verifying checksums; anything it cannot read, or that fails its
// checksums, goes through the datanode. Real datanode processes and replica files.

import { constants as O } from 'node:fs';
import { access, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pseudoRandomBytes, sha256 } from '../helpers/data.js';
import { MiniCluster, waitFor } from '../helpers/mini-cluster.js';
import { FastReads, type ReaderControl } from '../../client/fuse/fast-reads.js';
import type { Identities } from '../../client/fuse/identities.js';
import { OpenFiles } from '../../client/fuse/open-files.js';

const chunk = 1024 * 1024;
let cluster: MiniCluster;

beforeAll(async () => {
  cluster = await MiniCluster.start({ datanodes: 3, chunkSizeBytes: chunk });
});
afterAll(async () => {
  await cluster?.stop();
});

/** The file of the first replica of `path`'s first chunk. */
async function firstReplicaFile(fs: ReturnType<MiniCluster['client']>, path: string): Promise<string> {
  const [loc] = await fs.getChunkLocations(path);
  return cluster.replicaPath(cluster.indexOfDatanode(loc?.datanodes[0]?.id as string), loc?.chunkId as number, loc?.gen as number);
}

/** Flips bit `mask` of the byte at `at` of `path`'s only replica, written with replication 1. */
async function rot(fs: ReturnType<MiniCluster['client']>, path: string, at: number, mask: number): Promise<void> {
  const file = await firstReplicaFile(fs, path);
  const bytes = await readFile(file);
  bytes[at] = (bytes[at] as number) ^ mask;
  await writeFile(file, bytes);
}

describe('short-circuit local reads', () => {
  it('serve reads from the replica files, without data connections, and byte for byte', async () => {
    const fs = cluster.client();
    const data = pseudoRandomBytes(3 * chunk, 11);
    await cluster.client().writeFile('/local', data);
    const before = fs.dataConnections;
    expect(sha256(await fs.readFile('/local'))).toBe(sha256(data));
    const handle = await fs.open('/local', 'r');
    const buf = Buffer.alloc(4096);
    for (let i = 0; i < 50; i++) {
      const at = (i * 7919 * 4096 + 13) % (data.length - 4096);
      await handle.read(buf, 0, 4096, at);
      expect(buf.equals(data.subarray(at, at + 4096))).toBe(true);
    }
    await handle.close();
    // One LOCAL_REQUEST per replica used (3 chunks on at most 3 datanodes each): no bytes came over a socket.
    expect(fs.localReads.local).toBeGreaterThanOrEqual(53);
    expect(fs.dataConnections.connects + fs.dataConnections.reuses - before.connects - before.reuses).toBeLessThanOrEqual(9);
  });

  it('a file overwritten meanwhile reads its new version (replicas never change; new versions are new files)', async () => {
    const fs = cluster.client();
    const first = pseudoRandomBytes(chunk, 21);
    const second = pseudoRandomBytes(chunk, 22);
    await fs.writeFile('/versions', first);
    expect(sha256(await fs.readFile('/versions'))).toBe(sha256(first));
    const writer = await cluster.client().open('/versions', 'r+');
    await writer.write(second, 0, chunk, 0);
    await writer.close();
    expect(sha256(await fs.readFile('/versions'))).toBe(sha256(second));
    expect(fs.localReads.local).toBeGreaterThanOrEqual(2);
  });

  it('small replicas (under 1 MiB) are read from their files by name: one data connection per datanode, to learn where its files are', async () => {
    const writer = cluster.client();
    const sizes = [1, 12, 4096, 64 * 1024, 64 * 1024 + 1, 200_003, chunk - 1];
    const files = sizes.map((size, i) => ({ path: `/small-${i}`, data: pseudoRandomBytes(size, 40 + i) }));
    for (const f of files) await writer.writeFile(f.path, f.data);
    const fs = cluster.client();
    const before = fs.dataConnections;
    for (const f of files) {
      expect((await fs.readFile(f.path)).equals(f.data)).toBe(true);
      // A range inside, not at the end: the windows around it and the trailer, read apart.
      if (f.data.length > 10) {
        const handle = await fs.open(f.path, 'r');
        const buf = Buffer.alloc(Math.floor(f.data.length / 3));
        await handle.read(buf, 0, buf.length, 5);
        await handle.close();
        expect(buf.equals(f.data.subarray(5, 5 + buf.length))).toBe(true);
      }
    }
    expect(fs.localReads.local).toBeGreaterThanOrEqual(2 * files.length - 1);
    expect(fs.localReads.fallbacks).toBe(0);
    expect(fs.dataConnections.connects + fs.dataConnections.reuses - before.connects - before.reuses).toBeLessThanOrEqual(3);
  });

  it('a small replica gone since the handle learnt its version (the file rewritten) is read again as it is now', async () => {
    const fs = cluster.client();
    await fs.writeFile('/rewritten', 'first version', { replication: 1 });
    const handle = await fs.open('/rewritten', 'r');
    const buf = Buffer.alloc(13);
    await handle.read(buf, 0, 13, 0);
    expect(buf.toString()).toBe('first version');
    const oldFile = await firstReplicaFile(fs, '/rewritten');
    await cluster.client().writeFile('/rewritten', 'later version');
    await waitFor(async () => !(await readFile(oldFile).then(() => true, () => false)), 30_000, 'the old replica deleted');
    const fallbacks = fs.localReads.fallbacks;
    await handle.read(buf, 0, 13, 0);
    await handle.close();
    expect(buf.toString()).toBe('later version');
    expect(fs.localReads.fallbacks).toBeGreaterThan(fallbacks); // its file was missing
  });

  it('a small file cut shorter (the same replica, a shorter committed length) is read locally, only its bytes', async () => {
    const fs = cluster.client();
    const data = pseudoRandomBytes(70_000, 14); // two windows: the cut falls in the second
    await fs.writeFile('/cut', data);
    await fs.truncate('/cut', 66_000);
    const reader = cluster.client();
    expect((await reader.readFile('/cut')).equals(data.subarray(0, 66_000))).toBe(true);
    const handle = await reader.open('/cut', 'r');
    const buf = Buffer.alloc(100);
    await handle.read(buf, 0, 100, 65_900);
    await handle.close();
    expect(buf.equals(data.subarray(65_900, 66_000))).toBe(true);
    expect(reader.localReads.fallbacks).toBe(0);
    expect(reader.localReads.local).toBeGreaterThanOrEqual(2);
  });

  it('a small replica that fails its checksums is read through a datanode instead', async () => {
    const fs = cluster.client();
    const data = pseudoRandomBytes(5000, 13);
    await fs.writeFile('/small-bitrot', data, { replication: 1 });
    await rot(fs, '/small-bitrot', 100, 0x01);
    const reader = cluster.client();
    await expect(reader.readFile('/small-bitrot')).rejects.toThrow(/checksum|replica/);
    expect(reader.localReads.fallbacks).toBeGreaterThanOrEqual(1);
  });

  it('a replica that fails its checksums is read through a datanode instead, and the data is right', async () => {
    const fs = cluster.client();
    const data = pseudoRandomBytes(chunk, 12);
    await fs.writeFile('/bitrot', data, { replication: 1 });
    await rot(fs, '/bitrot', 5000, 0x40);
    // The only replica is corrupt: the local read refuses it, the datanode refuses it too.
    const reader = cluster.client();
    const buf = Buffer.alloc(4096);
    const handle = await reader.open('/bitrot', 'r');
    await expect(handle.read(buf, 0, 4096, 4096)).rejects.toThrow(/checksum|replica/);
    await handle.close();
    expect(reader.localReads.fallbacks).toBeGreaterThanOrEqual(1);
  });

  it('a datanode keeps new empty files ready (--free-stock), and a new replica is one of them', async () => {
    const fs = cluster.client();
    const tmp = path.join(cluster.datanodeDir(1), 'tmp');
    const stockedInodes = async (): Promise<Set<number>> => {
      const names = (await readdir(tmp)).filter((n) => n.startsWith('free.'));
      // A file taken between the listing and its stat is simply not counted.
      return new Set((await Promise.all(names.map(async (n) => (await stat(path.join(tmp, n)).catch(() => undefined))?.ino))).filter((i) => i !== undefined));
    };
    await waitFor(async () => (await stockedInodes()).size >= 256, 20_000, 'the datanode to stock its free files');
    const stocked = await stockedInodes();
    await fs.writeFile('/from-stock', Buffer.from('a small file'));
    const [loc] = await fs.getChunkLocations('/from-stock');
    const replica = cluster.replicaPath(1, loc?.chunkId as number, loc?.gen as number);
    expect(stocked.has((await stat(replica)).ino)).toBe(true);
  });

  it('can be turned off (localReads: false): every read goes to a datanode', async () => {
    const fs = cluster.client({ localReads: false });
    await fs.writeFile('/remote', 'over the network');
    expect(await fs.readFile('/remote', 'utf8')).toBe('over the network');
    expect(fs.localReads).toEqual({ local: 0, fallbacks: 0 });
  });

  it('a mount locates the local replicas of a file it reads ahead of its reads, for its fast path (client/fuse/open-files.ts)', async () => {
    // 70 chunks of 1 MiB: 16 are located ahead of the reader, among those the handle knows (the
    // open brings 64). Without that, each chunk was offered to the fast path only after a read of
    // it through the main thread.
    const data = pseudoRandomBytes(70 * chunk, 13);
    await cluster.client().writeFile('/streamed', data);
    const offered = new Map<number, Extract<ReaderControl, { kind: 'chunk' }>>();
    const fast = new FastReads((msg) => {
      if (msg.kind === 'chunk') offered.set(msg.index, msg);
    });
    const identities = { pin: () => undefined, unpin: () => undefined } as unknown as Identities;
    const files = new OpenFiles(identities, () => '/streamed', fast);
    const client = cluster.client();
    const indexes = (): number[] => [...offered.keys()].sort((a, b) => a - b);
    const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);
    const readAt = async (index: number): Promise<void> => {
      const out = Buffer.alloc(4096);
      expect(await files.read(opened.fh, out, 0, 4096, index * chunk)).toBe(4096);
      expect(out.equals(data.subarray(index * chunk, index * chunk + 4096))).toBe(true);
    };
    // The open locates the first 16 (the first before it answers, within a bound).
    const opened = await files.open({ client, path: '/streamed', ino: undefined, flags: O.O_RDONLY, mode: 0 });
    await waitFor(() => offered.size === 16, 10_000, 'the first 16 chunks offered');
    expect(indexes()).toEqual(range(0, 16));
    for (const msg of offered.values()) {
      await access(msg.path); // a replica file on this machine
      expect(msg.lengthBytes).toBe(chunk);
    }
    // A read of the last chunk first (an archive's index): through the main thread, which
    // learns where chunks 69 on are.
    await readAt(69);
    await waitFor(() => offered.has(69), 10_000, 'the last chunk offered');
    // The fast path's reads then move into chunk 10 (device.ts tells the main thread): 11-26.
    files.chunkReached(opened.fh, 10);
    await waitFor(() => offered.size === 28, 10_000, 'chunks up to 26 offered');
    expect(indexes()).toEqual([...range(0, 27), 69]);
    // Into chunk 60: only 61-63 are known to the handle yet.
    files.chunkReached(opened.fh, 60);
    await waitFor(() => offered.size === 31, 10_000, 'chunks 61-63 offered');
    // Chunk 64 through the main thread, which fetches its location: 64-68 follow.
    await readAt(64);
    await waitFor(() => offered.size === 36, 10_000, 'chunks 64-68 offered');
    expect(indexes()).toEqual([...range(0, 27), ...range(61, 70)]);
    await files.release(opened.fh);
    await client.close();
  });
});
