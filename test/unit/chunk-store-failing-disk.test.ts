// A datanode's chunk store when a directory fsync fails (a failing disk), with fsync mocked: a
// superseded version's file whose old name may still be on disk is never written into.

import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChunkStore } from '../../datanode/chunk-store.js';
import { pseudoRandomBytes } from '../helpers/data.js';

const disk = vi.hoisted(() => ({ failDirectories: false, failed: 0 }));

vi.mock('../../datanode/fsync.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../datanode/fsync.js')>();
  return {
    ...real,
    fsyncPath: async (file: string, dataOnly = false): Promise<void> => {
      if (disk.failDirectories && (await fsp.stat(file)).isDirectory()) {
        disk.failed++;
        throw Object.assign(new Error(`EIO: i/o error, fsync '${file}'`), { code: 'EIO' });
      }
      return real.fsyncPath(file, dataOnly);
    },
  };
});

describe('ChunkStore on a failing disk', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cairn-csf-'));
    disk.failDirectories = false;
    disk.failed = 0;
  });
  afterEach(async () => {
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it("a superseded version's file whose directory fsync failed is not patched: the spare is a full copy, the next update intact", async () => {
    // A free file to take (kept across a restart), so that a failed patch would start from an empty file.
    const before = await ChunkStore.open(dir);
    const spareFree = await before.createWriter({ chunkId: 6, gen: 1, baseGen: 0, baseLengthBytes: 0, offsetBytes: 0 });
    await spareFree.write(Buffer.alloc(1000));
    await spareFree.finish(-1, false);
    await before.delete(6, 1);
    await before.drained();
    const store = await ChunkStore.open(dir);
    let model = pseudoRandomBytes(4 * 64 * 1024 + 99, 50);
    const first = await store.createWriter({ chunkId: 5, gen: 1, baseGen: 0, baseLengthBytes: 0, offsetBytes: 0 });
    await first.write(model);
    await first.finish(-1, true);
    const update = async (gen: number, at: number, sync = true): Promise<void> => {
      const writer = await store.createWriter({ chunkId: 5, gen, baseGen: gen - 1, baseLengthBytes: model.length, offsetBytes: 0, baseDurable: gen > 2 });
      if (gen === 3) {
        // Version 1 was just moved out. The batch's fsync of the directory it left fails (and
        // this update's own directory fsync comes after that batch took it).
        disk.failDirectories = true;
        await vi.waitFor(() => expect(disk.failed).toBeGreaterThan(0), { timeout: 5000, interval: 5 });
        disk.failDirectories = false;
      }
      const page = pseudoRandomBytes(4096, 60 + gen);
      await writer.writeAt(at, page);
      model = Buffer.from(model);
      page.copy(model, at);
      await writer.finish(-1, sync);
      await new Promise((resolve) => setImmediate(resolve)); // its spare is registered in the next turn
    };
    await update(2, 100);
    await update(3, 2 * 64 * 1024 + 5); // retires 1
    const spare = await store.spareOf(5);
    expect(spare?.key).toBe('5_3');
    expect((await fsp.readFile(spare!.file)).equals(await fsp.readFile(store.replicaPath(5, 3)))).toBe(true);
    expect(store.sparesPatched).toBe(0);
    // The next update starts from that spare and writes part of one window only: every other
    // window keeps its checksum unread, so a wrong spare would be served as this version.
    await update(4, 3 * 64 * 1024 + 17);
    const parts: Buffer[] = [];
    for await (const part of store.read(5, 4, 0, model.length)) parts.push(part);
    expect(Buffer.concat(parts).equals(model)).toBe(true);
  });
});
