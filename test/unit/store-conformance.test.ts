// One conformance suite for the metadata store (LevelKv and the MetaDb built on it), run over
// memory-level and over LevelDB, as abstract-level runs one suite over every implementation.
// A store that passes here is one the namespace can be written against.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { MemoryLevel } from 'memory-level';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CairnError } from '../../common/errors.js';
import { LevelKv, type KvOp, type KvStore } from '../../namenode/store/kv.js';
import { MetaDb, compareBytes } from '../../namenode/store/metadb.js';
import { Namespace } from '../../namenode/namespace/namespace.js';
import { mkdir } from '../../namenode/namespace/mkdir.js';
import { readdir } from '../../namenode/namespace/readdir.js';

interface StoreUnderTest {
  kv: LevelKv;
  cleanup(): Promise<void>;
}

type StoreFactory = () => Promise<StoreUnderTest>;

/** A KvStore whose sync writes can be held back and made to fail, to observe what waits for durability. */
class GatedKv implements KvStore {
  writesStarted = 0;
  writesDone = 0;
  /** The sync flag of every write, in order. */
  readonly syncs: boolean[] = [];
  failNextWrite: Error | undefined;
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;

  constructor(private readonly inner: KvStore) {}

  hold(): void {
    this.gate = new Promise((resolve) => (this.openGate = resolve));
  }

  release(): void {
    this.openGate?.();
    this.gate = undefined;
  }

  get(key: string): Promise<string | undefined> {
    return this.inner.get(key);
  }

  range(range: Parameters<KvStore['range']>[0]): Promise<Array<[string, string]>> {
    return this.inner.range(range);
  }

