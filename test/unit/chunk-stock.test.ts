// The pure logic of chunks handed out ahead: the client's stock (client/sdk/chunk-stock.ts)
// against a scripted namenode, and the namenode's record of what it handed out (namenode/state.ts).

import { describe, expect, it } from 'vitest';
import { ChunkStock } from '../../client/sdk/chunk-stock.js';
import type { NamenodeClient } from '../../client/sdk/namenode-client.js';
import { CairnError } from '../../common/errors.js';
import { placeChunk } from '../../namenode/placement.js';
import type { DatanodeInfo } from '../../namenode/registry.js';
import { PreparedChunks } from '../../namenode/state.js';
import type { PrepareChunkReply__Output } from '../../proto/gen/cairn/PrepareChunkReply.js';

/** A namenode that answers AllocateChunks with the next ids, or fails as told. */
function scripted(fail?: CairnError) {
  let next = 1;
  const asked: Array<{ count: number; replication: number }> = [];
  const namenode = {
    allocateChunks: async (count: number, replication: number) => {
      asked.push({ count, replication });
      if (fail !== undefined) throw fail;
      const chunks = Array.from({ length: count }, () => ({ chunkId: next, gen: next++, baseGen: 0 }) as PrepareChunkReply__Output);
      return { chunks };
    },
  } as unknown as NamenodeClient;
  return { namenode, asked };
}

describe('ChunkStock', () => {
  it('is empty at first and asks for a batch; then hands chunks out in order, asking again when low', async () => {
    const { namenode, asked } = scripted();
    const stock = new ChunkStock(namenode, 3);
    expect(stock.take()).toBeUndefined();
    await stock.settled();
    expect(asked).toEqual([{ count: 32, replication: 3 }]);
    const ids = Array.from({ length: 24 }, () => stock.take()?.chunkId);
    expect(ids).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    expect(asked).toHaveLength(1); // 8 left: not low yet
    expect(stock.take()?.chunkId).toBe(25); // 7 left: one more batch asked for, once
    expect(stock.take()?.chunkId).toBe(26);
    await stock.settled();
    expect(asked).toHaveLength(2);
    expect(stock.size).toBe(6 + 32);
  });

  it('skips chunks older than 2 minutes (their pipelines may name dead nodes), and drops all when told', async () => {
    const { namenode } = scripted();
    let now = 1_000_000;
    const stock = new ChunkStock(namenode, 2, () => now);
    stock.take();
    await stock.settled();
    now += 120_001;
    expect(stock.take()).toBeUndefined(); // all stale; a fresh batch is on its way
    await stock.settled();
    expect(stock.take()?.chunkId).toBe(33);
    stock.drop();
    expect(stock.size).toBe(0);
  });

  it('stops asking a namenode without the call, and keeps asking after other failures', async () => {
    const old = scripted(new CairnError('EINVAL', 'no method AllocateChunks'));
    const off = new ChunkStock(old.namenode, 3);
    off.take();
    await off.settled();
    off.take();
    await off.settled();
    expect(old.asked).toHaveLength(1);
    const busy = scripted(new CairnError('EROFS', 'safe mode'));
    const on = new ChunkStock(busy.namenode, 3);
    on.take();
    await on.settled();
    on.take();
    await on.settled();
    expect(busy.asked).toHaveLength(2);
  });
});

describe('PreparedChunks: chunks handed out ahead', () => {
  it('are committed once, by the client given them, with their own stamp; at most `max` are held per client', () => {
    const prepared = new PreparedChunks();
    expect(prepared.allocatable('a', 4)).toBe(4);
    prepared.addAllocated(10, 100, 'a', 0);
    prepared.addAllocated(11, 101, 'a', 0);
    expect(prepared.allocatable('a', 4)).toBe(2);
    expect(prepared.allocatable('b', 4)).toBe(4);
    expect(prepared.takeAllocated(10, 100, 'b')).toBe(false); // not b's
    expect(prepared.takeAllocated(10, 99, 'a')).toBe(false); // another stamp
    expect(prepared.take(1, 0, 10, 100)).toBeUndefined(); // not prepared for a file
    expect(prepared.takeAllocated(10, 100, 'a')).toBe(true);
    expect(prepared.takeAllocated(10, 100, 'a')).toBe(false); // once
    expect(prepared.allocatable('a', 4)).toBe(3);
    prepared.expire(0, 1); // handed out before 1 ms: gone (prepared ones kept)
    expect(prepared.takeAllocated(11, 101, 'a')).toBe(false);
    expect(prepared.allocatable('a', 4)).toBe(4);
    // All clients together are bounded too.
    prepared.addAllocated(20, 200, 'c', 5);
    prepared.addAllocated(21, 201, 'd', 5);
    expect(prepared.allocatable('e', 4, 3)).toBe(1);
  });
});

