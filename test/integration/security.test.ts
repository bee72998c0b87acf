// Credentials are enforced by real server processes: the namenode refuses a client without the
// cluster secret, and a datanode moves chunk bytes only for a chunk token the namenode could have
// signed (right secret, right chunk version, right mode, not expired).

import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fse from 'fs-extra';
import { MiniCluster } from '../helpers/mini-cluster.js';
import { pseudoRandomBytes } from '../helpers/data.js';
import { CairnClient, type ChunkLocation } from '../../client/sdk/client.js';
import { ChunkTokens } from '../../common/auth.js';
import { DataTransferPool } from '../../common/transfer.js';

let cluster: MiniCluster;
const pools: DataTransferPool[] = [];
const extraClients: CairnClient[] = [];

beforeAll(async () => {
  cluster = await MiniCluster.start({ datanodes: 3, chunkSizeBytes: 1024 * 1024 });
});
afterAll(async () => {
  for (const pool of pools) pool.close();
  for (const client of extraClients) await client.close().catch(() => undefined);
  await cluster?.stop();
});

function pool(secret = cluster.secret): DataTransferPool {
  const p = new DataTransferPool({ secret, uid: 0, gid: 0, clientId: 't' });
  pools.push(p);
  return p;
}

/** Reads a whole range through `p`; rejects with the datanode's error. */
async function readAll(p: DataTransferPool, address: string, chunkId: number, gen: number, token: string, lengthBytes = 10): Promise<Buffer> {
  const pieces: Buffer[] = [];
  // A yielded piece is valid until the next one is asked for: copied.
  for await (const piece of p.read(address, { chunkId, gen, offsetBytes: 0, lengthBytes, token }, 5000)) pieces.push(Buffer.from(piece));
  return Buffer.concat(pieces);
}

describe('the namenode checks the cluster secret', () => {
  it('refuses a client with a wrong secret with EAUTH', async () => {
    const client = new CairnClient({ namenode: cluster.namenodeAddress, secret: 'wrong', uid: 0, gid: 0, deadlineMs: 10_000 });
    extraClients.push(client);
    await expect(client.stat('/')).rejects.toMatchObject({ code: 'EAUTH' });
    // The same call with the right secret succeeds (the refusal is about the secret).
    expect((await cluster.client().stat('/')).isDirectory()).toBe(true);
  });

  it('a client without a secret is rejected by the constructor with EINVAL', () => {
    expect(() => new CairnClient({ namenode: cluster.namenodeAddress, secret: '' })).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => new CairnClient({ namenode: cluster.namenodeAddress } as unknown as { namenode: string; secret: string })).toThrow(
      expect.objectContaining({ code: 'EINVAL' }),
    );
  });
});

describe('a datanode checks chunk tokens on reads', () => {
  const data = pseudoRandomBytes(5000, 4242);
  let loc: ChunkLocation;
  let address: string;

  beforeAll(async () => {
    const fs = cluster.client();
    await fs.writeFile('/secured', data);
    const locations = await fs.getChunkLocations('/secured');
    expect(locations).toHaveLength(1);
    loc = locations[0] as ChunkLocation;
    expect(loc.datanodes.length).toBeGreaterThan(0);
    address = (loc.datanodes[0] as { address: string }).address;
  });

  it('a valid token signed with the cluster secret reads the right bytes', async () => {
    const token = new ChunkTokens(cluster.secret).sign(loc.chunkId, loc.gen, 'r', Date.now());
    const got = await readAll(pool(), address, loc.chunkId, loc.gen, token);
    expect(got.equals(data.subarray(0, 10))).toBe(true);
  });

  it('refuses a forged token with EAUTH', async () => {
    await expect(readAll(pool(), address, loc.chunkId, loc.gen, 'r.99999999999999.forged')).rejects.toMatchObject({ code: 'EAUTH' });
  });

  it('refuses a token signed with a different secret with EAUTH', async () => {
    const token = new ChunkTokens('other').sign(loc.chunkId, loc.gen, 'r', Date.now());
    await expect(readAll(pool(), address, loc.chunkId, loc.gen, token)).rejects.toMatchObject({ code: 'EAUTH' });
  });

  it('refuses an expired token with EAUTH', async () => {
    const token = new ChunkTokens(cluster.secret, -1000).sign(loc.chunkId, loc.gen, 'r', Date.now());
    await expect(readAll(pool(), address, loc.chunkId, loc.gen, token)).rejects.toMatchObject({ code: 'EAUTH' });
  });

  it('refuses a read token used for a different generation stamp with EAUTH', async () => {
    const token = new ChunkTokens(cluster.secret).sign(loc.chunkId, loc.gen, 'r', Date.now());
    await expect(readAll(pool(), address, loc.chunkId, loc.gen + 1, token)).rejects.toMatchObject({ code: 'EAUTH' });
  });

  it('refuses a write token used for reading with EAUTH', async () => {
    const token = new ChunkTokens(cluster.secret).sign(loc.chunkId, loc.gen, 'w', Date.now());
    await expect(readAll(pool(), address, loc.chunkId, loc.gen, token)).rejects.toMatchObject({ code: 'EAUTH' });
  });

  it('refuses a valid token from a caller with the wrong cluster secret with EAUTH', async () => {
    const token = new ChunkTokens(cluster.secret).sign(loc.chunkId, loc.gen, 'r', Date.now());
    await expect(readAll(pool('wrong-secret'), address, loc.chunkId, loc.gen, token)).rejects.toMatchObject({ code: 'EAUTH' });
  });
});