  async write(ops: KvOp[], sync: boolean): Promise<void> {
    this.writesStarted++;
    this.syncs.push(sync);
    if (this.gate !== undefined) await this.gate;
    const failure = this.failNextWrite;
    if (failure !== undefined) {
      this.failNextWrite = undefined;
      throw failure;
    }
    await this.inner.write(ops, sync);
    this.writesDone++;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Lets every pending callback, I/O completion and timer of zero delay run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}

function track<T>(promise: Promise<T>): { promise: Promise<T>; settled: () => boolean } {
  let settled = false;
  const tracked = promise.finally(() => (settled = true));
  // The caller awaits `tracked`; this only keeps an early rejection from being reported as unhandled.
  tracked.catch(() => undefined);
  return { promise: tracked, settled: () => settled };
}

const put = (key: string, value: string): KvOp => ({ type: 'put', key, value });
const del = (key: string): KvOp => ({ type: 'del', key });

// Names whose UTF-16 order differs from their UTF-8 byte order: U+FFFD sorts after the surrogate
// pair of U+1F600 in UTF-16 code units, but before it in UTF-8 bytes (EF.. < F0..).
const orderedNames = ['d/A', 'd/Z', 'd/a', 'd/z', 'd/é', 'd/日本', 'd/\uFFFD', 'd/😀'];

function storeConformance(name: string, factory: StoreFactory): void {
  describe(`metadata store conformance over ${name}`, () => {
    let store: StoreUnderTest;

    beforeEach(async () => {
      store = await factory();
    });

    afterEach(async () => {
      await store.cleanup();
    });

    describe('LevelKv', () => {
      it('get returns undefined for a missing key and the stored value for a present one', async () => {
        await store.kv.write([put('k', 'v')], true);
        expect(await store.kv.get('k')).toBe('v');
        expect(await store.kv.get('missing')).toBeUndefined();
      });

      it('range honours gte, gt, lt and limit', async () => {
        await store.kv.write(['a', 'b', 'c', 'd', 'e'].map((k) => put(k, k.toUpperCase())), true);
        expect(await store.kv.range({ gte: 'b', lt: 'e' })).toEqual([['b', 'B'], ['c', 'C'], ['d', 'D']]);
        expect(await store.kv.range({ gt: 'b', lt: 'e' })).toEqual([['c', 'C'], ['d', 'D']]);
        expect(await store.kv.range({ gte: 'b', lt: 'e', limit: 2 })).toEqual([['b', 'B'], ['c', 'C']]);
        expect(await store.kv.range({ lt: 'c' })).toEqual([['a', 'A'], ['b', 'B']]);
        expect(await store.kv.range({ gte: 'x', lt: 'z' })).toEqual([]);
      });

      it('range treats a bound given as undefined as no bound, as the overlay merge does', async () => {
        await store.kv.write(['a', 'b', 'c', 'd'].map((k) => put(k, k)), true);
        expect(await store.kv.range({ gt: 'b', gte: undefined, lt: 'e' })).toEqual([['c', 'c'], ['d', 'd']]);
        expect(await store.kv.range({ gt: undefined, gte: 'b', lt: 'd' })).toEqual([['b', 'b'], ['c', 'c']]);
        expect(await store.kv.range({ gt: undefined, lt: 'b', limit: undefined })).toEqual([['a', 'a']]);
      });

      it('range returns keys in UTF-8 byte order, including non-ASCII names', async () => {
        const shuffled = [...orderedNames].reverse();
        await store.kv.write(shuffled.map((k) => put(k, k)), true);
        const keys = (await store.kv.range({ gte: 'd/', lt: 'd0' })).map(([k]) => k);
        expect(keys).toEqual(orderedNames);
        // The expectation is the byte order the overlay merge uses, which is not JavaScript's default.
        expect([...orderedNames].sort(compareBytes)).toEqual(orderedNames);
        expect([...orderedNames].sort()).not.toEqual(orderedNames);
      });

      it('compareBytes orders as the UTF-8 encodings do, for any pair of names', () => {
        // Code units from every range that matters: ASCII, two- and three-byte ones, surrogate
        // pairs (four bytes) and the units above the surrogates (U+E000-U+FFFF).
        const units = ['a', 'b', '/', '0', '\u00e9', '\u65e5', '\uFFFD', '\uE000', '\uD83D\uDE00', '\uD83D\uDE01', '\uD800\uDC00'];
        let seed = 1;
        const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
        const name = (): string => Array.from({ length: 1 + Math.floor(random() * 4) }, () => units[Math.floor(random() * units.length)]).join('');
        for (let i = 0; i < 2000; i++) {
          const a = name();
          const b = random() < 0.3 ? a + name() : name();
          expect(Math.sign(compareBytes(a, b))).toBe(Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
        }
      });

      it('a batch applies its puts and deletes together', async () => {
        await store.kv.write([put('a', '1'), put('b', '2')], true);
        await store.kv.write([del('a'), put('b', '3'), put('c', '4')], true);
        expect(await store.kv.range({ gte: '', lt: '~' })).toEqual([['b', '3'], ['c', '4']]);
      });

      it('a batch with one invalid operation writes nothing', async () => {
        const invalid = { type: 'put', key: 'y', value: undefined } as unknown as KvOp;
        await expect(store.kv.write([put('x', '1'), invalid], true)).rejects.toThrow();
        expect(await store.kv.get('x')).toBeUndefined();
      });

      it('a later operation in one batch wins over an earlier one on the same key', async () => {
        await store.kv.write([put('k', '1'), put('k', '2'), put('gone', '1'), del('gone')], true);
        expect(await store.kv.get('k')).toBe('2');
        expect(await store.kv.get('gone')).toBeUndefined();
      });
    });

    describe('MetaDb', () => {
      it('a transaction reads its own uncommitted puts and deletes, in get and in range', async () => {
        await store.kv.write([put('a', 'old'), put('b', 'old')], true);
        const db = new MetaDb(store.kv);
        const seen = await db.transact(async (tx) => {
          tx.put('a', 'new');
          tx.del('b');
          tx.put('c', 'new');
          return { a: await tx.get('a'), b: await tx.get('b'), all: await tx.range({ gte: '', lt: '~' }) };
        });
        expect(seen).toEqual({ a: 'new', b: undefined, all: [['a', 'new'], ['c', 'new']] });
        expect(await store.kv.range({ gte: '', lt: '~' })).toEqual([['a', 'new'], ['c', 'new']]);
      });

      it('records parsed once are served again only while the key holds the same value', async () => {
        await store.kv.write([put('r', JSON.stringify({ n: 1 }))], true);
        const db = new MetaDb(store.kv);
        const read = (): Promise<{ n: number } | undefined> => db.transact((tx) => tx.getJson<{ n: number }>('r'));
        const first = await read();
        expect(first).toEqual({ n: 1 });
        expect(await read()).toBe(first); // the same object: not parsed again
        // Shared between transactions, so frozen under the tests: a change in place fails at once.
        expect(() => ((first as { n: number }).n = 9)).toThrow(TypeError);
        // A put of the key is what the next read gets, whether or not it was read before.
        await db.transact(async (tx) => tx.putJson('r', { n: 2 }));
        expect(await read()).toEqual({ n: 2 });
        await db.transact(async (tx) => tx.put('r', JSON.stringify({ n: 3 })));
        expect(await read()).toEqual({ n: 3 });
        // A failed transaction's put is never served.
        await expect(
          db.transact(async (tx) => {
            tx.putJson('r', { n: 4 });
            throw new Error('refused');
          }),
        ).rejects.toThrow('refused');
        expect(await read()).toEqual({ n: 3 });
        await db.transact(async (tx) => tx.del('r'));
        expect(await read()).toBeUndefined();
        // Within a transaction, its own put is read back.
        expect(await db.transact(async (tx) => (tx.putJson('r', { n: 5 }), tx.getJson<{ n: number }>('r')))).toEqual({ n: 5 });
      });

      it('records read once (a listing\'s entries) are parsed without pushing the hot ones out of the parsed records', async () => {
        const many = 5_000; // more than the parsed records kept
        await store.kv.write([put('hot', JSON.stringify({ n: 1 })), ...Array.from({ length: many }, (_, i) => put(`c${i}`, JSON.stringify({ i })))], true);
        const db = new MetaDb(store.kv);
        const hot = await db.transact((tx) => tx.getJson<{ n: number }>('hot'));
        const listed = await db.transact(async (tx) => {
          const out: unknown[] = [];
          for (let i = 0; i < many; i++) out.push(await tx.getJsonOnce(`c${i}`));
          return out;
        });
        expect(listed[many - 1]).toEqual({ i: many - 1 });
        // Still the same object: the listing did not clear the records creates read again and again.
        expect(await db.transact((tx) => tx.getJson<{ n: number }>('hot'))).toBe(hot);
        // A record read once is served from the parsed records when it is there.
        expect(await db.transact((tx) => tx.getJsonOnce<{ n: number }>('hot'))).toBe(hot);
      });

      it('a transaction sees the writes of earlier transactions before they are durable', async () => {
        const gated = new GatedKv(store.kv);
        const db = new MetaDb(gated);
        gated.hold();
        const first = track(db.transact(async (tx) => tx.put('k', 'v1')));
        const second = track(db.transact(async (tx) => (await tx.get('k')) ?? 'absent'));
        await settle();
        expect(gated.writesDone).toBe(0);
        expect(first.settled()).toBe(false);
        gated.release();
        await first.promise;
        expect(await second.promise).toBe('v1');
        expect(await store.kv.get('k')).toBe('v1');
      });

      it('acknowledges a write only once its batch is durable', async () => {
        const gated = new GatedKv(store.kv);
        const db = new MetaDb(gated);
        gated.hold();
        const write = track(db.transact(async (tx) => tx.put('k', 'v')));
        await settle();
        expect(write.settled()).toBe(false);
        expect(await store.kv.get('k')).toBeUndefined();
        gated.release();
        await write.promise;
        expect(await store.kv.get('k')).toBe('v');
      });

      it('a read-only transaction answers only once what it could have seen is durable', async () => {
        const gated = new GatedKv(store.kv);
        const db = new MetaDb(gated);
        gated.hold();
        const write = track(db.transact(async (tx) => tx.put('k', 'v')));
        const read = track(db.transact(async (tx) => tx.get('k')));
        await settle();
        expect(read.settled()).toBe(false);
        gated.release();
        await write.promise;
        expect(await read.promise).toBe('v');
      });

      it('a transaction that fails after reading undurable state answers only once that state is durable', async () => {
        const gated = new GatedKv(store.kv);
        const db = new MetaDb(gated);
        gated.hold();
        const create = track(db.transact(async (tx) => tx.put('k', 'v')));
        const exclusive = track(
          db.transact(async (tx) => {
            if ((await tx.get('k')) !== undefined) throw new CairnError('EEXIST');
          }),
        );
        await settle();
        // EEXIST here would tell a client about a key that a crash could still take back.
        expect(exclusive.settled()).toBe(false);
        gated.release();
        await create.promise;
        await expect(exclusive.promise).rejects.toMatchObject({ code: 'EEXIST' });
      });

      it('transactions arriving while a sync write is in flight share the next one (group commit)', async () => {
        // The first write is held so that the test does not depend on how fast this store syncs
        // (memory-level completes a batch before the next transaction could join it).
        const gated = new GatedKv(store.kv);
        const db = new MetaDb(gated);
        gated.hold();
        const count = 50;
        const all = Promise.all(
          Array.from({ length: count }, (_, i) =>
            db.transact(async (tx) => {
              tx.put(`k${String(i).padStart(3, '0')}`, String(i));
              return i;
            }),
          ),
        );
        await settle();
        gated.release();
        expect(await all).toEqual(Array.from({ length: count }, (_, i) => i));
        expect(db.stats.ops).toBe(count);
        expect(db.stats.writes).toBe(2); // the first transaction alone, then the 49 queued behind it
        expect(gated.writesDone).toBe(2);
        expect(await store.kv.range({ gte: 'k', lt: 'l' })).toHaveLength(count);
      });

      it('in on-sync mode a write is acknowledged unsynced, and sync() makes it and everything before it durable', async () => {
        const gated = new GatedKv(store.kv);
        const db = new MetaDb(gated);
        await db.transact(async (tx) => tx.put('a', '1'));
        await db.transact(async (tx) => tx.put('b', '2'));
        expect(gated.syncs).toEqual([false, false]);
        expect(db.hasUnsynced).toBe(true);
        await db.sync();
        expect(gated.syncs).toEqual([false, false, true]);
        expect(db.hasUnsynced).toBe(false);
        await db.sync(); // nothing new: no write at all
        expect(gated.syncs).toEqual([false, false, true]);
      });

      it('a transaction that asks for sync is acknowledged only after a sync write that carries it', async () => {
        const gated = new GatedKv(store.kv);
        const db = new MetaDb(gated);
        gated.hold();
        const first = track(db.transact(async (tx) => tx.put('a', '1')));
        await settle();
        const plain = track(db.transact(async (tx) => tx.put('b', '2')));
        const synced = track(db.transact(async (tx) => tx.put('c', '3'), { sync: true }));
        await settle();
        expect(synced.settled()).toBe(false);
        gated.release();
        await Promise.all([first.promise, plain.promise, synced.promise]);
        // The held write, then b and c together in one sync write (group commit keeps the flag).
        expect(gated.syncs).toEqual([false, true]);
        expect(db.hasUnsynced).toBe(false);
      });

      it('sync() while a write is queued turns that write into a sync write', async () => {
        const gated = new GatedKv(store.kv);
        const db = new MetaDb(gated);
        gated.hold();
        const first = track(db.transact(async (tx) => tx.put('a', '1')));
        await settle();
        const second = track(db.transact(async (tx) => tx.put('b', '2')));
        await settle();
        const sync = track(db.sync());
        gated.release();
        await Promise.all([first.promise, second.promise, sync.promise]);
        expect(gated.syncs).toEqual([false, true]);
      });

      it('the read cache stays within its byte budget, and evicted keys still read from the store', async () => {
        const budget = 4000;
        const db = new MetaDb(store.kv, () => {}, 'on-sync', budget);
        for (let i = 0; i < 200; i++) await db.transact(async (tx) => tx.put(`key-${i}`, `value-${i}`.repeat(3)));
        expect(db.cachedBytes).toBeGreaterThan(0);
        expect(db.cachedBytes).toBeLessThanOrEqual(budget);
        for (let i = 0; i < 200; i++) expect(await db.transact(async (tx) => tx.get(`key-${i}`))).toBe(`value-${i}`.repeat(3));
        expect(db.cachedBytes).toBeLessThanOrEqual(budget);
      });

      it('a key rewritten at every write (a directory, the id counters) reads its latest value, within the budget', async () => {
        const budget = 4000;
        const db = new MetaDb(store.kv, () => {}, 'on-sync', budget);
        for (let i = 0; i < 300; i++) {
          await db.transact(async (tx) => {
            tx.put('hot', 'h'.repeat(i % 40));
            tx.put(`cold-${i}`, `value-${i}`);
            if (i % 7 === 0) tx.del('hot');
          });
          expect(db.cachedBytes).toBeLessThanOrEqual(budget);
        }
        expect(await db.transact(async (tx) => tx.get('hot'))).toBe('h'.repeat(299 % 40));
        await db.transact(async (tx) => tx.del('hot'));
        expect(await db.transact(async (tx) => tx.get('hot'))).toBeUndefined();
        expect(await db.transact(async (tx) => tx.get('cold-3'))).toBe('value-3');
      });

      it('in always mode every write is a sync write', async () => {
        const gated = new GatedKv(store.kv);
        const db = new MetaDb(gated, () => {}, 'always');
        await db.transact(async (tx) => tx.put('a', '1'));
        await db.transact(async (tx) => tx.del('a'));
        expect(gated.syncs).toEqual([true, true]);
        expect(db.stats.syncs).toBe(2);
        expect(db.hasUnsynced).toBe(false);
      });

      it('range merges pending puts and deletes with the durable store, in byte order, within the limit', async () => {
        await store.kv.write(['a', 'b', 'c', 'd', 'd/😀'].map((k) => put(k, 'stored')), true);
        const gated = new GatedKv(store.kv);
        const db = new MetaDb(gated);
        gated.hold();
        const pending = db.transact(async (tx) => {
          tx.put('a', 'pending');
          tx.put('bb', 'pending');
          tx.del('c');
          tx.put('d/\uFFFD', 'pending');
        });
        await settle();
        const all = await db.range({ gte: '', lt: '~' });
        expect(all).toEqual([
          ['a', 'pending'],
          ['b', 'stored'],
          ['bb', 'pending'],
          ['d', 'stored'],
          ['d/\uFFFD', 'pending'],
          ['d/😀', 'stored'],
        ]);
        expect(await db.range({ gte: '', lt: '~', limit: 3 })).toEqual(all.slice(0, 3));
        expect(await db.range({ gt: 'bb', lt: '~', limit: 2 })).toEqual(all.slice(3, 5));
        // Deleted keys must not eat into the limit.
        expect(await db.range({ gt: 'bb', lt: 'd/', limit: 1 })).toEqual([['d', 'stored']]);
        gated.release();
        await pending;
        expect(await db.range({ gte: '', lt: '~' })).toEqual(all);
        expect(await store.kv.range({ gte: '', lt: '~' })).toEqual(all);
      });

      it('a transaction range merges its own writes over pending ones, within the limit', async () => {
        await store.kv.write(['a', 'b', 'c'].map((k) => put(k, 'stored')), true);
        const db = new MetaDb(store.kv);
        const rows = await db.transact(async (tx) => {
          tx.del('a');
          tx.del('b');
          tx.put('bb', 'own');
          return tx.range({ gte: '', lt: '~', limit: 2 });
        });
        expect(rows).toEqual([['bb', 'own'], ['c', 'stored']]);
      });

      it('barrier resolves at once when nothing is pending, and otherwise only after every applied write is durable', async () => {
        const gated = new GatedKv(store.kv);
        const db = new MetaDb(gated);
        await db.barrier();
        gated.hold();
        const first = db.transact(async (tx) => tx.put('a', '1'));
        await settle(); // the first batch is now in flight
        const second = db.transact(async (tx) => tx.put('b', '2'));
        await settle(); // the second batch is queued behind it
        const barrier = track(db.barrier());
        await settle();
        expect(barrier.settled()).toBe(false);
        gated.release();
        await barrier.promise;
        expect(await store.kv.get('a')).toBe('1');
        expect(await store.kv.get('b')).toBe('2');
        await Promise.all([first, second]);
      });

      it('after a failed sync write, it writes nothing more and fails every later transaction with EIO', async () => {
        const gated = new GatedKv(store.kv);
        const fatal: unknown[] = [];
        const db = new MetaDb(gated, (err) => fatal.push(err));
        gated.hold();
        const first = track(db.transact(async (tx) => tx.put('dir', 'created')));
        await settle(); // in flight
        // Planned on top of the first batch, which the failing write is about to lose.
        const second = track(db.transact(async (tx) => tx.put('dir/file', (await tx.get('dir')) ?? 'no dir')));
        const reader = track(db.transact(async (tx) => tx.get('dir')));
        await settle();
        gated.failNextWrite = new Error('disk on fire');
        gated.release();
        await expect(first.promise).rejects.toMatchObject({ code: 'EIO' });
        await expect(second.promise).rejects.toMatchObject({ code: 'EIO' });
        await expect(reader.promise).rejects.toMatchObject({ code: 'EIO' });
        await expect(db.transact(async (tx) => tx.put('later', '1'))).rejects.toMatchObject({ code: 'EIO' });
        expect(fatal).toHaveLength(1);
        expect(await store.kv.range({ gte: '', lt: '~' })).toEqual([]);
      });
    });
  });
}

storeConformance('memory-level', async () => {
  const level = new MemoryLevel<string, string>({ keyEncoding: 'utf8', valueEncoding: 'utf8' });
  const kv = await LevelKv.open(level);
  return { kv, cleanup: () => kv.close() };
});

async function tempLevelDb(): Promise<{ dir: string; open: () => Promise<LevelKv>; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-store-'));
  const opened: LevelKv[] = [];
  return {
    dir,
    open: async () => {
      const kv = await LevelKv.open(new Level<string, string>(dir, { keyEncoding: 'utf8', valueEncoding: 'utf8' }));
      opened.push(kv);
      return kv;
    },
    cleanup: async () => {
      for (const kv of opened) await kv.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

storeConformance('LevelDB', async () => {
  const temp = await tempLevelDb();
  return { kv: await temp.open(), cleanup: temp.cleanup };
});

describe('LevelDB metadata store across a restart', () => {
  it('reopening the store after close shows every committed transaction', async () => {
    const temp = await tempLevelDb();
    try {
      const kv = await temp.open();
      const db = new MetaDb(kv);
      await Promise.all(
        ['é', 'a', '😀'].map((name, i) => db.transact(async (tx) => tx.put(`d/${name}`, String(i)))),
      );
      await db.transact(async (tx) => tx.del('d/a'));
      await db.barrier();
      await kv.close();

      const reopened = new MetaDb(await temp.open());
      expect(await reopened.get('d/é')).toBe('0');
      expect(await reopened.get('d/a')).toBeUndefined();
      expect(await reopened.range({ gte: 'd/', lt: 'd0' })).toEqual([
        ['d/é', '0'],
        ['d/😀', '2'],
      ]);
    } finally {
      await temp.cleanup();
    }
  });

  it('a namespace reopened from LevelDB keeps its cluster id, chunk size and directories', async () => {
    const temp = await tempLevelDb();
    const root = { uid: 0, gid: 0, clientId: 'test' };
    try {
      const first = await Namespace.open(await temp.open(), { chunkSizeBytes: 65536, defaultReplication: 3, nowMs: 1 });
      await first.run(root, 2, (ctx) => mkdir(ctx, '/kept/deep', 0o755, true));
      await first.close();

      const second = await Namespace.open(await temp.open(), { chunkSizeBytes: 1 << 20, defaultReplication: 2, nowMs: 3 });
      expect(second.cluster.clusterId).toBe(first.cluster.clusterId);
      expect(second.settings.chunkSizeBytes).toBe(65536);
      const page = await second.run(root, 4, (ctx) => readdir(ctx, '/kept', '', 0));
      expect(page.entries.map((entry) => entry.name)).toEqual(['deep']);
      await second.close();
    } finally {
      await temp.cleanup();
    }
  });
});