describe('PreparedChunks: versions prepared for a file', () => {
  it('are taken once with their base; next versions go when the writer lets the lease go, prepared ones stay', () => {
    const prepared = new PreparedChunks();
    prepared.add(7, 0, { chunkId: 70, gen: 5, baseGen: 4, baseLength: 1000 }, 0, true); // by a commit
    prepared.add(7, 1, { chunkId: 71, gen: 6, baseGen: 0, baseLength: 0 }, 0); // by PrepareChunk
    prepared.add(8, 0, { chunkId: 80, gen: 7, baseGen: 3, baseLength: 10 }, 0, true);
    expect(prepared.take(7, 0, 70, 4)).toBeUndefined(); // another stamp
    expect(prepared.preparedCount).toBe(3);
    prepared.forgetNext(7);
    expect(prepared.take(7, 0, 70, 5)).toBeUndefined();
    expect(prepared.take(7, 1, 71, 6)).toEqual(expect.objectContaining({ baseGen: 0 }));
    expect(prepared.take(8, 0, 80, 7)).toEqual(expect.objectContaining({ chunkId: 80, gen: 7, baseGen: 3, baseLength: 10 }));
    expect(prepared.take(8, 0, 80, 7)).toBeUndefined(); // once
    expect(prepared.preparedCount).toBe(0);
    // A newer one replaces the one at the same index; an hour later both kinds expire.
    prepared.add(9, 2, { chunkId: 90, gen: 1, baseGen: 0, baseLength: 0 }, 0);
    prepared.add(9, 2, { chunkId: 90, gen: 2, baseGen: 1, baseLength: 5 }, 10, true);
    expect(prepared.preparedCount).toBe(1);
    prepared.expire(11);
    expect(prepared.preparedCount).toBe(0);
  });
});

describe('placeChunk', () => {
  const node = (id: string, freeGiB: number): DatanodeInfo => ({
    id, address: `${id}:1`, state: 'live', capacityBytes: 100 * 2 ** 30, usedBytes: (100 - freeGiB) * 2 ** 30, availableBytes: freeGiB * 2 ** 30,
    activeTransfers: 0, chunks: 0, lastHeartbeatMs: 0, registeredMs: 0, scheduledBytes: 0, adminState: 'normal',
  }) as DatanodeInfo;
  const chunk = 64 * 2 ** 20;

  it('charges a chunk placed for a write, so the next goes elsewhere; a batch handed out ahead takes turns and charges nothing', () => {
    const nodes = [node('a', 10), node('b', 9), node('c', 8), node('d', 7), node('e', 1)];
    expect(placeChunk(nodes, 3, chunk, []).map((n) => n.id)).toEqual(['a', 'b', 'c']);
    expect(nodes.map((n) => n.scheduledBytes / chunk)).toEqual([1, 1, 1, 0, 0]);
    const fresh = [node('a', 10), node('b', 9), node('c', 8), node('d', 7), node('e', 0.01)]; // e has no room for a chunk
    const turns = [0, 1, 2, 3].map((turn) => placeChunk(fresh, 3, chunk, [], turn).map((n) => n.id).join(''));
    expect(turns).toEqual(['abc', 'dab', 'cda', 'bcd']);
    expect(fresh.every((n) => n.scheduledBytes === 0)).toBe(true);
    expect(placeChunk(fresh.slice(0, 2), 3, chunk, [], 5).map((n) => n.id)).toEqual(['a', 'b']); // fewer nodes than copies
  });
});
