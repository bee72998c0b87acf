// Serial transactions with group commit over a KvStore.
//
// Namespace operations run one at a time (linearizable: one namenode, one order). Each plans one
// batch, which is applied at once to an in-memory overlay (so the next operation sees it) and
// queued for the store. Many operations queued while a write is in flight share the next one
// (group commit). An operation is acknowledged only once its batch is in the store, and a
// read-only operation answers only once everything it could have seen is there, so no client
// ever sees state that a crash of the namenode could take back.
//
// Durability, as a local file system gives it (docs/ARCHITECTURE.md, "Durability"):
// - `always`: every batch is a sync write (fsync of LevelDB's log) before it is acknowledged.
// - `on-sync` (the default): a batch is written to the journal (journal.ts: one write(2) for the
//   batches of a turn of the event loop, in the OS page cache, so it survives a SIGKILL of the
//   namenode) and acknowledged; LevelDB's write
//   follows in the background. Without a journal (tests on memory-level) the batch is
//   acknowledged once written to LevelDB's log instead. It reaches the disk at the next sync
//   write: an operation that asks for one (an fsync on a file, `sync()`), or the periodic one
//   (`syncIntervalMs`). LevelDB's log is sequential, so a sync write makes everything before it
//   durable too. Every batch is journaled, synced ones included, so that the journal holds the
//   whole sequence that recovery replays.
//
// Fault model: if a write fails the overlay holds state that is not in the store; the namenode
// must stop (fail-stop, as HDFS does when its edit log fails), so `onFatal` is called.

import { CairnError } from '../../common/errors.js';
import type { KeyRange, KvOp, KvStore } from './kv.js';
import { journalSeqKey, type Journal } from './journal.js';

interface OverlayEntry {
  value: string | undefined; // undefined: deleted
  seq: number;
}

export class MetaDb {
  private readonly overlay = new Map<string, OverlayEntry>();
  /**
   * Recently read or written keys (`absent`: known absent), in two generations, as an
   * approximate LRU: hits in `young` cost one Map lookup (a true LRU's delete and re-insert on
   * every hit was the namenode's largest JS cost in profiles); hits in `old` move to `young`;
   * when `young` reaches half the budget it becomes `old` and the previous `old` is dropped.
   * Reads that hit need no trip to LevelDB. Written through on every apply, so it is never stale.
   */
  private young = new Map<string, string | typeof absent>();
  private old = new Map<string, string | typeof absent>();
  /** Records parsed lately, with the value each was parsed from (`parsed`). */
  private readonly parsedRecords = new Map<string, { raw: string; value: object }>();
  private youngBytes = 0;
  private oldBytes = 0;
  private queued: KvOp[] = [];
  private queuedWaiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  private queuedSeq = 0;
  /** The journal seq of the last batch queued (written to LevelDB with it, as `m/journal`). */
  private queuedJournalSeq = 0;
  /** Whether the queued batch must be a sync write. */
  private queuedSync = false;
  /** Batches written since the last sync write (on-sync mode). */
  private unsynced = false;
  /** When the last sync write began (Date.now()). */
  lastSyncMs = 0;
  private seq = 0;
  private flushing: Promise<void> | undefined;
  /** LevelDB's next write, scheduled for when operations stop (`writeBehindIdleMs`). */
  private flushTimer: NodeJS.Timeout | undefined;
  /** When the oldest batch not yet taken by a write was queued (performance.now()). */
  private waitingSinceMs: number | undefined;
  /** Set by close(): no new transaction runs. */
  private stopping = false;
  private chain: Promise<unknown> = Promise.resolve();
  private failed: unknown;
  /**
   * Transactions run so far, writes and sync writes done, and the operations they carried (for
   * metrics, benchmarks and the idle collector).
   */
  readonly stats = { transactions: 0, writes: 0, syncs: 0, ops: 0 };

  constructor(
    readonly kv: KvStore,
    private readonly onFatal: (err: unknown) => void = () => {},
    private readonly durability: Durability = 'on-sync',
    /** The read cache's budget: keys and values as UTF-16, plus a Map entry's overhead. */
    private readonly cacheBytesMax = 32 * 1024 * 1024,
    private readonly journal: Journal | undefined = undefined,
  ) {}

