// What close and fsync promise (docs/ARCHITECTURE.md, "Durability"), seen on real datanodes:
// a closed file is on every replica without an fsync; an fsync has every replica of the chunk
// being written fsynced in the pipeline, and the chunks committed earlier synced by request.
// Also the data path's kept connections: reused across operations, and replaced when the
// datanode behind one restarted.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataTransferPool } from '../../common/transfer.js';
import { MiniCluster, waitFor } from '../helpers/mini-cluster.js';
import { pseudoRandomBytes, sha256 } from '../helpers/data.js';
import { HoldingProxy } from '../helpers/sockets.js';

const chunkSizeBytes = 1024 * 1024;
let cluster: MiniCluster;

/**
 * The datanodes' debug lines with `msg` logged since `sinceMs` that `where` accepts, parsed. By
 * time, not by position: the logs are each process's in turn.
 */
function linesFrom(msg: string, sinceMs: number, where: (line: Record<string, unknown>) => boolean = () => true): Array<Record<string, unknown>> {
  return datanodeLines(msg).filter((l) => (l.time as number) >= sinceMs && where(l));
}

/** linesFrom, once there are `count` (logs reach this process through pipes, a moment after the fact). */
async function linesSince(msg: string, sinceMs: number, count: number, where?: (line: Record<string, unknown>) => boolean): Promise<Array<Record<string, unknown>>> {
  await waitFor(() => linesFrom(msg, sinceMs, where).length >= count, 10_000, `${count} '${msg}' lines`);
  return linesFrom(msg, sinceMs, where);
}

/**
 * The 'replica written' lines of replicas of `bytes` bytes since `sinceMs`, once there are
 * `count`: told apart by size too, as another upload's (one ended ahead and sent again) may land
 * after its test returned.
 */
function replicasOf(bytes: number, sinceMs: number, count = 3): Promise<Array<Record<string, unknown>>> {
  return linesSince('replica written', sinceMs, count, (l) => l.bytes === bytes);
}

