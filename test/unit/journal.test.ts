// The namenode's journal (namenode/store/journal.ts) over a real LevelDB in a temporary
// directory: a batch is acknowledged once journaled, before LevelDB has it; reopening replays
// exactly the batches LevelDB lacks, in order, and never one over a later one.

import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { crc32c } from '@node-rs/crc32';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LevelKv, type KvOp, type KvStore } from '../../namenode/store/kv.js';
import { Journal, journalSeqKey } from '../../namenode/store/journal.js';
import { MetaDb } from '../../namenode/store/metadb.js';

/** The journal's write(2) calls, counted. */
const journalWrites = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../common/write-all.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../common/write-all.js')>();
  return {
    ...real,
    writeAllSync: (...args: Parameters<typeof real.writeAllSync>) => {
      journalWrites.count++;
      real.writeAllSync(...args);
    },
  };
});

/** A store whose reads go to a real one; what a write does is the subclass's. */
abstract class WrappedKv implements KvStore {
  constructor(protected readonly inner: KvStore) {}
  get(key: string): Promise<string | undefined> {
    return this.inner.get(key);
  }
  range(range: Parameters<KvStore['range']>[0]): Promise<Array<[string, string]>> {
    return this.inner.range(range);
  }
  abstract write(ops: KvOp[], sync: boolean): Promise<void>;
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** A store whose writes never complete: the namenode killed before LevelDB got the batch. */
class StalledKv extends WrappedKv {
  writesStarted = 0;
  write(): Promise<void> {
    this.writesStarted++;
    return new Promise(() => undefined);
  }
}

/** A store that records the sync flag of every write. */
class RecordingKv extends WrappedKv {
  readonly syncs: boolean[] = [];
  async write(ops: KvOp[], sync: boolean): Promise<void> {
    this.syncs.push(sync);
    await this.inner.write(ops, sync);
  }
}

/** A store whose writes fail (a disk error under LevelDB). */
class FailingKv extends WrappedKv {
  writesStarted = 0;
  async write(): Promise<void> {
    this.writesStarted++;
    throw new Error('EIO: injected LevelDB write failure');
  }
}

const put = (key: string, value: string): KvOp => ({ type: 'put', key, value });

let dir: string;
let open: LevelKv[];

async function openKv(): Promise<LevelKv> {
  const kv = await LevelKv.open(new Level<string, string>(join(dir, 'meta'), { keyEncoding: 'utf8', valueEncoding: 'utf8' }));
  open.push(kv);
  return kv;
}

async function closeKv(kv: LevelKv): Promise<void> {
  open.splice(open.indexOf(kv), 1);
  await kv.close();
}

type JournalOptions = Parameters<typeof Journal.open>[2];

/** A namenode's store and its journal (replaying what the store lacks), opened in `dir`. */
async function start(opts?: JournalOptions): Promise<{ kv: LevelKv; journal: Journal }> {
  const kv = await openKv();
  return { kv, journal: await Journal.open(dir, kv, opts) };
}

/** The namenode gone (its journal files stay as written) and started again. */
async function restart(kv: LevelKv, opts?: JournalOptions): Promise<{ kv: LevelKv; journal: Journal }> {
  await closeKv(kv);
  return start(opts);
}

const journalFiles = async (): Promise<string[]> => (await readdir(dir)).filter((f) => f.startsWith('journal-')).sort();

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cairn-journal-'));
  open = [];
});
afterEach(async () => {
  for (const kv of open) await kv.close();
  await rm(dir, { recursive: true, force: true });
});