  /**
   * Runs `fn` alone (no other transaction interleaves), then waits until its writes, and
   * everything it read, are in the store; on disk too when `sync` (or in `always` mode).
   */
  async transact<T>(fn: (tx: Tx) => Promise<T>, opts: { sync?: boolean } = {}): Promise<T> {
    this.stats.transactions++;
    const run = this.chain.then(async () => {
      if (this.failed !== undefined) throw new CairnError('EIO', 'namenode metadata store failed; restart it');
      if (this.stopping) throw new CairnError('EIO', 'the namenode is stopping');
      const tx = new Tx(this);
      let result: T;
      try {
        result = await fn(tx);
      } catch (err) {
        // A failure is an answer too, and may rest on what the transaction read (EEXIST for a
        // file whose creation is not yet durable), so it is given only once that is durable.
        return { ok: false as const, err, durable: this.acknowledged() };
      }
      const durable = tx.ops.length > 0 ? this.apply(tx.ops, opts.sync === true) : opts.sync === true ? this.sync() : this.acknowledged();
      return { ok: true as const, result, durable };
    });
    this.chain = run.catch(() => undefined);
    const outcome = await run;
    await outcome.durable;
    if (!outcome.ok) throw outcome.err;
    return outcome.result;
  }

  async get(key: string): Promise<string | undefined> {
    const entry = this.overlay.get(key);
    if (entry !== undefined) return entry.value;
    const young = this.young.get(key);
    if (young !== undefined) return young === absent ? undefined : young;
    const old = this.old.get(key);
    if (old !== undefined) {
      const value = old === absent ? undefined : old;
      this.remember(key, value); // still in use: into the young generation
      return value;
    }
    const seqBefore = this.seq;
    const value = await this.kv.get(key);
    // Cache only if nothing was applied meanwhile (transactions are serial, but be sure).
    if (this.seq === seqBefore) this.remember(key, value);
    return value;
  }

  private remember(key: string, value: string | undefined): void {
    const bytes = entryBytes(key, value);
    const young = this.young.get(key);
    if (young !== undefined) {
      // Updated in place: a delete and re-insert of a hot key (a directory, the id counters) at
      // every write fills a large Map with deleted slots, and V8 rehashes it all to clear them
      // (that was a third of the namenode's CPU in a create storm).
      this.youngBytes += bytes - entryBytes(key, young === absent ? undefined : young);
      this.young.set(key, value ?? absent);
      if (this.youngBytes > this.cacheBytesMax / 2) this.rotate();
      return;
    }
    const old = this.old.get(key);
    if (old !== undefined) {
      this.oldBytes -= entryBytes(key, old === absent ? undefined : old);
      this.old.delete(key);
    }
    if (this.youngBytes + bytes > this.cacheBytesMax / 2) this.rotate();
    this.young.set(key, value ?? absent);
    this.youngBytes += bytes;
  }

  /**
   * `raw` (the value at `key`) parsed, from `parsedRecords` when it holds the same value. A create
   * reads the same few records as the one before it (the root's and its directory's inodes, the
   * directory's entry, the id counters): parsing them again was the namenode's largest JavaScript
   * cost in a create storm (docs/PERFORMANCE.md, session 25). Shared: no caller may change a
   * record in place (`checkRecords`); an update is a new object (`{ ...rec, size }`).
   */
  parsed(key: string, raw: string): unknown {
    let entry = this.parsedRecords.get(key);
    if (entry !== undefined && entry.raw === raw) return entry.value;
    const value = JSON.parse(raw) as object;
    if (entry === undefined) {
      if (this.parsedRecords.size >= parsedRecordsMax) this.parsedRecords.clear();
      entry = { raw, value };
      this.parsedRecords.set(key, entry);
    }
    refreshParsed(entry, raw, value);
    return value;
  }

  /**
   * `raw` parsed for one use, as `parsed` but without keeping it: a listing's thousands of child
   * inodes, each read once, would otherwise clear the whole cache every `parsedRecordsMax` of
   * them, the hot records of creates with it.
   */
  parsedOnce(key: string, raw: string): unknown {
    const entry = this.parsedRecords.get(key);
    return entry !== undefined && entry.raw === raw ? entry.value : (JSON.parse(raw) as unknown);
  }

  /**
   * A transaction put `value` (as `raw`) at a key read lately: the next read of it is not parsed
   * again (a directory's inode and the id counters change at every create). Should the
   * transaction fail, the entry is never hit: reads find another value at the key.
   */
  reparsed(key: string, raw: string, value: object): void {
    const hit = this.parsedRecords.get(key);
    if (hit !== undefined) refreshParsed(hit, raw, value);
  }

  /** Each generation holds at most half the budget: the young one becomes the old one. */
  private rotate(): void {
    this.old = this.young;
    this.oldBytes = this.youngBytes;
    this.young = new Map();
    this.youngBytes = 0;
  }


