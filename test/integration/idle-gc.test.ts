// A real namenode process gives a burst's garbage back once it goes quiet (common/idle-gc.ts),
// and not while calls keep coming. The growth that triggers it is lowered to 1 MiB
// (CAIRN_IDLE_GC_MIB) so that a burst of a few thousand creates is enough.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idleGcFromEnv, idleGcDefaults } from '../../common/idle-gc.js';
import { MiniCluster, waitFor } from '../helpers/mini-cluster.js';

const collectedLine = /quiet after a burst: heap garbage collected/;
let cluster: MiniCluster;

beforeAll(async () => {
  process.env.CAIRN_IDLE_GC_MIB = '1';
  process.env.CAIRN_LOG_LEVEL = 'info';
  cluster = await MiniCluster.start({ datanodes: 1 });
});
afterAll(async () => {
  delete process.env.CAIRN_IDLE_GC_MIB;
  delete process.env.CAIRN_LOG_LEVEL;
  await cluster?.stop();
});

// The namenode's own: the cluster's logs hold the datanode's too, and the datanode, quiet while
// the clients only create files, collects on its own once its heap grew by the same 1 MiB (a
// collection "during the burst" that failed this test now and then).
const collections = (): Array<{ heapMiB: number; afterMiB: number; ms: number }> =>
  cluster
    .logs()
    .split('\n')
    .filter((line) => collectedLine.test(line))
    .map((line) => JSON.parse(line) as { name: string; heapMiB: number; afterMiB: number; ms: number })
    .filter((line) => line.name === 'namenode');

describe('idle collection in a real namenode', () => {
  it('collects once after a burst, when calls have stopped for a few seconds, and not during it', async () => {
    const clients = [...Array(8).keys()].map(() => cluster.client());
    await clients[0]?.mkdir('/burst');
    let next = 0;
    const burst = async (): Promise<void> => {
      // 400 creates by 8 clients.
      await Promise.all(clients.map(async (client) => {
        for (let i = 0; i < 50; i++) await (await client.open(`/burst/f${next++}`, 'wx')).close();
      }));
    };
    // A first burst and its collection, so that the one after the second is the second's (with a
    // 1 MiB threshold the namenode may also collect when quiet after its start).
    await burst();
    await waitFor(async () => collections().length > 0, 20_000, 'the namenode to collect after the first burst');
    const before = collections().length;
    const startMs = Date.now();
    // A burst longer than the quiet period: no collection may happen while it runs.
    while (Date.now() - startMs < idleGcDefaults.quietMs + 1_500) await burst();
    expect(collections()).toHaveLength(before);
    const quietSince = Date.now();
    await waitFor(async () => collections().length > before, 20_000, 'the namenode to collect after the burst');
    expect(Date.now() - quietSince).toBeGreaterThanOrEqual(idleGcDefaults.quietMs - 1_000);
    // What it gives back is the unit test's matter: on a heap this small, the resident size right
    // after a compacting collection can even be a page or so larger (V8 releases freed pages
    // afterwards, in the background).
    const after = collections()[before];
    expect(after?.heapMiB).toBeTypeOf('number');
    expect(after?.afterMiB).toBeTypeOf('number');
    expect(after?.ms).toBeTypeOf('number');
    // Still quiet, and no new growth: no second collection.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(collections()).toHaveLength(before + 1);
    expect((await clients[0]?.readdir('/burst'))?.length).toBe(next);
  }, 60_000);

  it('CAIRN_IDLE_GC_MIB sets the growth; 0 turns it off', () => {
    expect(idleGcFromEnv({})).toEqual(idleGcDefaults);
    expect(idleGcFromEnv({ CAIRN_IDLE_GC_MIB: '8' })?.growthBytesMin).toBe(8 * 1024 * 1024);
    expect(idleGcFromEnv({ CAIRN_IDLE_GC_MIB: '0' })).toBeUndefined();
    expect(idleGcFromEnv({ CAIRN_IDLE_GC_MIB: 'lots' })).toEqual(idleGcDefaults);
  });
});
