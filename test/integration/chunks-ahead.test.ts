// New chunks handed out ahead (AllocateChunks, client/sdk/chunk-stock.ts): write-behind uploads
// of new files take them instead of calling PrepareChunk, their commits bind them to the file,
// and the namenode lets only the client it gave them to commit them, only where the file has no
// chunk yet. Real namenode and datanode processes; a SIGKILLed namenode forgets what it handed out.

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ChunkStock } from '../../client/sdk/chunk-stock.js';
import { NamenodeClient } from '../../client/sdk/namenode-client.js';
import { MiniCluster } from '../helpers/mini-cluster.js';
import { codeOf } from '../helpers/mount.js';
import { pseudoRandomBytes } from '../helpers/data.js';

let cluster: MiniCluster;

beforeAll(async () => {
  cluster = await MiniCluster.start({ datanodes: 3, chunkSizeBytes: 1024 * 1024 });
});
afterAll(async () => {
  vi.restoreAllMocks();
  await cluster?.stop();
});

/** Writes `data` to a new file as the mount does (write-behind), and closes it. */
async function writeBehind(fs: ReturnType<MiniCluster['client']>, path: string, data: Buffer): Promise<void> {
  const handle = await fs.open(path, 'w', 0o644, { writeBehind: true, leaseAtFirstWrite: true });
  await handle.write(data, 0, data.length, 0);
  await handle.close();
}

describe('chunks handed out ahead', () => {
  it('new files written behind need no PrepareChunk once the stock is filled, and read back whole', async () => {
    const fs = cluster.client();
    const prepares = vi.spyOn(NamenodeClient.prototype, 'prepareChunk');
    const files = Array.from({ length: 40 }, (_, i) => pseudoRandomBytes(1000 + 997 * i, i));
    for (const [i, data] of files.entries()) await writeBehind(fs, `/ahead-${i}`, data);
    // The first upload finds the stock empty and prepares; the rest take handed-out chunks.
    expect(prepares.mock.calls.length).toBeLessThanOrEqual(2);
    for (const [i, data] of files.entries()) expect((await fs.readFile(`/ahead-${i}`)).equals(data)).toBe(true);
    // Two chunks: the second is new too, and the file is whole.
    const big = pseudoRandomBytes(1024 * 1024 + 4321, 99);
    await writeBehind(fs, '/ahead-two-chunks', big);
    expect((await fs.readFile('/ahead-two-chunks')).equals(big)).toBe(true);
    expect((await cluster.client().fsck('/')).healthy).toBe(true);
    prepares.mockRestore();
  });

  it('only the client given a chunk may commit it, and only where the file has no chunk yet', async () => {
    const fs = cluster.client();
    await fs.writeFile('/has-chunk', 'present');
    await fs.writeFile('/empty', '');
    const inodeOf = async (path: string) => (await fs.stat(path)).ino;
    const given = new NamenodeClient(cluster.namenodeAddress, { secret: cluster.secret, uid: 0, gid: 0, clientId: 'given' }, 10_000);
    const other = new NamenodeClient(cluster.namenodeAddress, { secret: cluster.secret, uid: 0, gid: 0, clientId: 'other' }, 10_000);
    try {
      const { chunks } = await given.allocateChunks(3, 3);
      expect(chunks).toHaveLength(3);
      expect(new Set(chunks.map((c) => c.chunkId)).size).toBe(3);
      for (const c of chunks) expect([c.baseGen, c.pipeline.length, c.token.length > 0]).toEqual([0, 3, true]);
      const [a, b] = chunks as [(typeof chunks)[0], (typeof chunks)[0]];
      const commit = (client: NamenodeClient, c: typeof a, inode: number) =>
        client.commitChunk({ inode, index: 0, chunkId: c.chunkId, gen: c.gen, lengthBytes: 0, datanodeIds: [c.pipeline[0]?.id ?? ''], mtimeMs: Date.now(), allocated: true });
      // Another client cannot commit it (nor can it pass it off as prepared for a file).
      expect(await codeOf(commit(other, a, await inodeOf('/empty')))).toBe('EAGAIN');
      expect(await codeOf(given.commitChunk({ inode: await inodeOf('/empty'), index: 0, chunkId: a.chunkId, gen: a.gen, lengthBytes: 0, datanodeIds: [a.pipeline[0]?.id ?? ''], mtimeMs: Date.now() }))).toBe('EAGAIN');
      // Where the file has a chunk already (another writer's), the commit is refused and the file kept.
      expect(await codeOf(commit(given, b, await inodeOf('/has-chunk')))).toBe('EBUSY');
      expect(await fs.readFile('/has-chunk', 'utf8')).toBe('present');
      // The owner binds it to a file without a chunk (an empty replica list is the test's shortcut: length 0).
      const { attr } = await commit(given, a, await inodeOf('/empty'));
      expect(attr.sizeBytes).toBe(0);
      // Handed out once: a second commit of the same chunk is refused.
      expect(await codeOf(commit(given, a, await inodeOf('/empty')))).toBe('EAGAIN');
      // A writer that saw another size (someone wrote the file meanwhile, elsewhere than this chunk) is refused too.
      await fs.writeFile('/sized', '');
      await fs.truncate('/sized', 100);
      const c = chunks[2] as typeof a;
      const sized = { inode: await inodeOf('/sized'), index: 0, chunkId: c.chunkId, gen: c.gen, lengthBytes: 0, datanodeIds: [c.pipeline[0]?.id ?? ''], mtimeMs: Date.now(), allocated: true, checkSize: true };
      expect(await codeOf(given.commitChunk({ ...sized, expectSizeBytes: 0 }))).toBe('EBUSY');
      await fs.unlink('/sized');
      // A client holds at most 256 at a time; asking for more gets fewer (it holds none now: all three were used).
      let held = 0;
      for (let round = 0; round < 6; round++) held += (await given.allocateChunks(64, 3)).chunks.length;
      expect(held).toBe(256);
      expect((await given.allocateChunks(64, 3)).chunks).toHaveLength(0);
      await fs.unlink('/empty'); // its chunk has no replica (the shortcut above)
    } finally {
      given.shutdown();
      other.shutdown();
    }
  });

  it('after a namenode SIGKILL the chunks in stock are dropped, and writes still land', async () => {
    const fs = cluster.client();
    const drops = vi.spyOn(ChunkStock.prototype, 'drop');
    for (let i = 0; i < 3; i++) await writeBehind(fs, `/before-kill-${i}`, pseudoRandomBytes(5000, 200 + i));
    expect(drops).not.toHaveBeenCalled();
    await cluster.killNamenode('SIGKILL');
    await cluster.startNamenode();
    await cluster.waitForLiveDatanodes(3);
    const after = Array.from({ length: 4 }, (_, i) => pseudoRandomBytes(7000, 300 + i));
    for (const [i, data] of after.entries()) await writeBehind(fs, `/after-kill-${i}`, data);
    // The first commit of a chunk the old namenode handed out was refused (EAGAIN), emptying the stock.
    expect(drops).toHaveBeenCalledTimes(1);
    drops.mockRestore();
    for (const [i, data] of after.entries()) expect((await fs.readFile(`/after-kill-${i}`)).equals(data)).toBe(true);
    for (let i = 0; i < 3; i++) expect((await fs.readFile(`/before-kill-${i}`)).equals(pseudoRandomBytes(5000, 200 + i))).toBe(true);
  });
});