  /** A key range, merging the durable store with the overlay. */
  async range(range: KeyRange): Promise<Array<[string, string]>> {
    const pending: Array<[string, string | undefined]> = [];
    for (const [key, entry] of this.overlay) if (inRange(key, range)) pending.push([key, entry.value]);
    const stored = await this.kv.range(range.limit === undefined ? range : { ...range, limit: range.limit + pending.length });
    return mergeRange(stored, pending, range.limit);
  }

  /**
   * Resolves when everything applied so far would survive a SIGKILL of the namenode: once the
   * journal's write of this turn is made (journal.ts), else once it is in LevelDB.
   */
  private acknowledged(): Promise<void> {
    if (this.journal === undefined || this.durability === 'always') return this.barrier();
    return this.failed === undefined ? this.journalWritten() : Promise.reject(this.writeFailed());
  }

  /** Resolves once every batch journaled so far is written (journal.ts: one write a turn). */
  private journalWritten(): Promise<void> {
    return (this.journal as Journal).written().catch((err: unknown) => {
      // Batches are in the overlay that the journal does not hold: stop, as for a failed write.
      if (this.failed === undefined) {
        this.failed = err;
        this.onFatal(err);
      }
      throw this.writeFailed();
    });
  }

  /** Resolves when everything applied so far is in the store. */
  barrier(): Promise<void> {
    if (this.queued.length === 0 && this.flushing === undefined) return Promise.resolve();
    return new Promise((resolve, reject) => {
      if (this.queued.length === 0) {
        (this.flushing ?? Promise.resolve()).then(() => (this.failed === undefined ? resolve() : reject(this.writeFailed())), reject);
      } else {
        this.queuedWaiters.push({ resolve, reject });
        this.flushNow();
      }
    });
  }

  /** Resolves when everything applied so far is on disk (one sync write, if anything is not). */
  sync(): Promise<void> {
    // After a failed write, acknowledged batches may be in the journal alone (not on disk).
    if (this.failed !== undefined) return Promise.reject(this.writeFailed());
    if (this.queued.length > 0) {
      this.queuedSync = true;
      return this.barrier();
    }
    if (!this.unsynced && this.flushing === undefined) return Promise.resolve();
    // A sync write of a marker key flushes LevelDB's log, and with it every write before it.
    return this.apply([{ type: 'put', key: syncMarkerKey, value: String(Date.now()) }], true);
  }

  /** What the read cache holds now, by its own estimate. */
  get cachedBytes(): number {
    return this.youngBytes + this.oldBytes;
  }

  /**
   * Whether acknowledged batches are still on their way to LevelDB (after a burst the overlay
   * holds up to `overlayKeysAhead` keys, which become garbage once written).
   */
  get writingBehind(): boolean {
    return this.queued.length > 0 || this.flushing !== undefined || this.overlay.size > 0;
  }

  /** Whether batches were acknowledged that are not on disk yet. */
  get hasUnsynced(): boolean {
    return this.unsynced || this.queued.length > 0;
  }

  /**
   * Refuses new transactions, lets those already queued finish, makes everything durable,
   * removes the journal and closes the store.
   */
  async close(): Promise<void> {
    this.stopping = true;
    await this.chain;
    await this.sync();
    this.journal?.close(true);
    await this.kv.close();
  }

