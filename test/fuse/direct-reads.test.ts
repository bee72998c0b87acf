// Large sequential reads through a mount, answered from local replicas past the page cache with
// read-ahead (client/fuse/direct-reads.ts) by the main thread, and through the page cache by
// reader threads (`--readers`): the bytes are the file's either way, and a replica rotting under
// the reader is read from a good one. A real cluster with 8 MiB chunks, real mount processes,
// real replica files.

import { constants as O } from 'node:fs';
import fsp from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pseudoRandomBytes, sha256 } from '../helpers/data.js';
import { MiniCluster } from '../helpers/mini-cluster.js';
import { fuseUnavailable, Mount, readAt } from '../helpers/mount.js';

const skip = fuseUnavailable();
const chunk = 8 * 1024 * 1024;
const mib = 1024 * 1024;
let cluster: MiniCluster;
let mounts: Mount[] = [];

beforeAll(async () => {
  if (skip !== undefined) return;
  cluster = await MiniCluster.start({ datanodes: 3, chunkSizeBytes: chunk });
  mounts = [await Mount.start(cluster, { logLevel: 'info' }), await Mount.start(cluster, { logLevel: 'info', readers: 2 })];
});
afterAll(async () => {
  for (const mount of mounts) await mount.stop();
  await cluster?.stop();
});

/** Reads the whole file in `step`-byte O_DIRECT reads (each one reaches the mount). */
async function readInSteps(file: string, step: number): Promise<Buffer> {
  const handle = await fsp.open(file, O.O_RDONLY | O.O_DIRECT);
  const parts: Buffer[] = [];
  try {
    for (let at = 0; ; at += step) {
      const part = await readAt(handle, at, step);
      if (part.length === 0) break;
      parts.push(part);
    }
  } finally {
    await handle.close();
  }
  return Buffer.concat(parts);
}

describe.skipIf(skip !== undefined)('large sequential reads past the page cache', () => {
  const data = pseudoRandomBytes(2 * chunk + 5 * mib + 777, 41);

  it('return the file byte for byte, in large and small reads, on the main thread and on reader threads', async () => {
    const [main, readers] = mounts as [Mount, Mount];
    await fsp.writeFile(main.p('big.bin'), data);
    for (const mount of [main, readers]) {
      expect(sha256(await readInSteps(mount.p('big.bin'), mib))).toBe(sha256(data));
      expect(sha256(await readInSteps(mount.p('big.bin'), 256 * 1024 + 4096))).toBe(sha256(data));
      // Large reads out of order (none sequential) stay on the page-cache path.
      const jumping = await fsp.open(mount.p('big.bin'), O.O_RDONLY | O.O_DIRECT);
      for (const at of [5 * mib, 17 * mib, 3 * mib, 11 * mib]) {
        expect((await readAt(jumping, at, 256 * 1024)).equals(data.subarray(at, at + 256 * 1024))).toBe(true);
      }
      await jumping.close();
      // Small random reads stay on the page-cache path; the bytes are the same.
      const handle = await fsp.open(mount.p('big.bin'), O.O_RDONLY | O.O_DIRECT);
      for (let i = 0; i < 50; i++) {
        const at = ((i * 7919 + 13) * 4096) % (data.length - 4096);
        expect((await readAt(handle, at, 4096)).equals(data.subarray(at, at + 4096))).toBe(true);
      }
      await handle.close();
    }
  });

  it('show a reader the writes of a writer on the same mount at once, in the blocks it had read ahead too', async () => {
    const [main] = mounts as [Mount];
    const before = pseudoRandomBytes(chunk, 43);
    await fsp.writeFile(main.p('rewritten.bin'), before);
    const reader = await fsp.open(main.p('rewritten.bin'), O.O_RDONLY | O.O_DIRECT);
    // The first read goes through the main thread (which offers the chunk), the next ones are
    // sequential: past the page cache, with the blocks at 4-8 MiB read ahead.
    for (const at of [0, mib, 2 * mib, 3 * mib]) expect((await readAt(reader, at, mib)).equals(before.subarray(at, at + mib))).toBe(true);
    const fresh = pseudoRandomBytes(mib, 44);
    const writer = await fsp.open(main.p('rewritten.bin'), 'r+');
    await writer.write(fresh, 0, mib, 5 * mib);
    for (const at of [4 * mib, 5 * mib, 6 * mib]) {
      expect((await readAt(reader, at, mib)).equals(at === 5 * mib ? fresh : before.subarray(at, at + mib))).toBe(true);
    }
    await writer.close();
    expect((await readAt(reader, 5 * mib, mib)).equals(fresh)).toBe(true);
    await reader.close();
  });

  it('read a replica that rots under an open reader from a good one', async () => {
    const [main] = mounts as [Mount];
    const rotting = pseudoRandomBytes(chunk, 42);
    await fsp.writeFile(main.p('rot.bin'), rotting);
    const reader = await fsp.open(main.p('rot.bin'), O.O_RDONLY | O.O_DIRECT);
    expect((await readAt(reader, 0, mib)).equals(rotting.subarray(0, mib))).toBe(true);
    // Every replica but one flips a bit at 5 MiB + 100 (blocks past the first are read after this).
    const [loc] = await cluster.client().getChunkLocations('/rot.bin');
    for (const dn of loc?.datanodes.slice(0, 2) ?? []) {
      const file = cluster.replicaPath(cluster.indexOfDatanode(dn.id), loc?.chunkId as number, loc?.gen as number);
      const bytes = await fsp.readFile(file);
      bytes[5 * mib + 100] = (bytes[5 * mib + 100] as number) ^ 0x10;
      await fsp.writeFile(file, bytes);
    }
    for (let at = 4 * mib; at < chunk; at += mib) {
      const part = await readAt(reader, at, mib);
      expect(part.length).toBe(mib);
      expect(part.equals(rotting.subarray(at, at + mib))).toBe(true);
    }
    await reader.close();
  });

  it('did serve large sequential reads past the page cache on the main thread only (the counts each mount logs when it unmounts)', async () => {
    const [main, readers] = mounts as [Mount, Mount];
    const counts: number[] = [];
    for (const mount of [main, readers]) {
      await mount.stop();
      const direct = /"servedFast":\{"reads":(\d+)[^}]*"direct":(\d+)/.exec(mount.logs());
      expect(direct, mount.logs()).not.toBeNull();
      counts.push(Number(direct?.[1]), Number(direct?.[2]));
    }
    const [mainReads, mainDirect, readerReads, readerDirect] = counts as [number, number, number, number];
    // Two whole reads of the 21 MiB file, nearly all after their chunk was offered; each
    // chunk's first read goes through the page cache unless it starts the chunk.
    expect(mainDirect).toBeGreaterThan(40);
    expect(mainReads).toBeGreaterThan(mainDirect);
    expect(readerReads).toBeGreaterThan(40);
    expect(readerDirect).toBe(0);
  });
});
