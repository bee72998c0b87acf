// Emptied files a datanode keeps under tmp/ and gives its next new files, so that replacing and
// deleting replicas neither frees nor allocates inodes.
//
// Why: a datanode churns through files. Every synced update of a chunk (a database's fsync) writes
// a new version, a new file, and removes the old one, three of them per SQLite transaction; an
// `rm -r` of a tree removes a file per replica. On ext4 without a journal (this project's
// machine) the inode allocator skips every inode freed in the last minute, reading each one's
// inode table block to find out (`recently_deleted`, for e2fsck's sake), and it starts from the
// beginning of the group each time. After a few thousand removals, a datanode spent a fifth of its
// CPU there during SQLite transactions (perf: find_inode_bit, recently_deleted,
// find_get_block_common).
//
// A removed file is renamed to tmp/free.N at once (its name is free for a new replica), then cut
// to length 0 (its blocks freed, as an unlink frees them, so used space goes down). It is handed
// out only after the directory it left was fsynced: ext4 skips recently freed inodes so that a
// crash cannot leave an old name on a reused inode, and without a journal nothing else orders the
// two, so this does it here. Those fsyncs are batched (one per directory every `flushMs` at
// most). A new file is one of these renamed to its name; they are all empty (cut here, or new, or
// adopted only when empty), and whoever takes one writes it from the start or copies over it
// (copyfile truncates first).
//
// A superseded replica's file can also be moved here with its bytes (`moveOut`), to be patched into
// a spare copy of a later version of its chunk (chunk-store.ts): the same wait applies before it
// is written into. An fsync of the directory it left that begins after the move (a synced
// update's own, `dirSyncing`) counts as well as the batch's.
//
// A stock of new empty files (session 20, `stock`): while the datanode begins no write for a
// moment, it creates new ones up to a target, for at most 2 ms per turn of its event loop. A burst of
// new replicas (tar x of a tree: a file per replica) then renames stocked files instead of
// allocating inodes, which cost ~0.35 ms of kernel time each on this machine (the allocator's
// search above, worse after deletions elsewhere on the disk). A stocked file never had another
// name, so it needs no directory fsync; lost in a crash, it is simply not there.
//
// After a crash the file system may still give a free file a second name (a rename of it that
// did not reach the disk). A file with more than one link is therefore never adopted, emptied or
// handed out: only its name here is removed. At most `max` files are kept; past that, files are
// unlinked as before.

import { closeSync, ftruncateSync, lstatSync, openSync, renameSync, unlinkSync } from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { fsyncPath } from './fsync.js';

const prefix = 'free.';
/** Free files wait at most about this long for the fsync of the directories they left. */
const flushMs = 20;
/** The stock grows only once the datanode began no write for this long. */
const stockIdleMs = 200;
/** Stocked files created per turn of the event loop, at most. */
const stockBatch = 32;
/** A turn's creations stop after this long (an inode allocation after many deletions nearby takes ~0.5 ms). */
const stockTurnMs = 2;

/** A file moved here whose old name's removal is not known to be on disk yet. */
interface Pending {
  file: string;
  /** The directory it left. */
  left: string;
  /** A file moved with its bytes (moveOut): told instead of the file joining `ready`. */
  done?: (synced: boolean) => void;
  settled?: boolean;
}

export class FreeFiles {
  /** Emptied, and their old names' removal on disk: ready to be taken. */
  private readonly ready: string[] = [];
  /** Emptied, waiting for the fsync of the directory each left. */
  private pending: Pending[] = [];
  /** Files renamed here and not yet ready (counted against `max`). */
  private coming = 0;
  private counter = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  /** When a free file was last taken, or the datanode last began a write (Date.now()). */
  private lastBusyMs = 0;
  /** The stock's next look: in the next turn while it grows, after `stockIdleMs` otherwise. */
  private stockNext: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private stockTarget = 0;
  /** Files created for the stock (tests and benchmarks). */
  stocked = 0;

  constructor(
    private readonly dir: string,
    private readonly max: number,
  ) {}

