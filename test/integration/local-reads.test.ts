// Short-circuit local reads (client/sdk/local-reads.ts): a client on the datanodes' machine reads
// replica files itself, verifying checksums; anything it cannot read, or that fails its
// checksums, goes through the datanode. Real datanode processes and replica files.

import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pseudoRandomBytes, sha256 } from '../helpers/data.js';
import { MiniCluster } from '../helpers/mini-cluster.js';

const chunk = 1024 * 1024;
let cluster: MiniCluster;

beforeAll(async () => {
  cluster = await MiniCluster.start({ datanodes: 3, chunkSizeBytes: chunk });
});
afterAll(async () => {
  await cluster?.stop();
});

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

  it('small replicas (under 1 MiB, usually read once) are read through the datanode', async () => {
    const fs = cluster.client();
    await fs.writeFile('/small', 'a small file');
    expect(await fs.readFile('/small', 'utf8')).toBe('a small file');
    expect(fs.localReads).toEqual({ local: 0, fallbacks: 0 });
  });

  it('a replica that fails its checksums is read through a datanode instead, and the data is right', async () => {
    const fs = cluster.client();
    const data = pseudoRandomBytes(chunk, 12);
    await fs.writeFile('/bitrot', data, { replication: 1 });
    const [loc] = await fs.getChunkLocations('/bitrot');
    const file = cluster.replicaPath(cluster.indexOfDatanode(loc?.datanodes[0]?.id as string), loc?.chunkId as number, loc?.gen as number);
    const bytes = await readFile(file);
    bytes[5000] = (bytes[5000] as number) ^ 0x40;
    await writeFile(file, bytes);
    // The only replica is corrupt: the local read refuses it, the datanode refuses it too.
    const reader = cluster.client();
    const buf = Buffer.alloc(4096);
    const handle = await reader.open('/bitrot', 'r');
    await expect(handle.read(buf, 0, 4096, 4096)).rejects.toThrow(/checksum|replica/);
    await handle.close();
    expect(reader.localReads.fallbacks).toBeGreaterThanOrEqual(1);
  });

  it('can be turned off (localReads: false): every read goes to a datanode', async () => {
    const fs = cluster.client({ localReads: false });
    await fs.writeFile('/remote', 'over the network');
    expect(await fs.readFile('/remote', 'utf8')).toBe('over the network');
    expect(fs.localReads).toEqual({ local: 0, fallbacks: 0 });
  });
});
