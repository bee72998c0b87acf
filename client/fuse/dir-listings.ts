// Pages of directory listings the mount fetched, to answer the kernel's lookups without asking
// the namenode, as Lustre's statahead and NFS's READDIRPLUS do: `ls -l`, find, du, git status,
// tar c and rm -r look up the names of a directory one after another, in name order. When
// lookups of existing names in one directory miss in ascending order, the page of names after
// the last one is fetched (one Readdir call with attributes for up to a thousand names). A
// READDIR stores what it read too. Pure: time comes in, and the mount does the fetching.
//
// Invariants, the attribute cache's (attr-cache.ts): an entry is served for at most `ttlMs` after
// it was fetched (as long as the kernel may cache a name), only names that exist are answered (a
// name missing from a page is asked for, as a name created elsewhere must be visible at once),
// and every change made through this mount removes what it touches: the names it removes or
// replaces, and the inodes whose attributes it changes. A page fetched while such a change was
// made is stored without what that change touched.

import type { Stats } from '../sdk/stats.js';

/** Told of what the listings store and of every change that touches them (fast-lookups.ts). */
export interface ListingsObserver {
  offer(dir: number, entries: Iterable<[string, Stats]>): void;
  nameChanged(dir: number, name: string): void;
  inodesChanged(inos: readonly number[]): void;
}

interface Page {
  /** Names and their attributes; a name not here is unknown, not absent. */
  entries: Map<string, Stats>;
  fetchedMs: number;
}

interface Change {
  seq: number;
  dir?: number;
  name?: string;
  ino?: number;
}

interface Misses {
  last: string;
  run: number;
  atMs: number;
  fetching: boolean;
}

/** Ascending misses in one directory before its next page is fetched. */
const runBeforeFetch = 3;
/** Misses further apart than this do not make a run. */
const runGapMs = 1_000;
/** Pages kept per directory. */
const pagesPerDirMax = 4;
/** Changes remembered for fetches still in flight; a fetch older than these is not stored. */
const changesMax = 4_096;

