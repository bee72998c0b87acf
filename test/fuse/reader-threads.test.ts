// Reads answered by the mount's reader threads themselves (client/fuse/fast-reads.ts): the bytes
// are the file's, a writer or a truncate through the same mount is seen at once by a reader
// already open, and a replica that rots under an open reader is read from another. A real
// cluster, a real mount process, real replica files.

import { constants as O } from 'node:fs';
import fsp from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pseudoRandomBytes, sha256 } from '../helpers/data.js';
import { MiniCluster } from '../helpers/mini-cluster.js';
import { fuseUnavailable, Mount, readAt } from '../helpers/mount.js';

const skip = fuseUnavailable();
const chunk = 1024 * 1024;
let cluster: MiniCluster;
let mount: Mount;

beforeAll(async () => {
  if (skip !== undefined) return;
  cluster = await MiniCluster.start({ datanodes: 3, chunkSizeBytes: chunk });
  mount = await Mount.start(cluster, { logLevel: 'info', readers: 2 });
});
afterAll(async () => {
  await mount?.stop();
  await cluster?.stop();
});

describe.skipIf(skip !== undefined)('reads answered by the reader threads', () => {
  const data = pseudoRandomBytes(3 * chunk + 99, 31);

  it('return the file byte for byte, whole and at random offsets (across chunks, into the short last chunk)', async () => {
    await fsp.writeFile(mount.p('big.bin'), data);
    expect(sha256(await fsp.readFile(mount.p('big.bin')))).toBe(sha256(data));
    const handle = await fsp.open(mount.p('big.bin'), O.O_RDONLY | O.O_DIRECT);
    for (let i = 0; i < 300; i++) {
      const at = (i * 7919 * 4096 + (i % 7) * 4096) % data.length;
      expect(sha256(await readAt(handle, at, 4096))).toBe(sha256(data.subarray(at, at + 4096)));
    }
    const across = chunk - 2048;
    expect(sha256(await readAt(handle, across, 4096))).toBe(sha256(data.subarray(across, across + 4096)));
    expect((await readAt(handle, data.length - 10, 4096)).equals(data.subarray(data.length - 10))).toBe(true);
    expect((await readAt(handle, data.length + 4096, 4096)).length).toBe(0);
    await handle.close();
  });

  it('a reader open before a writer of the same mount sees its writes at once, and a truncate through the mount', async () => {
    const reader = await fsp.open(mount.p('big.bin'), O.O_RDONLY | O.O_DIRECT);
    const at = chunk + 4096;
    expect(sha256(await readAt(reader, at, 4096))).toBe(sha256(data.subarray(at, at + 4096)));
    expect(sha256(await readAt(reader, at, 4096))).toBe(sha256(data.subarray(at, at + 4096)));
    const fresh = pseudoRandomBytes(4096, 32);
    const writer = await fsp.open(mount.p('big.bin'), 'r+');
    await writer.write(fresh, 0, 4096, at);
    expect((await readAt(reader, at, 4096)).equals(fresh)).toBe(true);
    await writer.close();
    expect((await readAt(reader, at, 4096)).equals(fresh)).toBe(true);
    expect(sha256(await readAt(reader, 0, 4096))).toBe(sha256(data.subarray(0, 4096)));
    await fsp.truncate(mount.p('big.bin'), 1000);
    expect((await readAt(reader, at, 4096)).length).toBe(0);
    expect((await readAt(reader, 0, 4096)).equals(data.subarray(0, 1000))).toBe(true);
    await reader.close();
  });

  it('a replica that rots under an open reader is read from a good one', async () => {
    const rotting = pseudoRandomBytes(2 * chunk, 33);
    await fsp.writeFile(mount.p('rot.bin'), rotting);
    const reader = await fsp.open(mount.p('rot.bin'), O.O_RDONLY | O.O_DIRECT);
    for (let at = 0; at < chunk; at += 64 * 1024) expect((await readAt(reader, at, 4096)).equals(rotting.subarray(at, at + 4096))).toBe(true);
    // Two of the three replicas of chunk 0 flip a bit at 8 KiB.
    const [loc] = await cluster.client().getChunkLocations('/rot.bin');
    for (const dn of loc?.datanodes.slice(0, 2) ?? []) {
      const file = cluster.replicaPath(cluster.indexOfDatanode(dn.id), loc?.chunkId as number, loc?.gen as number);
      const bytes = await fsp.readFile(file);
      bytes[8192] = (bytes[8192] as number) ^ 0x10;
      await fsp.writeFile(file, bytes);
    }
    expect((await readAt(reader, 8192, 4096)).equals(rotting.subarray(8192, 8192 + 4096))).toBe(true);
    await reader.close();
    expect(sha256(await fsp.readFile(mount.p('rot.bin')))).toBe(sha256(rotting));
  });

  it('did answer reads and read-only flushes without the main thread (the counts the mount logs when it unmounts)', async () => {
    await mount.stop();
    const served = /"servedFast":\{"reads":(\d+)/.exec(mount.logs());
    expect(served, mount.logs()).not.toBeNull();
    // 300 random reads above, nearly all of them after their chunk was offered.
    expect(Number(served?.[1])).toBeGreaterThan(250);
    // Every close of a file opened for reading (readFile, the O_DIRECT handles): nothing to flush.
    const flushes = /"servedFast":\{[^}]*"flushes":(\d+)/.exec(mount.logs());
    expect(Number(flushes?.[1])).toBeGreaterThanOrEqual(4);
  });
});