  /** Whether `name` (in tmp/) is a free file's. */
  static isFree(name: string): boolean {
    return name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length));
  }

  /**
   * A free file a previous run left, found at start: kept if it is empty and has no other name
   * (false: the caller removes this name, which leaves the file to its other one).
   */
  adopt(name: string): boolean {
    const file = path.join(this.dir, name);
    if (this.ready.length >= this.max) return false;
    const stats = lstatSync(file, { throwIfNoEntry: false });
    if (stats === undefined || !stats.isFile() || stats.nlink !== 1 || stats.size !== 0) return false;
    this.counter = Math.max(this.counter, Number(name.slice(prefix.length)));
    this.ready.push(file);
    return true;
  }

  /** Files ready to be taken. */
  get size(): number {
    return this.ready.length;
  }

  /**
   * Renames a free file to `to` (a new name under tmp/); false when none is ready. The caller
   * creates `to` (empty either way) or copies over it: this only decides which inode it gets.
   */
  takeAs(to: string): boolean {
    this.lastBusyMs = Date.now();
    for (let file = this.ready.pop(); file !== undefined; file = this.ready.pop()) {
      try {
        renameSync(file, to);
        return true;
      } catch {
        // Gone (removed by hand) or the disk failed: the caller creates the file as before.
      }
    }
    return false;
  }

  /**
   * Removes `file` from its name: renamed here, emptied and kept when there is room, else
   * unlinked. Rejects as the rename, unlink or truncate did (ENOENT: it was gone already).
   * `small`: a file of few blocks, emptied on the calling thread (microseconds of page-cache work)
   * rather than in the thread pool, whose hop and wake-ups cost more than the work itself (an
   * `rm -r` of a tree of small files measured 15 % slower through the pool than with one unlink
   * each).
   */
  async remove(file: string, small = false): Promise<void> {
    const stats = lstatSync(file); // ENOENT: gone already
    if (this.ready.length + this.coming >= this.max || stats.nlink !== 1) return small ? unlinkSync(file) : fsp.unlink(file);
    const to = path.join(this.dir, `${prefix}${++this.counter}`);
    renameSync(file, to); // the name is free at once
    this.coming++;
    try {
      // Through a descriptor: its close clears the mark ext4 sets on a truncated inode (its next
      // close would write back at once, chunk-store.ts createWriter), with no pages to write now.
      if (small) truncateClosed(to);
      else await fsp.truncate(to, 0);
    } catch (err) {
      this.coming--;
      unlinkSync(to);
      throw err;
    }
    this.pending.push({ file: to, left: path.dirname(file) });
    this.flushSoon();
  }

  /**
   * Renames `file` to `to` (under tmp/), keeping its bytes. Resolves true once the removal of its
   * old name is on disk (the directory it left fsynced, by the batch or by an fsync `dirSyncing`
   * was told of), false when that fsync failed: then `to` must not be written into, only removed.
   * Not counted against `max`. Throws as the rename does, and for a file with another name.
   */
  moveOut(file: string, to: string): Promise<boolean> {
    if (lstatSync(file).nlink !== 1) throw new Error(`${file} has another name`);
    renameSync(file, to);
    return new Promise((resolve) => {
      this.pending.push({ file: to, left: path.dirname(file), done: resolve });
      this.flushSoon();
    });
  }

  /**
   * Called before an fsync of `dir` begins: what it returns is called once that fsync succeeded,
   * and settles the files that had left `dir` by then without waiting for the batch.
   */
  dirSyncing(dir: string): () => void {
    const left = this.pending.filter((p) => p.left === dir);
    if (left.length === 0) return () => undefined;
    return () => {
      for (const p of left) this.settle(p, true);
      this.pending = this.pending.filter((p) => p.settled !== true);
    };
  }

  /**
   * Keeps up to `target` free files (at most `max`): new empty ones are created while the
   * datanode begins no write (see above). `stopStock` ends it.
   */
  stock(target: number): void {
    this.stockTarget = Math.min(target, this.max);
    if (this.stockTarget > 0 && this.stockNext === undefined) this.growStock();
  }

  /** The datanode began a write: the stock waits (see `stock`). Not reads: a scrub would starve it. */
  busy(): void {
    this.lastBusyMs = Date.now();
  }

  /** Ends the stock: its next look finds no target (a waiting one is unref'd, never keeping the process up). */
  stopStock(): void {
    this.stockTarget = 0;
  }

  /**
   * A few new files when idle and short (for `stockTurnMs` at most), then the next look: in the
   * next turn while that holds, after `stockIdleMs` otherwise (busy, full, or a failing disk).
   */
  private growStock(): void {
    this.stockNext = undefined;
    if (this.stockTarget <= 0) return;
    const startMs = Date.now();
    let growing = false;
    if (startMs - this.lastBusyMs >= stockIdleMs) {
      const want = Math.min(stockBatch, this.stockTarget - this.ready.length - this.coming);
      try {
        for (let i = 0; i < want && Date.now() - startMs < stockTurnMs; i++) {
          const file = path.join(this.dir, `${prefix}${++this.counter}`);
          closeSync(openSync(file, 'wx'));
          this.ready.push(file);
          this.stocked++;
          growing = true;
        }
      } catch {
        growing = false; // a full or failing disk: tried again later
      }
    }
    // The next turn's look stays referenced: an unreferenced immediate lets the event loop sleep in
    // its poll until other I/O comes (~100 files a second instead of hundreds a turn). Growing ends.
    if (growing) this.stockNext = setImmediate(() => this.growStock());
    else (this.stockNext = setTimeout(() => this.growStock(), stockIdleMs)).unref();
  }

  /** Settles once every file removed so far is ready or gone (tests, and a stopping datanode). */
  async settled(): Promise<void> {
    while (this.flushTimer !== undefined || this.flushing !== undefined) {
      if (this.flushTimer !== undefined) {
        clearTimeout(this.flushTimer);
        this.flushTimer = undefined;
        this.flushing = this.flush();
      }
      await this.flushing;
    }
  }

  private flushSoon(): void {
    if (this.flushTimer !== undefined || this.flushing !== undefined) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.flushing = this.flush();
    }, flushMs);
    this.flushTimer.unref();
  }

  /** fsyncs the directories the pending files left, then makes them ready. */
  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    const failed = new Set<string>();
    const dirs = [...new Set(batch.filter((p) => p.settled !== true).map((p) => p.left))];
    await Promise.all(dirs.map((dir) => fsyncPath(dir).catch(() => failed.add(dir))));
    for (const p of batch) this.settle(p, !failed.has(p.left));
    this.flushing = undefined;
    if (this.pending.length > 0) this.flushSoon();
  }

  /** A pending file's old name is gone on disk (`synced`), or its directory's fsync failed. */
  private settle(p: Pending, synced: boolean): void {
    if (p.settled === true) return;
    p.settled = true;
    if (p.done !== undefined) return p.done(synced);
    this.coming--;
    if (synced) this.ready.push(p.file);
    else void fsp.unlink(p.file).catch(() => undefined); // a failing disk: no reuse, as before
  }
}

/** Cuts `file` to length 0 through a descriptor, closed at once (see `remove`). */
function truncateClosed(file: string): void {
  const fd = openSync(file, 'r+');
  try {
    ftruncateSync(fd, 0);
  } finally {
    closeSync(fd);
  }
}