describe('metadata journal', () => {
  it('acknowledges a transaction once journaled, before LevelDB has it, and replays it after a SIGKILL', async () => {
    const { kv, journal } = await start();
    const stalled = new StalledKv(kv);
    const db = new MetaDb(stalled, () => undefined, 'on-sync', undefined, journal);
    await db.transact(async (tx) => tx.put('inode/7', 'file'));
    await db.transact(async (tx) => tx.del('inode/7'));
    await db.transact(async (tx) => tx.put('inode/8', 'dir'));
    // Acknowledged, and readable through the namenode, while LevelDB's first write never ends.
    await vi.waitFor(() => expect(stalled.writesStarted).toBe(1), { timeout: 5000 });
    expect(await db.get('inode/8')).toBe('dir');
    expect(await kv.get('inode/8')).toBeUndefined();

    const { kv: after, journal: reopened } = await restart(kv);
    expect(reopened.recovery).toEqual({ replayed: 3, skipped: 0 });
    expect(await after.get('inode/7')).toBeUndefined();
    expect(await after.get('inode/8')).toBe('dir');
    expect(await after.get(journalSeqKey)).toBe('3');
    // The replayed files are gone; the next record continues the sequence.
    expect(await journalFiles()).toEqual(['journal-2.log']);
    expect(reopened.append([put('x', '1')])).toBe(4);
  });

  it('when LevelDB fails the write that follows acknowledged batches, stops taking changes, and a restart replays them', async () => {
    const { kv, journal } = await start();
    const failing = new FailingKv(kv);
    const fatal: unknown[] = [];
    const db = new MetaDb(failing, (err) => fatal.push(err), 'on-sync', undefined, journal);
    // Both acknowledged once journaled; LevelDB's write of the first fails meanwhile, and the
    // second, journaled already, is acknowledged all the same (the journal holds it).
    await db.transact(async (tx) => tx.put('inode/1', 'dir'));
    await db.transact(async (tx) => tx.put('inode/2', 'file'));
    await vi.waitFor(() => expect(fatal).toHaveLength(1), { timeout: 5000 }); // the namenode is told, and exits
    expect(failing.writesStarted).toBe(1);
    // Nothing more is taken: a change planned on top of batches LevelDB does not have could outlive them.
    await expect(db.transact(async (tx) => tx.put('inode/3', 'file'))).rejects.toMatchObject({ code: 'EIO' });
    await expect(db.sync()).rejects.toMatchObject({ code: 'EIO' });
    // Closing keeps the journal (it holds what LevelDB lacks).
    await expect(db.close()).rejects.toMatchObject({ code: 'EIO' });

    // What was acknowledged is in the journal, and the next start puts it into LevelDB.
    const { kv: after, journal: reopened } = await restart(kv);
    expect(reopened.recovery).toEqual({ replayed: 2, skipped: 0 });
    expect(await after.get('inode/1')).toBe('dir');
    expect(await after.get('inode/2')).toBe('file');
    expect(await after.get('inode/3')).toBeUndefined();
  });

  it('writes the batches of one turn with one write(2), and acknowledges none before it', async () => {
    const { kv, journal } = await start();
    const db = new MetaDb(new StalledKv(kv), () => undefined, 'on-sync', undefined, journal);
    const writesBefore = journalWrites.count;
    const acknowledged: number[] = [];
    const all = [1, 2, 3].map((i) =>
      db.transact(async (tx) => tx.put(`k${i}`, 'v')).then(() => acknowledged.push(journalWrites.count - writesBefore)),
    );
    await Promise.resolve();
    expect(acknowledged).toEqual([]);
    await Promise.all(all);
    expect(acknowledged).toEqual([1, 1, 1]);
    journal.close(false);
    const { kv: after, journal: reopened } = await restart(kv);
    expect(reopened.recovery).toEqual({ replayed: 3, skipped: 0 });
    expect(await after.get('k3')).toBe('v');
  });

  it('replays a journal written as JSON by a namenode before session 13', async () => {
    const { kv, journal } = await start();
    journal.close(true);
    // seq u48 | length u32 | crc32c u32 (over seq, length and payload) | payload
    const record = (seq: number, ops: unknown[]): Buffer => {
      const payload = Buffer.from(JSON.stringify(ops));
      const out = Buffer.alloc(14 + payload.length);
      out.writeUIntBE(seq, 0, 6);
      out.writeUInt32BE(payload.length, 6);
      payload.copy(out, 14);
      out.writeUInt32BE(crc32c(payload, crc32c(out.subarray(0, 10))) >>> 0, 10);
      return out;
    };
    await writeFile(join(dir, 'journal-7.log'), Buffer.concat([record(1, [['a', '{"x":"1"}'], ['b', 'é']]), record(2, [['a']])]));
    const { kv: after, journal: reopened } = await restart(kv);
    expect(reopened.recovery).toEqual({ replayed: 2, skipped: 0 });
    expect(await after.get('a')).toBeUndefined();
    expect(await after.get('b')).toBe('é');
    // What follows is binary, and replays too.
    reopened.append([put('c', '{"y":"\\u00e9"}'), { type: 'del', key: 'b' }]);
    reopened.close(false);
    const { kv: third, journal: again } = await restart(after);
    expect(again.recovery).toEqual({ replayed: 1, skipped: 0 });
    expect(await third.get('c')).toBe('{"y":"\\u00e9"}');
    expect(await third.get('b')).toBeUndefined();
  });

  it('journaled batches share LevelDB\'s next write, milliseconds later; a caller that waits for LevelDB has it start at once', async () => {
    const { kv, journal } = await start();
    const recording = new RecordingKv(kv);
    const db = new MetaDb(recording, () => undefined, 'on-sync', undefined, journal);
    // The write-behind timer runs only when told to: what needs no timer must not wait for one.
    const realSetTimeout = globalThis.setTimeout;
    const promptly = <T>(p: Promise<T>): Promise<T> =>
      Promise.race([p, new Promise<never>((_, reject) => realSetTimeout(() => reject(new Error('it waited for the write-behind timer')), 2000))]);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] }); // the clock too: a slow machine must not reach 5 ms
    try {
      for (let i = 0; i < 5; i++) await db.transact(async (tx) => tx.put(`k${i}`, String(i)));
      expect(recording.syncs).toEqual([]); // acknowledged (journaled); LevelDB's write still to come
      await vi.advanceTimersByTimeAsync(50); // the operations stopped: written after writeBehindIdleMs
      await vi.waitFor(() => expect(recording.syncs).toEqual([false]), { timeout: 5000 });
      await db.barrier(); // that write's end: no other
      expect(recording.syncs).toEqual([false]);
      expect(await kv.get('k4')).toBe('4');
      // A synced transaction (an fsync's commit) is written, synced, at once, with what waited.
      await db.transact(async (tx) => tx.put('k5', '5'));
      await promptly(db.transact(async (tx) => tx.put('k6', '6'), { sync: true }));
      expect(recording.syncs).toEqual([false, true]);
      expect(await kv.get('k5')).toBe('5');
      // Likewise a barrier.
      await db.transact(async (tx) => tx.put('k7', '7'));
      await promptly(db.barrier());
      expect(recording.syncs).toEqual([false, true, false]);
      expect(await kv.get('k7')).toBe('7');
    } finally {
      vi.useRealTimers();
    }
    await db.close();
  });

  it('without a journal, a transaction waits for LevelDB', async () => {
    const kv = await openKv();
    const db = new MetaDb(new StalledKv(kv));
    let acknowledged = false;
    void db.transact(async (tx) => tx.put('k', 'v')).then(() => (acknowledged = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(acknowledged).toBe(false);
  });

  it('replays only the batches after the one LevelDB holds last, never an older one over a newer', async () => {
    const { kv, journal } = await start();
    const db = new MetaDb(kv, () => undefined, 'on-sync', undefined, journal);
    await db.transact(async (tx) => tx.put('ids', '1'));
    await db.transact(async (tx) => tx.put('ids', '2'));
    await db.barrier(); // LevelDB holds both, and `m/journal` = 2
    expect(await kv.get(journalSeqKey)).toBe('2');
    journal.append([put('ids', '3')]); // journaled; the namenode dies before LevelDB's write

    const { kv: after, journal: reopened } = await restart(kv);
    expect(reopened.recovery).toEqual({ replayed: 1, skipped: 0 });
    expect(await after.get('ids')).toBe('3');
  });

  it('keeps LevelDB as it is when the journal lost its tail but LevelDB did not (machine crash)', async () => {
    const { kv, journal } = await start();
    journal.append([put('ids', '1')]);
    journal.append([put('ids', '2')]);
    journal.close(false);
    await kv.write([put('ids', '5'), put(journalSeqKey, '5')], true);

    const { kv: after, journal: reopened } = await restart(kv);
    expect(reopened.recovery).toEqual({ replayed: 0, skipped: 0 });
    expect(await after.get('ids')).toBe('5');
  });

  it('ends the replay at a torn or corrupt record', async () => {
    const { kv, journal } = await start();
    for (let i = 1; i <= 3; i++) journal.append([put(`k${i}`, 'v'.repeat(100))]);
    journal.close(false);
    const [file] = await journalFiles();
    const path = join(dir, file as string);
    const bytes = (await readFile(path)).length;
    await truncate(path, bytes - 10); // the third record torn

    const { kv: after, journal: reopened } = await restart(kv);
    expect(reopened.recovery).toEqual({ replayed: 2, skipped: 0 });
    expect(await after.get('k2')).toBe('v'.repeat(100));
    expect(await after.get('k3')).toBeUndefined();

    // A flipped byte in the first record of the next run ends it there.
    reopened.append([put('k4', 'v')]);
    reopened.append([put('k5', 'v')]);
    reopened.close(false);
    const [next] = await journalFiles();
    const nextPath = join(dir, next as string);
    const data = await readFile(nextPath);
    data[20] = (data[20] as number) ^ 0xff;
    await writeFile(nextPath, data);
    const { kv: third, journal: again } = await restart(after);
    expect(again.recovery).toEqual({ replayed: 0, skipped: 0 });
    expect(await third.get('k4')).toBeUndefined();
    expect(await third.get('k5')).toBeUndefined();
  });

  it('does not replay records after a gap', async () => {
    const kv = await openKv();
    await kv.write([put(journalSeqKey, '2')], true);
    const journal = await Journal.open(dir, kv); // the next records are 3 and 4
    journal.append([put('a', '1')]);
    journal.append([put('b', '1')]);
    journal.close(false);
    await kv.write([put(journalSeqKey, '0')], true); // LevelDB lost records 1 and 2

    const { kv: after, journal: reopened } = await restart(kv);
    expect(reopened.recovery).toEqual({ replayed: 0, skipped: 2 });
    expect(await after.get('a')).toBeUndefined();

    // What is journaled after the gap follows on from it: a SIGKILL before LevelDB has it, and
    // the next start replays it.
    expect(reopened.append([put('c', '1')])).toBe(5);
    const { kv: third, journal: again } = await restart(after);
    expect(again.recovery).toEqual({ replayed: 1, skipped: 0 });
    expect(await third.get('c')).toBe('1');
  });

  it('discards a journal found beside an empty store (its directory removed)', async () => {
    const { kv, journal } = await start();
    journal.append([put('old', '1')]);
    journal.close(false);
    const { kv: fresh, journal: discarded } = await restart(kv, { discard: true });
    expect(discarded.recovery).toEqual({ replayed: 0, skipped: 0 });
    expect(await fresh.get('old')).toBeUndefined();
  });

  it('makes callers wait for LevelDB again when it falls far behind', async () => {
    const { kv, journal } = await start();
    const db = new MetaDb(new StalledKv(kv), () => undefined, 'on-sync', undefined, journal);
    await db.transact(async (tx) => tx.put('small', '1'));
    let acknowledged = false;
    void db
      .transact(async (tx) => {
        for (let i = 0; i <= 100_000; i++) tx.put(`k${i}`, '');
      })
      .then(() => (acknowledged = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(acknowledged).toBe(false);
  });

  it('moves to a new file when one is full, and removes the old one after a sync write', async () => {
    const { kv, journal } = await start({ rotateBytes: 1 });
    const recording = new RecordingKv(kv);
    const db = new MetaDb(recording, () => undefined, 'on-sync', undefined, journal);
    for (let i = 0; i < 3; i++) {
      await db.transact(async (tx) => tx.put(`k${i}`, 'v'));
      await db.barrier();
    }
    expect(recording.syncs).toEqual([true, true, true]);
    expect(await journalFiles()).toEqual(['journal-4.log']);
    await db.close();
    expect(await journalFiles()).toEqual([]);
    open.splice(open.indexOf(kv), 1);
    await expect(db.transact(async (tx) => tx.put('late', 'v'))).rejects.toMatchObject({ code: 'EIO' });
  });
});