/** Debug lines of the datanodes that carry `msg`, parsed. */
function datanodeLines(msg: string): Array<Record<string, unknown>> {
  return cluster
    .logs()
    .split('\n')
    .filter((line) => line.includes(`"msg":"${msg}"`) && line.includes('"name":"datanode"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Runs `start` with the processes it starts logging at debug level (the lines the tests read). */
async function withDebugLogs<T>(start: () => Promise<T>): Promise<T> {
  const level = process.env.CAIRN_LOG_LEVEL;
  process.env.CAIRN_LOG_LEVEL = 'debug';
  try {
    return await start();
  } finally {
    if (level === undefined) delete process.env.CAIRN_LOG_LEVEL;
    else process.env.CAIRN_LOG_LEVEL = level;
  }
}

beforeAll(async () => {
  cluster = await withDebugLogs(() => MiniCluster.start({ datanodes: 3, chunkSizeBytes }));
});
afterAll(async () => {
  await cluster?.stop();
});

describe('uploads ended ahead of their finish (FileHandle.endAhead: a mount, at an attribute change of a file being written)', () => {
  it('the replicas are stored before the close, which commits them; a write after the end sends everything again; an fsync after it syncs them', async () => {
    const fs = cluster.client();
    // Sizes no other test writes: the datanodes' lines of these uploads are told apart by them.
    // (Before the SIGKILL below: a namenode that has not yet noticed the node's death still puts it in pipelines.)
    const first = pseudoRandomBytes(5003, 70);
    const more = pseudoRandomBytes(3001, 71);
    // A new small file written behind is held until its finish; ended ahead, it leaves before the close.
    let since = Date.now();
    const handle = await fs.open('/ended-ahead', 'wx', 0o644, { writeBehind: true });
    await handle.write(first);
    handle.endAhead();
    const ahead = await replicasOf(first.length, since);
    expect(ahead.map((l) => l.sync)).toEqual([false, false, false]);
    await handle.close();
    const located = (await fs.getChunkLocations('/ended-ahead'))[0];
    expect(located?.datanodes).toHaveLength(3);
    expect(new Set(ahead.map((l) => l.chunkId))).toEqual(new Set([located?.chunkId])); // what the close committed
    expect(sha256(await fs.readFile('/ended-ahead'))).toBe(sha256(first));

    // A write after the end (once the replicas are stored, and while they are being sent): both
    // writes are committed, on a new pipeline; the replicas ended ahead are not the file's chunk.
    for (const [name, waitForEnd] of [['/written-after-end', true], ['/written-while-ending', false]] as const) {
      since = Date.now();
      const h = await fs.open(name, 'wx', 0o644, { writeBehind: true });
      await h.write(first);
      h.endAhead();
      const ended = waitForEnd ? await replicasOf(first.length, since) : [];
      await h.write(more);
      await h.close();
      expect(sha256(await fs.readFile(name))).toBe(sha256(Buffer.concat([first, more])));
      const chunk = (await fs.getChunkLocations(name))[0];
      expect([chunk?.datanodes.length, chunk?.lengthBytes]).toEqual([3, first.length + more.length]);
      expect(ended.map((l) => l.chunkId)).not.toContain(chunk?.chunkId);
    }

    // An fsync after the end: the replicas are synced by request before the synced commit.
    const syncedSince = Date.now();
    const synced = await fs.open('/synced-after-end', 'wx', 0o644, { writeBehind: true });
    await synced.write(first);
    synced.endAhead();
    await synced.sync();
    const requests = await linesSince('replicas synced', syncedSince, 3);
    expect(requests.map((l) => l.replicas)).toEqual([1, 1, 1]);
    await synced.close();
    expect(sha256(await fs.readFile('/synced-after-end'))).toBe(sha256(first));
    expect((await fs.fsck('/')).healthy).toBe(true);
  });
});

describe('durability of close and fsync', () => {
  it('close leaves every replica unsynced; fsync syncs the chunk in flight in the pipeline and earlier chunks by request', async () => {
    const fs = cluster.client();
    const writtenSince = Date.now();
    await fs.writeFile('/closed', pseudoRandomBytes(1000, 1));
    const closed = await replicasOf(1000, writtenSince); // one chunk, three replicas
    expect(closed).toHaveLength(3);
    expect(closed.every((l) => l.sync === false)).toBe(true);

    // Two full chunks commit in the background without sync, the third is in flight at fsync.
    const data = pseudoRandomBytes(2 * chunkSizeBytes + 5000, 2);
    const mid = Date.now();
    const handle = await fs.open('/synced', 'w');
    await handle.write(data);
    await handle.sync();
    expect((await replicasOf(chunkSizeBytes, mid, 6)).map((l) => l.sync)).toEqual(Array(6).fill(false)); // chunks 0 and 1
    expect((await replicasOf(5000, mid)).map((l) => l.sync)).toEqual([true, true, true]); // chunk 2, fsynced before its ack
    const syncRequests = await linesSince('replicas synced', mid, 3);
    expect(syncRequests).toHaveLength(3); // each datanode holds chunks 0 and 1
    expect(syncRequests.every((l) => l.replicas === 2)).toBe(true);

    // Nothing new since: a second fsync asks the namenode only (a datanode would log it at once;
    // the close and read below give any stray line time to arrive before the count is checked).
    await handle.sync();
    await handle.close();
    expect(sha256(await fs.readFile('/synced'))).toBe(sha256(data));
    await fs.syncNamespace();
    expect(linesFrom('replicas synced', mid)).toHaveLength(3);
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

describe('a commit whose connection is lost after it was sent', () => {
  it('is sent again on a new version with the same datanodes: none is excluded for the namenode\'s failure, and the file has every replica', async () => {
    const proxy = await HoldingProxy.start(cluster.namenodeAddress);
    const fs = cluster.client({ namenode: proxy.address, transport: 'grpc' });
    try {
      const data = pseudoRandomBytes(300_000, 7);
      const handle = await fs.open('/commit-lost', 'w');
      await handle.write(data); // prepared (or handed out) and streamed: what the close sends first is its commit
      // Held from the moment the commit is made, then its connection dropped: written, never delivered.
      const namenode = (fs as unknown as { namenode: { commitChunk: (...args: unknown[]) => Promise<unknown> } }).namenode;
      const commitChunk = namenode.commitChunk.bind(namenode);
      let commits = 0;
      namenode.commitChunk = (...args: unknown[]) => {
        if (commits++ === 0) proxy.hold();
        return commitChunk(...args);
      };
      const closing = handle.close();
      await waitFor(() => proxy.heldBytes > 0, 10_000, 'the commit sent');
      proxy.drop();
      await closing;
      expect(commits).toBe(2);
      const [chunk, ...more] = await fs.getChunkLocations('/commit-lost');
      expect(more).toHaveLength(0);
      expect(new Set(chunk?.datanodes.map((dn) => dn.id))).toEqual(new Set(cluster.datanodeIds.values()));
      expect(sha256(await fs.readFile('/commit-lost'))).toBe(sha256(data));
    } finally {
      proxy.close();
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
    // Two of them ended ahead (as a mount does at an attribute change): their acknowledgements may
    // name the dead node, or fail, and their fsync goes again without it all the same.
    for (const h of [handles[0], handles[3]]) h?.endAhead();
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
      await withDebugLogs(() => cluster.startDatanode(victim));
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