export class DirListings {
  private readonly pages = new Map<number, Page[]>();
  /** Where each inode appears in the pages: every (dir, name) a kept page holds it under. */
  private readonly byIno = new Map<number, Array<{ dir: number; name: string }>>();
  private readonly misses = new Map<number, Misses>();
  private changes: Change[] = [];
  private seq = 0;
  private entryCount = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly entriesMax = 20_000,
    private readonly observer?: ListingsObserver,
  ) {}

  /** The attributes of `dir`/`name` from a fresh page holding it; undefined if none has it. */
  get(dir: number, name: string, nowMs: number): Stats | undefined {
    for (const page of this.pages.get(dir) ?? []) {
      if (nowMs - page.fetchedMs >= this.ttlMs) continue;
      const found = page.entries.get(name);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /** The attributes of inode `ino` a fresh page holds (under any of its names), if any. */
  statsOf(ino: number, nowMs: number): Stats | undefined {
    for (const { dir, name } of this.byIno.get(ino) ?? []) {
      const s = this.get(dir, name, nowMs);
      if (s?.ino === ino) return s;
    }
    return undefined;
  }

  /**
   * A lookup of `dir`/`name`, a name that exists, missed. Returns true when the page after `name` should be fetched
   * (a run of ascending misses, nothing fetching for this directory yet); the caller then calls
   * `begin` and, with the page, `put`, or `failed`.
   */
  missed(dir: number, name: string, nowMs: number): boolean {
    const m = this.misses.get(dir);
    if (m === undefined || nowMs - m.atMs > runGapMs || name <= m.last) {
      this.misses.set(dir, { last: name, run: 1, atMs: nowMs, fetching: m?.fetching ?? false });
      if (this.misses.size > 1_000) this.misses.delete(this.misses.keys().next().value as number);
      return false;
    }
    m.last = name;
    m.run++;
    m.atMs = nowMs;
    if (m.run < runBeforeFetch || m.fetching) return false;
    m.fetching = true;
    return true;
  }

  /** A fetch begins: returns the token `put` needs to leave out changes made meanwhile. */
  begin(): number {
    return this.seq;
  }

  /** The fetch that `missed` asked for failed. */
  failed(dir: number): void {
    const m = this.misses.get(dir);
    if (m !== undefined) m.fetching = false;
  }

  /** Stores a page of `dir`'s entries fetched since `begin` returned `since`. */
  put(dir: number, entries: Iterable<[string, Stats]>, since: number, nowMs: number): void {
    const m = this.misses.get(dir);
    if (m !== undefined) m.fetching = false;
    const page: Page = { entries: new Map(entries), fetchedMs: nowMs };
    if (page.entries.size > this.entriesMax / 4) return; // a huge directory listed whole: not worth the memory
    const changed = this.changesSince(dir, since);
    if (changed === undefined) return; // changes meanwhile were forgotten
    for (const name of changed.names) page.entries.delete(name);
    for (const [name, s] of page.entries) {
      if (changed.inos.has(s.ino)) page.entries.delete(name);
      else this.addRef(s.ino, dir, name);
    }
    const previous = this.pages.get(dir) ?? [];
    const kept = [page, ...previous.filter((p) => nowMs - p.fetchedMs < this.ttlMs)].slice(0, pagesPerDirMax);
    this.entryCount += page.entries.size;
    this.pages.delete(dir); // re-insert: Map order is age order
    this.pages.set(dir, kept);
    for (const dropped of previous.filter((p) => !kept.includes(p))) this.dropPage(dir, dropped);
    while (this.entryCount > this.entriesMax && this.pages.size > 0) this.dropDir(this.pages.keys().next().value as number);
    this.observer?.offer(dir, page.entries);
  }

  /**
   * What changes through this mount touched in `dir` since `begin` returned `since`: the names of
   * `dir` and the inodes anywhere. Undefined when changes that old are forgotten (treat every
   * entry as changed). For a page stored here, and a listing kept by an open directory (READDIRPLUS).
   */
  changesSince(dir: number, since: number): { names: Set<string>; inos: Set<number> } | undefined {
    const changed = { names: new Set<string>(), inos: new Set<number>() };
    if (this.seq === since) return changed;
    const oldest = this.changes[0];
    if (oldest === undefined || oldest.seq > since + 1) return undefined;
    for (const change of this.changes) {
      if (change.seq <= since) continue;
      if (change.dir === dir && change.name !== undefined) changed.names.add(change.name);
      if (change.ino !== undefined) changed.inos.add(change.ino);
    }
    return changed;
  }

  /** A name of `dir` was removed or replaced through this mount. */
  nameChanged(dir: number, name: string): void {
    this.record({ seq: ++this.seq, dir, name });
    for (const page of this.pages.get(dir) ?? []) if (page.entries.delete(name)) this.entryCount--;
    this.observer?.nameChanged(dir, name);
  }

  /** The attributes of these inodes changed through this mount. */
  inodesChanged(inos: readonly number[]): void {
    if (inos.length === 0) return;
    this.observer?.inodesChanged(inos);
    for (const ino of inos) {
      this.record({ seq: ++this.seq, ino });
      for (const { dir, name } of this.byIno.get(ino) ?? []) {
        for (const page of this.pages.get(dir) ?? []) {
          if (page.entries.get(name)?.ino === ino && page.entries.delete(name)) this.entryCount--;
        }
      }
      this.byIno.delete(ino);
    }
  }

  /** Drops pages too old to answer from. */
  sweep(nowMs: number): void {
    for (const [dir, pages] of [...this.pages]) if (pages.every((p) => nowMs - p.fetchedMs >= this.ttlMs)) this.dropDir(dir);
  }

  get size(): number {
    return this.entryCount;
  }

  private record(change: Change): void {
    this.changes.push(change);
    if (this.changes.length > changesMax) this.changes = this.changes.slice(-changesMax / 2);
  }

  private dropDir(dir: number): void {
    const pages = this.pages.get(dir) ?? [];
    this.pages.delete(dir);
    for (const page of pages) this.dropPage(dir, page);
  }

  /** Forgets a page no longer in `pages` (its entries' references too, unless another page of `dir` still holds them). */
  private dropPage(dir: number, page: Page): void {
    this.entryCount -= page.entries.size;
    const remaining = this.pages.get(dir) ?? [];
    for (const [name, s] of page.entries) {
      if (remaining.some((p) => p.entries.get(name)?.ino === s.ino)) continue;
      const refs = (this.byIno.get(s.ino) ?? []).filter((r) => r.dir !== dir || r.name !== name);
      if (refs.length === 0) this.byIno.delete(s.ino);
      else this.byIno.set(s.ino, refs);
    }
  }

  private addRef(ino: number, dir: number, name: string): void {
    const refs = this.byIno.get(ino);
    if (refs === undefined) this.byIno.set(ino, [{ dir, name }]);
    else if (!refs.some((r) => r.dir === dir && r.name === name)) refs.push({ dir, name });
  }
}
