// What close and fsync promise (docs/ARCHITECTURE.md, "Durability"), seen on real datanodes:
// a closed file is on every replica without an fsync; an fsync has every replica of the chunk
// being written fsynced in the pipeline, and the chunks committed earlier synced by request.
// Also the data path's kept connections: reused across operations, and replaced when the
// datanode behind one restarted.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataTransferPool } from '../../common/transfer.js';
import { MiniCluster, waitFor } from '../helpers/mini-cluster.js';
import { pseudoRandomBytes, sha256 } from '../helpers/data.js';

const chunkSizeBytes = 1024 * 1024;
let cluster: MiniCluster;

/**
 * The datanodes' debug lines with `msg` after the first `from`, once there are `count` (logs
 * reach this process through pipes, a moment after the fact), parsed.
 */
async function linesAfter(msg: string, from: number, count: number): Promise<Array<Record<string, unknown>>> {
  await waitFor(async () => datanodeLines(msg).length >= from + count, 10_000, `${count} '${msg}' lines`);
  return datanodeLines(msg).slice(from);
}

/** Debug lines of the datanodes that carry `msg`, parsed. */
function datanodeLines(msg: string): Array<Record<string, unknown>> {
  return cluster
    .logs()
    .split('\n')
    .filter((line) => line.includes(`"msg":"${msg}"`) && line.includes('"name":"datanode"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

beforeAll(async () => {
  const level = process.env.CAIRN_LOG_LEVEL;
  process.env.CAIRN_LOG_LEVEL = 'debug';
  try {
    cluster = await MiniCluster.start({ datanodes: 3, chunkSizeBytes });
  } finally {
    if (level === undefined) delete process.env.CAIRN_LOG_LEVEL;
    else process.env.CAIRN_LOG_LEVEL = level;
  }
});
afterAll(async () => {
  await cluster?.stop();
});

describe('durability of close and fsync', () => {
  it('close leaves every replica unsynced; fsync syncs the chunk in flight in the pipeline and earlier chunks by request', async () => {
    const fs = cluster.client();
    const writtenBefore = datanodeLines('replica written').length;
    await fs.writeFile('/closed', pseudoRandomBytes(1000, 1));
    const closed = await linesAfter('replica written', writtenBefore, 3); // one chunk, three replicas
    expect(closed).toHaveLength(3);
    expect(closed.every((l) => l.sync === false)).toBe(true);

    // Two full chunks commit in the background without sync, the third is in flight at fsync.
    const data = pseudoRandomBytes(2 * chunkSizeBytes + 5000, 2);
    const syncedBefore = datanodeLines('replicas synced').length;
    const writtenMid = datanodeLines('replica written').length;
    const handle = await fs.open('/synced', 'w');
    await handle.write(data);
    await handle.sync();
    const written = await linesAfter('replica written', writtenMid, 9);
    expect(written.filter((l) => l.sync === false)).toHaveLength(6); // chunks 0 and 1
    expect(written.filter((l) => l.sync === true)).toHaveLength(3); // chunk 2, fsynced before its ack
    const syncRequests = await linesAfter('replicas synced', syncedBefore, 3);
    expect(syncRequests).toHaveLength(3); // each datanode holds chunks 0 and 1
    expect(syncRequests.every((l) => l.replicas === 2)).toBe(true);

    // Nothing new since: a second fsync asks the namenode only (a datanode would log it at once;
    // the close and read below give any stray line time to arrive before the count is checked).
    await handle.sync();
    await handle.close();
    expect(sha256(await fs.readFile('/synced'))).toBe(sha256(data));
    await fs.syncNamespace();
    expect(datanodeLines('replicas synced').length).toBe(syncedBefore + 3);
  });

  it('sync requests need the cluster secret, accept replicas that are gone and refuse malformed lists', async () => {
    const report = await cluster.client().report();
    const address = report.datanodes[0]?.address as string;
    const pool = new DataTransferPool({ secret: cluster.secret, uid: 0, gid: 0, clientId: 't' });
    const stranger = new DataTransferPool({ secret: 'not the secret', uid: 0, gid: 0, clientId: 't' });
    try {
      await pool.sync(address, { replicas: [{ chunkId: 999_999, gen: 7 }] }, 5000);
      await expect(pool.sync(address, { replicas: [{ chunkId: 0, gen: 1 }] }, 5000)).rejects.toMatchObject({ code: 'EINVAL' });
      await expect(stranger.sync(address, { replicas: [] }, 5000)).rejects.toMatchObject({ code: 'EAUTH' });
    } finally {
      pool.close();
      stranger.close();
    }
  });
});

describe('small new chunks sent to every replica directly (FanOutWriteStream)', () => {
  it('an fsync of small write-behind files: every replica written and synced, and with a datanode SIGKILLed, on the live ones', async () => {
    const fs = cluster.client();
    const small = (i: number): Buffer => pseudoRandomBytes(3000 + i * 997, 60 + i);
    // Held until the fsync (write-behind, a new chunk of at most 64 KiB), then sent to each node.
    const handle = await fs.open('/fanned', 'wx', 0o644, { writeBehind: true });
    await handle.write(small(0));
    await handle.sync();
    await handle.close();
    const located = (await fs.getChunkLocations('/fanned'))[0];
    expect(located?.datanodes).toHaveLength(3);
    const ofChunk = (): Array<Record<string, unknown>> => datanodeLines('replica written').filter((l) => l.chunkId === located?.chunkId);
    await waitFor(() => ofChunk().length >= 3, 10_000, "the three replicas' lines");
    expect(ofChunk().map((l) => l.sync)).toEqual([true, true, true]);
    expect(sha256(await fs.readFile('/fanned'))).toBe(sha256(small(0)));

    // A datanode dies with five such files written and not yet synced: each fsync still returns,
    // the upload retried without the dead node, and the bytes are on the two live ones.
    const handles = await Promise.all([1, 2, 3, 4, 5].map((i) => fs.open(`/fanned-${i}`, 'wx', 0o644, { writeBehind: true })));
    await Promise.all(handles.map((h, i) => h.write(small(i + 1))));
    const victim = 1;
    const dead = (await fs.report()).datanodes.find((d) => cluster.indexOfDatanode(d.id) === victim)?.id;
    await cluster.killDatanode(victim, 'SIGKILL');
    try {
      for (const h of handles) {
        await h.sync();
        await h.close();
      }
      for (const i of [1, 2, 3, 4, 5]) {
        expect(sha256(await fs.readFile(`/fanned-${i}`))).toBe(sha256(small(i)));
        const holders = (await fs.getChunkLocations(`/fanned-${i}`))[0]?.datanodes.map((d) => d.id) ?? [];
        expect(holders).toHaveLength(2);
        expect(holders).not.toContain(dead);
      }
    } finally {
      await cluster.startDatanode(victim);
      await cluster.waitForLiveDatanodes(3);
    }
  });
});

describe('kept data connections', () => {
  it('reads reuse one connection, and a kept connection to a restarted datanode is replaced', async () => {
    const fs = cluster.client({ localReads: false }); // reads over the network, not from the replica files
    const data = pseudoRandomBytes(chunkSizeBytes / 2, 3);
    await fs.writeFile('/kept', data, { replication: 1 });
    const handle = await fs.open('/kept', 'r');
    const buf = Buffer.alloc(4096);
    const before = fs.dataConnections;
    for (let i = 0; i < 20; i++) {
      const at = (i * 7919 * 4096) % (data.length - 4096);
      await handle.read(buf, 0, 4096, at);
      expect(buf.equals(data.subarray(at, at + 4096))).toBe(true);
    }
    const after = fs.dataConnections;
    expect(after.connects - before.connects).toBeLessThanOrEqual(1);
    expect(after.reuses - before.reuses).toBeGreaterThanOrEqual(19);

    // The datanode holding the only replica restarts: the kept connection is dead.
    const holder = (await fs.getChunkLocations('/kept'))[0]?.datanodes[0];
    const index = cluster.indexOfDatanode(holder?.id as string);
    await cluster.killDatanode(index, 'SIGKILL');
    await cluster.startDatanode(index);
    await cluster.waitForLiveDatanodes(3);
    await handle.read(buf, 0, 4096, 8192);
    expect(buf.equals(data.subarray(8192, 8192 + 4096))).toBe(true);
    await handle.close();
  });
});
