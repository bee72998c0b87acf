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
  fetchedMs: number;
}

export class AttrCache {
  private readonly entries = new Map<number, Entry>();
  /** Bumped by every invalidation. */
  epoch = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly entriesMax = 100_000,
  ) {}

  get(ino: number, nowMs: number): KernelAttr | undefined {
    const entry = this.entries.get(ino);
    if (entry === undefined) return undefined;
    if (nowMs - entry.fetchedMs >= this.ttlMs) {
      this.entries.delete(ino);
      return undefined;
    }
    return entry.attr;
  }

  /** Stores attributes fetched by a request that began in epoch `sinceEpoch`. */
  put(attr: KernelAttr, nowMs: number, sinceEpoch: number): void {
    if (this.ttlMs <= 0) return;
    if (sinceEpoch !== this.epoch) {
      // Not kept, but newer than what the entry may hold: drop that, so the next use fetches.
      this.entries.delete(attr.ino);
      return;
    }
    this.entries.delete(attr.ino); // re-insert: Map order is age order
    this.entries.set(attr.ino, { attr, fetchedMs: nowMs });
    if (this.entries.size > this.entriesMax) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
  }

  /** A write through this mount: the file's mtime and ctime move to now (size comes from the writer). */
  written(ino: number, nowMs: number): void {
    const entry = this.entries.get(ino);
    if (entry !== undefined) entry.attr = { ...entry.attr, mtimeMs: nowMs, ctimeMs: nowMs };
  }

  invalidate(...inos: number[]): void {
    this.epoch++;
    for (const ino of inos) this.entries.delete(ino);
  }

  get size(): number {
    return this.entries.size;
  }
}
