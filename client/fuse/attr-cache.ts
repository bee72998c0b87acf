// The mount's short-lived cache of inode attributes, so that the stat storms of real programs
// (git status, SQLite's fstat before every write) do not each cost a namenode round trip; the
// kernel keeps what it is told for as long, and is told to forget a file's at open (cairn-fs.ts).
// Pure: time comes in.
//
// Invariants: an entry is served for at most `ttlMs` after it was fetched. Opening a file
// refreshes its entry from the namenode (close-to-open: a file's attributes after open are at
// least as new as the open), and every change made through this mount replaces or drops the
// entries it touches, so the mount always sees its own changes. An answer fetched while a change
// was being made may predate it, so it is not kept: each invalidation starts a new epoch, and
// only answers to fetches begun in the current epoch are stored.

import type { KernelAttr } from './protocol.js';

interface Entry {
  attr: KernelAttr;
  /** When it was fetched; `staleMs` once invalidated. */
  fetchedMs: number;
}

/** An invalidated entry's fetch time: never fresh. */
const staleMs = -Infinity;

/**
 * Entries are updated in place and invalidated by marking, never deleted and inserted again one
 * at a time: V8 (Node 20) makes a Map pay for each delete and re-insert of the same key with
 * something like a rehash of the whole table, ~6 us at 3,000 entries and ~15 us at 10,000
 * (bench: the directory of a create storm is put again after every create), which was ~8 % of
 * the mount's CPU creating files. Dead entries (invalidated, expired) go in bulk instead, once
 * they are many.
 */
export class AttrCache {
  private readonly entries = new Map<number, Entry>();
  /** Entries marked stale since the last sweep. */
  private staleCount = 0;
  /** Bumped by every invalidation. */
  epoch = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly entriesMax = 100_000,
  ) {}

  get(ino: number, nowMs: number): KernelAttr | undefined {
    const entry = this.entries.get(ino);
    if (entry === undefined || nowMs - entry.fetchedMs >= this.ttlMs) return undefined;
    return entry.attr;
  }

  /** Stores attributes fetched by a request that began in epoch `sinceEpoch`. */
  put(attr: KernelAttr, nowMs: number, sinceEpoch: number): void {
    if (this.ttlMs <= 0) return;
    const entry = this.entries.get(attr.ino);
    if (sinceEpoch !== this.epoch) {
      // Not kept, but newer than what the entry may hold: drop that, so the next use fetches.
      if (entry !== undefined) this.markStale(entry);
      return;
    }
    if (entry !== undefined) {
      if (entry.fetchedMs === staleMs) this.staleCount--;
      entry.attr = attr;
      entry.fetchedMs = nowMs;
      return;
    }
    if (this.staleCount > Math.max(1024, this.entries.size / 2)) this.sweep(nowMs);
    this.entries.set(attr.ino, { attr, fetchedMs: nowMs });
    if (this.entries.size > this.entriesMax) {
      // The oldest inserted goes (a hot one too: it is fetched again).
      const [oldestIno, oldest] = this.entries.entries().next().value as [number, Entry];
      if (oldest.fetchedMs === staleMs) this.staleCount--;
      this.entries.delete(oldestIno);
    }
  }

  /** A write through this mount: the file's mtime and ctime move to now (size comes from the writer). */
  written(ino: number, nowMs: number): void {
    const entry = this.entries.get(ino);
    if (entry !== undefined) entry.attr = { ...entry.attr, mtimeMs: nowMs, ctimeMs: nowMs };
  }

  invalidate(...inos: number[]): void {
    this.epoch++;
    for (const ino of inos) {
      const entry = this.entries.get(ino);
      if (entry !== undefined) this.markStale(entry);
    }
  }

  /** Entries held, dead ones included until swept. */
  get size(): number {
    return this.entries.size;
  }

  private markStale(entry: Entry): void {
    if (entry.fetchedMs === staleMs) return;
    entry.fetchedMs = staleMs;
    this.staleCount++;
  }

  /** Drops the invalidated and expired entries (one pass, into a new Map: no deletes). */
  private sweep(nowMs: number): void {
    const live = [...this.entries].filter(([, entry]) => nowMs - entry.fetchedMs < this.ttlMs);
    this.entries.clear();
    for (const [ino, entry] of live) this.entries.set(ino, entry);
    this.staleCount = 0;
  }
}
