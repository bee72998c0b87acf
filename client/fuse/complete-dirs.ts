// Directories whose every name this mount knows, to answer a LOOKUP of a name that is not there
// without asking the namenode.
//
// A program that fills a directory (tar x, cp -r, git writing objects, a build) looks up each new
// name before creating it, and the namenode answers "no such name" every time: one round trip of
// the two a create costs. A directory this mount made itself starts out empty and known; every
// change made through this mount in it returns the directory's attributes after the change
// (post-operation attributes), including its version, which the namenode moves by exactly one
// per change of its entries (NFSv4's change attribute). When the version moved by one, the change
// was ours alone: the names stay known, with ours applied, for another `ttlMs`. When it moved by
// more, someone else changed the directory too, and it is forgotten.
//
// Consistency: a name another client created is answered "absent" for at most `ttlMs` after this
// mount last confirmed the directory, the same bound as every name the mount caches (--cache-ms);
// NFS caches absent names the same way. A change of names through this mount that does not come
// with the directory's new version (hiding an unlinked open file, a reply that did not carry it)
// forgets the directory. Nothing here is trusted past `ttlMs` without a confirmation. A directory
// not confirmed for that long answers nothing, but is kept (for `staleKeepMs`): the next change
// of ours in it that moves its version by exactly one confirms that nobody else changed it
// meanwhile, so its names are exact again. A database's directory stays known that way across a
// pause longer than the ttl (SQLite looks up its absent journal twice a transaction). Times are
// on the monotonic clock (fast-lookups.ts monotonicMs): a wall clock stepped back must not
// keep a directory known longer.

import type { Stats } from '../sdk/stats.js';

/** A change of one name made through this mount: added (create, mkdir, link, rename's target) or removed. */
export interface NameEdit {
  dir: number;
  name: string;
  added: boolean;
}

interface KnownDir {
  version: number;
  freshUntilMs: number;
  names: Set<string>;
}

/** Names a known directory may hold before it is forgotten (memory). */
const namesMax = 200_000;
/** How long a directory no longer fresh is kept for a change of ours to confirm it again. */
const staleKeepMs = 10 * 60 * 1000;
/**
 * Directories, and names in all of them, kept at most (memory): past either, the directories
 * confirmed longest ago go first.
 */
const dirsMax = 10_000;
const namesTotalMax = 200_000;

export class CompleteDirs {
  /** Least recently confirmed first. */
  private readonly dirs = new Map<number, KnownDir>();
  private namesTotal = 0;

  constructor(private readonly ttlMs: number) {}

  /** A directory this mount just made (`s`: its attributes from the mkdir): empty. */
  made(s: Stats, nowMs: number): void {
    if (this.ttlMs <= 0 || !s.isDirectory()) return;
    this.remove(s.ino);
    this.dirs.set(s.ino, { version: s.dirVersion, freshUntilMs: nowMs + this.ttlMs, names: new Set() });
  }

  /** Whether `name` is known not to be in `dir`. */
  lacks(dir: number, name: string, nowMs: number): boolean {
    const known = this.dirs.get(dir);
    if (known === undefined || nowMs >= known.freshUntilMs) return false; // not known, or not confirmed lately
    return !known.names.has(name);
  }

  /** Whether `dir`'s names are kept but not confirmed lately: a lookup there may confirm them (`confirmed`). */
  stale(dir: number, nowMs: number): boolean {
    const known = this.dirs.get(dir);
    return known !== undefined && nowMs >= known.freshUntilMs;
  }

  /**
   * The namenode's attributes of a directory whose names are kept, with no change of ours on the
   * way (a lookup that found a name absent there): the same version, and nobody changed the
   * names since they were last confirmed, so they are exact again for `ttlMs`; another, and they
   * are forgotten.
   */
  confirmed(s: Stats, nowMs: number): void {
    const known = this.dirs.get(s.ino);
    if (known === undefined) return;
    if (s.dirVersion !== known.version) return this.remove(s.ino);
    known.freshUntilMs = nowMs + this.ttlMs;
    this.dirs.delete(s.ino); // most recently confirmed last (sweep drops from the front)
    this.dirs.set(s.ino, known);
  }

  /** Whether `name` is known to be in `dir`. */
  holds(dir: number, name: string, nowMs: number): boolean {
    const known = this.dirs.get(dir);
    return known !== undefined && nowMs < known.freshUntilMs && known.names.has(name);
  }

  /**
   * `name` left `dir` through this mount, and the directory's version after it will come with
   * the call's answer (an unlink answered ahead, early-unlinks.ts): `changed` confirms it then.
   */
  drop(dir: number, name: string): void {
    const known = this.dirs.get(dir);
    if (known !== undefined && known.names.delete(name)) this.namesTotal--;
  }

  /**
   * `name` entered `dir` through this mount, and the directory's version after it will come with
   * the call's answer (a create answered ahead, early-creates.ts): `changed` confirms it then.
   */
  add(dir: number, name: string): void {
    const known = this.dirs.get(dir);
    if (known !== undefined && !known.names.has(name)) {
      known.names.add(name);
      this.namesTotal++;
    }
  }

  /**
   * A change through this mount: `dirs` are the directories it changed, with their attributes
   * after it (empty when the reply did not say), `edits` what it did to their names.
   */
  changed(dirs: readonly Stats[], edits: readonly NameEdit[], nowMs: number): void {
    const confirmed = new Set<number>();
    for (const edit of edits) {
      const known = this.dirs.get(edit.dir);
      if (known === undefined) continue;
      const after = dirs.find((d) => d.ino === edit.dir);
      if (after !== undefined && after.dirVersion === known.version + 1) {
        // Ours alone since the last confirmation, however long ago: fresh again.
        known.version = after.dirVersion;
        known.freshUntilMs = nowMs + this.ttlMs;
        this.dirs.delete(edit.dir); // most recently confirmed last (sweep drops from the front)
        this.dirs.set(edit.dir, known);
        confirmed.add(edit.dir);
      } else if (after === undefined || after.dirVersion !== known.version || !confirmed.has(edit.dir)) {
        // Not confirmed, or someone else changed it too. Equal is a second edit of this same
        // change only: from another change it would mean the namenode went back (a lost commit).
        this.remove(edit.dir);
        continue;
      }
      const before = known.names.size;
      if (edit.added) known.names.add(edit.name);
      else known.names.delete(edit.name);
      this.namesTotal += known.names.size - before;
      if (known.names.size > namesMax) this.remove(edit.dir);
    }
  }

  private remove(dir: number): void {
    const known = this.dirs.get(dir);
    if (known === undefined) return;
    this.dirs.delete(dir);
    this.namesTotal -= known.names.size;
  }

  /** Names of `dir` changed in a way this mount cannot follow exactly. */
  forget(dir: number): void {
    this.remove(dir);
  }

  /** Drops what was not confirmed for `staleKeepMs`, and the least recently confirmed past `dirsMax` or `namesTotalMax`. */
  sweep(nowMs: number): void {
    for (const [dir, known] of this.dirs) {
      if (this.dirs.size > dirsMax || this.namesTotal > namesTotalMax || nowMs >= known.freshUntilMs + staleKeepMs) this.remove(dir);
    }
  }

  get size(): number {
    return this.dirs.size;
  }
}