  private apply(ops: KvOp[], sync: boolean): Promise<void> {
    if (this.journal !== undefined) {
      try {
        this.queuedJournalSeq = this.journal.append(ops);
      } catch (err) {
        // Nothing of this batch was applied; what was acknowledged before is journaled.
        this.failed ??= err;
        this.onFatal(err);
        throw this.writeFailed();
      }
    }
    const seq = ++this.seq;
    if (sync) this.queuedSync = true;
    for (const op of ops) {
      const value = op.type === 'put' ? op.value : undefined;
      this.overlay.set(op.key, { value, seq });
      this.remember(op.key, value);
    }
    this.queued.push(...ops);
    this.queuedSeq = seq;
    this.stats.ops++;
    // Journaled: acknowledged once the journal's write of this turn is made, unless it must be
    // on disk first, or LevelDB has fallen far behind (a compaction stall): then callers wait for
    // LevelDB, and the overlay stays bounded.
    const now = this.journal !== undefined && !sync && this.durability !== 'always' && this.overlay.size <= overlayKeysAhead;
    const done = now ? this.journalWritten() : new Promise<void>((resolve, reject) => this.queuedWaiters.push({ resolve, reject }));
    // Acknowledged at once (journaled); LevelDB's write comes later, for the batches of several
    // operations at once: building a batch (~30 us of JavaScript and native calls an operation)
    // does not delay the reply, and a write costs the main thread two wake-ups besides (a
    // thread-pool worker's, and its own when the worker is done). With one write per operation,
    // as a single caller's creates or unlinks had, that was ~20 % of the namenode's CPU an
    // operation. The write starts in the turn of an operation that finds the oldest waiting
    // batch `writeBehindMs` old, while the namenode is awake anyway; a timer starts it only
    // after the operations stop. (A plain 5 ms timer made SQLite's transactions 14 % slower,
    // likely by waking the namenode in the middle of the next transaction's pipeline, on two
    // cores.) A caller that waits for the write has it start at once.
    if (!now) this.flushNow();
    else if (this.flushing === undefined) {
      const nowMs = performance.now();
      this.waitingSinceMs ??= nowMs;
      if (nowMs - this.waitingSinceMs >= writeBehindMs) {
        this.clearFlushTimer();
        this.flushing = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.flushLoop());
      } else if (this.flushTimer !== undefined) {
        this.flushTimer.refresh(); // counted from the last operation
      } else {
        this.flushTimer = setTimeout(() => {
          this.flushTimer = undefined;
          this.flushing ??= this.flushLoop();
        }, writeBehindIdleMs);
      }
    }
    return done;
  }

  private clearFlushTimer(): void {
    if (this.flushTimer === undefined) return;
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
  }

  /** Starts LevelDB's write now (someone waits for it), unless one is under way, which takes what is queued next. */
  private flushNow(): void {
    this.clearFlushTimer();
    this.flushing ??= this.flushLoop();
  }

  private async flushLoop(): Promise<void> {
    while (this.queued.length > 0) {
      const ops = this.queued;
      const waiters = this.queuedWaiters;
      this.waitingSinceMs = undefined;
      this.clearFlushTimer();
      const upToSeq = this.queuedSeq;
      let sync = this.durability === 'always' || this.queuedSync;
      this.queued = [];
      this.queuedWaiters = [];
      this.queuedSync = false;
      // After a failed write, later batches were planned on state that is not on disk: writing
      // them could persist an entry without its inode, so they are failed, never written.
      let fatal = false;
      if (this.failed === undefined) {
        try {
          let dropJournal: (() => void) | undefined;
          if (this.journal !== undefined) {
            ops.push({ type: 'put', key: journalSeqKey, value: String(this.queuedJournalSeq) });
            // A full journal file goes once a sync write has put all its batches on disk.
            if (this.journal.full) {
              dropJournal = this.journal.rotate();
              sync = true;
            }
          }
          if (sync) this.lastSyncMs = Date.now();
          await this.kv.write(ops, sync);
          dropJournal?.();
          this.stats.writes++;
          if (sync) this.stats.syncs++;
          this.unsynced = !sync;
        } catch (err) {
          this.failed = err;
          fatal = true;
        }
      }
      if (this.failed !== undefined) {
        for (const w of waiters) w.reject(this.writeFailed());
        if (fatal) this.onFatal(this.failed);
        continue;
      }
      for (const op of ops) {
        const entry = this.overlay.get(op.key);
        if (entry !== undefined && entry.seq <= upToSeq) this.overlay.delete(op.key);
      }
      for (const w of waiters) w.resolve();
    }
    this.flushing = undefined;
  }

  private writeFailed(): CairnError {
    return new CairnError('EIO', `metadata write failed: ${(this.failed as Error)?.message ?? String(this.failed)}`);
  }
}

/** The read cache's mark for a key known to be absent (a Map's undefined means "not cached"). */
const absent = Symbol('absent');

/** What one cache entry costs, roughly: both strings (2 bytes a character) and the Map entry. */
const entryBytes = (key: string, value: string | undefined): number => 2 * (key.length + (value?.length ?? 0)) + 80;

/** When an acknowledged batch is on disk: at once (`always`), or at the next sync write. */
export type Durability = 'always' | 'on-sync';

/**
 * Whether records handed out are frozen, so that a caller changing one in place (every later
 * reader's copy: `MetaDb.parsed`) fails at once. On under the tests (vitest sets VITEST, and the
 * servers they start inherit it); off otherwise: a frozen object's spread (`{ ...rec, size }`,
 * how every update is made) measured slower than the parse it saved.
 */
const checkRecords = process.env.VITEST !== undefined;

/**
 * An entry of `MetaDb.parsedRecords` now holding `value`, parsed from `raw`: updated in place (a
 * Map's delete and re-insert of a key costs like a rehash: client/fuse/attr-cache.ts).
 */