describe('a datanode checks chunk tokens on writes', () => {
  const chunkId = 999_999;

  async function chunkFilesFor(id: number): Promise<string[]> {
    const found: string[] = [];
    const prefix = `${id.toString(16)}_`;
    for (let i = 0; i < 3; i++) {
      const root = path.join(cluster.datanodeDir(i), 'chunks');
      if (!(await fse.pathExists(root))) continue;
      for (const bucket of await fse.readdir(root)) {
        for (const file of await fse.readdir(path.join(root, bucket))) if (file.startsWith(prefix)) found.push(path.join(root, bucket, file));
      }
    }
    return found;
  }

  it('refuses a write with a forged token with EAUTH and stores nothing', async () => {
    const address = (await cluster.client().report()).datanodes[0]?.address as string;
    const stream = pool().openWrite(
      address,
      { chunkId, gen: 5, baseGen: 0, baseLengthBytes: 0, offsetBytes: 0, finalLengthBytes: -1, token: 'w.99999999999999.bad', downstream: [] },
      5000,
    );
    await stream.write(Buffer.from('should never land on disk')).catch(() => undefined);
    await expect(stream.finish()).rejects.toMatchObject({ code: 'EAUTH' });
    expect(await chunkFilesFor(chunkId)).toEqual([]);
  });

  it('refuses a write with a read token with EAUTH and stores nothing', async () => {
    const address = (await cluster.client().report()).datanodes[1]?.address as string;
    const token = new ChunkTokens(cluster.secret).sign(chunkId + 1, 5, 'r', Date.now());
    const stream = pool().openWrite(
      address,
      { chunkId: chunkId + 1, gen: 5, baseGen: 0, baseLengthBytes: 0, offsetBytes: 0, finalLengthBytes: -1, token, downstream: [] },
      5000,
    );
    await stream.write(Buffer.from('nor this')).catch(() => undefined);
    await expect(stream.finish()).rejects.toMatchObject({ code: 'EAUTH' });
    expect(await chunkFilesFor(chunkId + 1)).toEqual([]);
  });

  it('accepts the same write with a valid write token (the refusals are about the token)', async () => {
    const id = chunkId + 2;
    const address = (await cluster.client().report()).datanodes[2]?.address as string;
    const token = new ChunkTokens(cluster.secret).sign(id, 5, 'w', Date.now());
    const stream = pool().openWrite(
      address,
      { chunkId: id, gen: 5, baseGen: 0, baseLengthBytes: 0, offsetBytes: 0, finalLengthBytes: -1, token, downstream: [] },
      5000,
    );
    await stream.write(Buffer.from('accepted'));
    const ack = await stream.finish();
    expect(ack.lengthBytes).toBe(8);
    expect((await chunkFilesFor(id)).length).toBeGreaterThan(0);
  });
});
