// A writer that fsyncs the same chunk again and again (a database, a log): each synced commit
// that keeps the lease asks for the chunk's next version (CommitChunk prepare_next), so the next
// update needs no PrepareChunk, and datanodes keep a spare copy of the replica just updated for
// it. Real namenode and datanode processes; the bytes are checked against a local model after
// every step, including a truncate (the next version was prepared from the longer length) and a
// datanode SIGKILLed between two fsyncs (the next version's pipeline names it).

import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CairnClient } from '../../client/sdk/client.js';
import type { FileHandle } from '../../client/sdk/file-handle.js';
import { NamenodeClient } from '../../client/sdk/namenode-client.js';
import { DataTransferPool } from '../../common/transfer.js';
import { MiniCluster } from '../helpers/mini-cluster.js';
import { pseudoRandomBytes } from '../helpers/data.js';

let cluster: MiniCluster;

beforeAll(async () => {
  cluster = await MiniCluster.start({ datanodes: 4, chunkSizeBytes: 1024 * 1024 });
});
afterAll(async () => {
  vi.restoreAllMocks();
  await cluster?.stop();
});

const page = 4096;

describe('updates of a chunk fsynced again and again', () => {
  it('need no PrepareChunk after the first synced commit, and keep every byte', async () => {
    const fs = cluster.client();
    const model = pseudoRandomBytes(300 * 1024, 1);
    const handle = await fs.open('/db', 'w+');
    await handle.write(model, 0, model.length, 0);
    await handle.sync();
    const prepares = vi.spyOn(NamenodeClient.prototype, 'prepareChunk');
    const headers = vi.spyOn(DataTransferPool.prototype, 'openWrite');
    try {
      for (let tx = 0; tx < 12; tx++) {
        // Two scattered pages and a header, as a database's transaction writes them.
        for (const at of [((tx * 7 + 3) % 70) * page, ((tx * 13 + 40) % 70) * page, 0]) {
          const bytes = pseudoRandomBytes(at === 0 ? 100 : page, 100 + tx * 3 + at);
          await handle.write(bytes, 0, bytes.length, at);
          bytes.copy(model, at);
        }
        await handle.sync();
      }
      expect(prepares).not.toHaveBeenCalled();
      // Each update's version came with the reply to its base's synced commit, which the namenode
      // sends once that commit is on its disk: the datanodes may drop the version before the base.
      const updates = headers.mock.calls.map(([, header]) => header).filter((h) => h.baseGen !== 0);
      expect(updates.length).toBe(12);
      expect(updates.every((h) => h.baseDurable === true)).toBe(true);
    } finally {
      prepares.mockRestore();
      headers.mockRestore();
    }
    await handle.close();
    expect((await cluster.client().readFile('/db')).equals(model)).toBe(true);
    // Each datanode holding the chunk kept a spare copy of its last version for the next update:
    // a copy (.spare), or a superseded version's file patched (.old, datanode/chunk-store.ts).
    const spares = [0, 1, 2, 3].flatMap((i) => readdirSync(path.join(cluster.datanodeDir(i), 'tmp')).filter((f) => /\.(spare|old)\d+$/.test(f)));
    expect(spares.length).toBeGreaterThanOrEqual(1);
    expect((await cluster.client().fsck('/')).healthy).toBe(true);
  });

  /**
   * Writes 200 KiB and fsyncs (which prepares the next version from that base), cuts the file to
   * 1,000 bytes with `cut`, writes past the cut and fsyncs again: the bytes between stay zeros.
   */
  async function cutBetweenFsyncs(path: string, cut: (fs: CairnClient, handle: FileHandle) => Promise<() => Promise<void>>): Promise<void> {
    const fs = cluster.client();
    const handle = await fs.open(path, 'w+');
    const first = pseudoRandomBytes(200 * 1024, 2);
    await handle.write(first, 0, first.length, 0);
    await handle.sync();
    const after = await cut(fs, handle);
    const tail = Buffer.from('after the cut');
    await handle.write(tail, 0, tail.length, 150 * 1024);
    await handle.sync();
    await handle.close();
    await after();
    const want = Buffer.alloc(150 * 1024 + tail.length);
    first.copy(want, 0, 0, 1000);
    tail.copy(want, 150 * 1024);
    expect((await cluster.client().readFile(path)).equals(want)).toBe(true);
  }

  it('a truncate between two fsyncs is not undone by the version prepared before it', async () => {
    await cutBetweenFsyncs('/cut', async (_fs, handle) => {
      await handle.truncate(1000);
      return async () => undefined;
    });
  });

  it('a truncate through another handle between two fsyncs: the namenode refuses the old version, the write is redone', async () => {
    // The same client (it holds the lease), not the writing handle; open until after the write, so the lease stays.
    await cutBetweenFsyncs('/cut-elsewhere', async (fs) => {
      const other = await fs.open('/cut-elsewhere', 'r+');
      await other.truncate(1000);
      return () => other.close();
    });
  });

  it('an fsync makes durable what others wrote and closed without one, asking once while the lease is held', async () => {
    const fs = cluster.client();
    await fs.writeFile('/closed-unsynced', pseudoRandomBytes(3 * 1024 * 1024 + 10, 6)); // 4 chunks, closed: on every replica, not fsynced
    const syncs = vi.spyOn(DataTransferPool.prototype, 'sync');
    const lookups = vi.spyOn(NamenodeClient.prototype, 'getChunks');
    try {
      const synced = () => new Set(syncs.mock.calls.flatMap(([, req]) => (req.replicas ?? []).map((r) => r.chunkId))).size;
      const reader = await cluster.client().open('/closed-unsynced', 'r');
      await reader.sync();
      await reader.close();
      expect(synced()).toBe(4); // every chunk, on each of its holders
      syncs.mockClear();
      const writer = await cluster.client().open('/closed-unsynced', 'r+');
      await writer.sync();
      expect(synced()).toBe(4);
      syncs.mockClear();
      lookups.mockClear();
      await writer.write(Buffer.from('page'), 0, 4, 10);
      await writer.sync(); // its own synced commit; the other chunks are known durable now
      await writer.close();
      expect([synced(), lookups.mock.calls.length]).toEqual([0, 0]);
      // A file this handle began empty: nothing to ask about.
      const fresh = await cluster.client().open('/fresh-synced', 'w');
      await fresh.write(Buffer.from('journal'), 0, 7, 0);
      await fresh.sync();
      await fresh.close();
      expect(lookups).not.toHaveBeenCalled();
    } finally {
      syncs.mockRestore();
      lookups.mockRestore();
    }
  });

  it('a datanode killed between two fsyncs: the next update goes around it', async () => {
    const fs = cluster.client();
    const model = pseudoRandomBytes(256 * 1024, 3);
    const handle = await fs.open('/around', 'w+');
    await handle.write(model, 0, model.length, 0);
    await handle.sync();
    const held = (await fs.getChunkLocations('/around'))[0]?.datanodes ?? [];
    expect(held).toHaveLength(3);
    const victim = cluster.indexOfDatanode(held[0]?.id ?? '');
    await cluster.killDatanode(victim, 'SIGKILL');
    try {
      const bytes = pseudoRandomBytes(page, 4);
      await handle.write(bytes, 0, bytes.length, 10 * page);
      bytes.copy(model, 10 * page);
      await handle.sync();
      await handle.close();
      expect((await cluster.client().readFile('/around')).equals(model)).toBe(true);
    } finally {
      await cluster.startDatanode(victim);
      await cluster.waitForLiveDatanodes(4);
    }
  });
});
