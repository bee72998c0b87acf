import { describe, expect, it } from 'vitest';
import { IdleCollector, collectWhenIdle, fullCollection, heapBytes } from '../../common/idle-gc.js';
import type { Logger } from '../../common/log.js';

const mib = 1024 * 1024;
const opts = { quietOpsMax: 50, quietMs: 5_000, growthBytesMin: 32 * mib };

describe('IdleCollector', () => {
  it('collects once a quiet period follows enough growth, and counts growth from what the collection left', () => {
    const idle = new IdleCollector(0, 0, 10 * mib, opts);
    // A burst: 10,000 transactions a second while the heap grows.
    expect(idle.due(1_000, 10_000, 60 * mib)).toBe(false);
    expect(idle.due(2_000, 20_000, 90 * mib)).toBe(false);
    // Quiet since 2 s (a few heartbeat-driven transactions), but not yet for 5 s.
    expect(idle.due(4_000, 20_010, 90 * mib)).toBe(false);
    expect(idle.due(7_000, 20_020, 90 * mib)).toBe(true);
    idle.collected(40 * mib);
    expect(idle.collections).toBe(1);
    // Still quiet, but no new growth from the 40 MiB the collection left: nothing more to give back.
    expect(idle.due(12_000, 20_030, 45 * mib)).toBe(false);
    expect(idle.due(20_000, 20_040, 60 * mib)).toBe(false);
    // Growth of 32 MiB from there, then quiet again: one more.
    expect(idle.due(21_000, 40_000, 75 * mib)).toBe(false);
    expect(idle.due(26_500, 40_000, 75 * mib)).toBe(true);
  });

  it('never collects while busy, however much the heap grew', () => {
    const idle = new IdleCollector(0, 0, 10 * mib, opts);
    let transactions = 0;
    for (let t = 500; t <= 60_000; t += 500) {
      transactions += 100; // 200 a second: above the quiet limit of 50 in 5 s
      expect(idle.due(t, transactions, 500 * mib)).toBe(false);
    }
  });

  it('waits while the process is still working on its own (a write backlog), then for a quiet period', () => {
    const idle = new IdleCollector(0, 0, 10 * mib, opts);
    for (let t = 1_000; t <= 20_000; t += 1_000) expect(idle.due(t, 0, 200 * mib, true)).toBe(false);
    expect(idle.due(24_000, 0, 200 * mib)).toBe(false);
    expect(idle.due(25_000, 0, 200 * mib)).toBe(true);
  });

  it('without growth, a long quiet period collects nothing', () => {
    const idle = new IdleCollector(0, 0, 50 * mib, opts);
    for (let t = 1_000; t <= 60_000; t += 1_000) expect(idle.due(t, 0, 60 * mib)).toBe(false);
  });

  it("V8's full collection is available and gives garbage back", () => {
    const gc = fullCollection();
    expect(gc).toBeTypeOf('function');
    let garbage: Array<{ i: number; s: string }> | undefined = [];
    for (let i = 0; i < 400_000; i++) garbage.push({ i, s: `value ${i}` });
    const held = heapBytes();
    expect(garbage.length).toBe(400_000);
    garbage = undefined;
    (gc as () => void)();
    // ~30 MB of objects were held; the collection frees at least half of that.
    expect(held - heapBytes()).toBeGreaterThan(15 * mib);
  });

  it('collectWhenIdle collects on its own timer once quiet, and logs what it gave back', async () => {
    const logged: Array<Record<string, number>> = [];
    const log = { info: (fields: Record<string, number>) => logged.push(fields) } as unknown as Logger;
    let ops = 0;
    const idle = collectWhenIdle(() => ops, log, { quietOpsMax: 50, quietMs: 0, growthBytesMin: 8 * mib });
    try {
      let garbage: string[] | undefined = [];
      for (let i = 0; i < 300_000; i++) garbage.push(`a string of garbage ${i}`);
      expect(garbage.length).toBe(300_000);
      garbage = undefined;
      // Busy for 3 s: 100 operations a second (10 every 100 ms) keep it from collecting.
      for (let i = 0; i < 30; i++) {
        ops += 10;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(logged).toHaveLength(0);
      const deadline = Date.now() + 5_000;
      while (logged.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(logged).toHaveLength(1);
      expect((logged[0]?.heapMiB ?? 0) - (logged[0]?.afterMiB ?? 0)).toBeGreaterThan(4);
    } finally {
      idle.stop();
    }
  });
});