function refreshParsed(entry: { raw: string; value: object }, raw: string, value: object): void {
  entry.raw = raw;
  entry.value = checkRecords ? Object.freeze(value) : value;
}

/** Parsed records kept at most (`MetaDb.parsed`); all are dropped at once when full. */
const parsedRecordsMax = 4096;

/** Keys waiting for LevelDB beyond which a journaled batch is acknowledged only once in LevelDB. */
const overlayKeysAhead = 100_000;
/**
 * How long acknowledged (journaled) batches wait to share LevelDB's next write, while operations
 * come. Each write wakes a thread-pool worker and then the main thread again, which on this
 * kind of virtual machine costs the namenode more than building the batch: 50 rather than 5 ms
 * took 9-14 % off the namenode's CPU in a tar x of 3,128 files (docs/PERFORMANCE.md, session 25).
 * The journal holds the batches meanwhile; reads find them in the overlay.
 */
const writeBehindMs = 50;
/** When operations stop, how long the last batches wait for LevelDB's write. */
const writeBehindIdleMs = 20;

/** Written by `sync()` when nothing else is queued (its value is the time of the sync). */
export const syncMarkerKey = 'm/synced';

/** One transaction's view: reads see the transaction's own writes first. */
export class Tx {
  readonly ops: KvOp[] = [];
  private readonly writes = new Map<string, string | undefined>();

  constructor(private readonly db: MetaDb) {}

  async get(key: string): Promise<string | undefined> {
    if (this.writes.has(key)) return this.writes.get(key);
    return this.db.get(key);
  }

  /** The record at `key`, parsed: not to be changed in place, as later transactions may be handed the same object. */
  async getJson<T>(key: string): Promise<T | undefined> {
    const raw = await this.get(key);
    return raw === undefined ? undefined : (this.db.parsed(key, raw) as T);
  }

  /** getJson for a record read once (a listing's entries): not kept among the parsed records. */
  async getJsonOnce<T>(key: string): Promise<T | undefined> {
    const raw = await this.get(key);
    return raw === undefined ? undefined : (this.db.parsedOnce(key, raw) as T);
  }

  async range(range: KeyRange): Promise<Array<[string, string]>> {
    const own: Array<[string, string | undefined]> = [];
    for (const [key, value] of this.writes) if (inRange(key, range)) own.push([key, value]);
    const base = await this.db.range(range.limit === undefined ? range : { ...range, limit: range.limit + own.length });
    return mergeRange(base, own, range.limit);
  }

  put(key: string, value: string): void {
    this.writes.set(key, value);
    this.ops.push({ type: 'put', key, value });
  }

  /** Puts `value` as JSON; it may answer later reads of the key (MetaDb.reparsed), so it is not changed after. */
  putJson(key: string, value: object): void {
    const raw = JSON.stringify(value);
    this.put(key, raw);
    this.db.reparsed(key, raw, value);
  }

  del(key: string): void {
    this.writes.set(key, undefined);
    this.ops.push({ type: 'del', key });
  }
}

/** Byte order of the UTF-8 encodings, which is LevelDB's order. */
export function compareBytes(a: string, b: string): number {
  // UTF-16 code units order as code points, and so as UTF-8 bytes, while neither is a surrogate
  // nor above one: only a difference there needs the encodings compared.
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x < 0xd800 && y < 0xd800) return x - y;
    return Buffer.compare(Buffer.from(a), Buffer.from(b));
  }
  return a.length - b.length;
}

function inRange(key: string, range: KeyRange): boolean {
  return (
    (range.gt === undefined || compareBytes(key, range.gt) > 0) &&
    (range.gte === undefined || compareBytes(key, range.gte) >= 0) &&
    compareBytes(key, range.lt) < 0
  );
}

/** Entries of `base` with `overrides` applied (undefined deletes), in key order, up to `limit`. */
function mergeRange(
  base: Array<[string, string]>,
  overrides: Array<[string, string | undefined]>,
  limit: number | undefined,
): Array<[string, string]> {
  if (overrides.length === 0) return limit === undefined ? base : base.slice(0, limit);
  const merged = new Map<string, string | undefined>(base);
  for (const [key, value] of overrides) merged.set(key, value);
  const out: Array<[string, string]> = [];
  for (const key of [...merged.keys()].sort(compareBytes)) {
    const value = merged.get(key);
    if (value !== undefined) out.push([key, value]);
    if (limit !== undefined && out.length >= limit) break;
  }
  return out;
}
